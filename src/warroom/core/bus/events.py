"""Typed events: immutable, past-tense, registered by topic so any backend can rebuild them."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field

from warroom.core.clock import utcnow

_REGISTRY: dict[str, type[Event]] = {}


class UnknownEventError(ValueError):
    """A message names a topic no event class registered."""


class Event(BaseModel):
    """Base of every event. Subclasses set ``topic`` as ``<domain>.<past_tense_name>``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    topic: ClassVar[str] = ""
    # False keeps an event off the war-room feed (internal signals such as cache evictions).
    feed: ClassVar[bool] = True
    event_id: UUID = Field(default_factory=uuid4)
    occurred_at: datetime = Field(default_factory=utcnow)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        topic = cls.__dict__.get("topic", "")
        if not topic:
            return  # abstract intermediate class
        if not is_valid_topic(topic):
            raise TypeError(f"{cls.__name__}.topic must look like 'domain.name_happened'")
        existing = _REGISTRY.get(topic)
        if existing is not None and existing.__qualname__ != cls.__qualname__:
            raise TypeError(f"topic {topic!r} is already used by {existing.__name__}")
        _REGISTRY[topic] = cls

    def to_json(self) -> bytes:
        return json.dumps({"topic": self.topic, "event": self.model_dump(mode="json")}).encode()

    def agency_scope(self) -> str | None:
        """The agency this event concerns, if any: partners only see events of their agency."""
        scope = getattr(self, "agency_code", None)
        return scope if isinstance(scope, str) else None

    def summary(self) -> dict[str, Any]:
        """What the war-room feed shows: topic, time and the event's own fields."""
        return {"topic": self.topic, **self.model_dump(mode="json")}


def is_valid_topic(topic: str) -> bool:
    """``domain.name_happened``: dot-separated words of letters, digits and underscores."""
    parts = topic.split(".")
    return len(parts) >= 2 and all(part.replace("_", "").isalnum() for part in parts)


def event_from_json(raw: bytes | str) -> Event:
    """Rebuild the typed event :meth:`Event.to_json` wrote.

    Raises ValueError (UnknownEventError for an unregistered topic) for anything else, so a
    consumer needs one ``except ValueError`` to skip a bad message.
    """
    envelope = json.loads(raw)
    if not isinstance(envelope, dict):
        raise ValueError("an event message must be a JSON object")
    cls = _REGISTRY.get(envelope.get("topic", ""))
    if cls is None:
        raise UnknownEventError(f"no event class for topic {envelope.get('topic')!r}")
    return cls.model_validate(envelope.get("event"))


def event_class(topic: str) -> type[Event]:
    try:
        return _REGISTRY[topic]
    except KeyError:
        raise UnknownEventError(f"no event class for topic {topic!r}") from None


def known_topics() -> list[str]:
    return sorted(_REGISTRY)
