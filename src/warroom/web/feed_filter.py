"""What one feed screen asked to see: some domains only, or one agency's events only.

A 112 desk wants incidents without the fleet's chatter; a supervisor following the fire
brigade wants only its events. The filter narrows what an account may see; it never widens
it (a partner's own agency scope still applies on top, see ``_Client.sees``).

Given as WebSocket query parameters: ``/ws/events?domains=emergency,weather&agency=fire``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from warroom.core.bus.events import Event, known_topics

_AGENCY_CODE = re.compile(r"^[a-z][a-z0-9_]{1,29}$")  # the accounts domain's agency code rule


class FeedFilterError(ValueError):
    """The query parameters do not describe a filter; the message says which and why."""


@dataclass(frozen=True)
class FeedFilter:
    domains: frozenset[str] | None = None  # None: every domain
    agency: str | None = None  # None: every agency and events of none

    def matches(self, event: Event) -> bool:
        if self.domains is not None and event.topic.split(".", 1)[0] not in self.domains:
            return False
        return self.agency is None or event.agency_scope() == self.agency


def feed_domains() -> frozenset[str]:
    """The domains whose events the loaded event classes can carry."""
    return frozenset(topic.split(".", 1)[0] for topic in known_topics())


def parse_feed_filter(params: Mapping[str, str]) -> FeedFilter:
    unknown = set(params) - {"domains", "agency"}
    if unknown:
        raise FeedFilterError(f"unknown feed parameter(s): {', '.join(sorted(unknown))}")
    return FeedFilter(domains=_parse_domains(params.get("domains")), agency=_parse_agency(params))


def _parse_domains(raw: str | None) -> frozenset[str] | None:
    if raw is None:
        return None
    wanted = frozenset(part.strip() for part in raw.split(",") if part.strip())
    if not wanted:
        raise FeedFilterError("domains must name at least one domain")
    unknown = wanted - feed_domains()
    if unknown:
        raise FeedFilterError(
            f"unknown domain(s): {', '.join(sorted(unknown))}; "
            f"known: {', '.join(sorted(feed_domains()))}"
        )
    return wanted


def _parse_agency(params: Mapping[str, str]) -> str | None:
    agency = params.get("agency")
    if agency is not None and not _AGENCY_CODE.fullmatch(agency):
        raise FeedFilterError("agency must be an agency code such as 'fire' or 'police'")
    return agency
