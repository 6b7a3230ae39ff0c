"""What every listener does with decoded messages: attribute the records to a registered
device, store them, and say which reply bytes may now be sent and whether to hang up."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from prometheus_client import Counter

from warroom.fleet.pipeline import Pipeline
from warroom.fleet.protocols import Decoded, Record, Session

BAD_FRAMES = Counter("warroom_fleet_bad_frames_total", "Frames that failed to decode", ["protocol"])
NOT_STORED = Counter(
    "warroom_fleet_not_stored_total", "Reports answered as not stored", ["protocol"]
)
UNATTRIBUTED = Counter(
    "warroom_fleet_unattributed_total", "Records dropped: no device id (no login yet)", ["protocol"]
)


@dataclass(frozen=True)
class Answer:
    reply: bytes
    close: bool = False


REFUSED = Answer(b"", close=True)


def _by_device(records: list[Record], session: Session) -> dict[str | None, list[Record]]:
    groups: dict[str | None, list[Record]] = {}
    for record in records:
        device = getattr(record, "device_id", None) or session.device_id
        groups.setdefault(device, []).append(record)
    return groups


@dataclass(frozen=True)
class Pending:
    """Submitted: `reply` may go out once every future in `committed` is done."""

    committed: list[asyncio.Future[None]]
    reply: bytes


def submit_known(
    pipeline: Pipeline, protocol: str, messages: list[Decoded], session: Session
) -> Answer | Pending | None:
    """The event loop's path when every device is registered: no coroutine, no await.

    None when a device is not in the directory (nothing was submitted): `handle` then lists
    it or registers it. Records that cannot be attributed get no reply, as in `handle`.
    """
    groups = _by_device([record for message in messages for record in message.records], session)
    known = []
    for device, group in groups.items():
        if device is None:
            UNATTRIBUTED.labels(protocol).inc(len(group))
            return Answer(b"")
        info = pipeline.lookup(device)
        if info is None:
            return None
        known.append((info, tuple(group)))
    waits = [pipeline.submit(info, group) for info, group in known]
    return Pending([wait for wait in waits if wait is not None], _replies(messages))


def _replies(messages: list[Decoded]) -> bytes:
    return b"".join(message.reply for message in messages if message.reply)


async def handle(
    pipeline: Pipeline, protocol: str, messages: list[Decoded], session: Session, remote: str
) -> Answer:
    """Store the records of `messages`; the concatenated replies once they are durable.

    An unknown device gets no reply and the connection is closed (it is listed for an admin).
    Records that cannot be attributed (a fix before any login) get no reply either, so the
    device resends them after logging in.
    """
    records = [record for message in messages for record in message.records]
    for device, group in _by_device(records, session).items():
        if device is None:
            UNATTRIBUTED.labels(protocol).inc(len(group))
            return Answer(b"")
        info = await pipeline.identify(device, protocol, remote)
        if info is None:
            return REFUSED
        await pipeline.store(info, tuple(group))
    return Answer(_replies(messages))
