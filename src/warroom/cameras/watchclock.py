"""One timer for every recorder of a process.

Each recorder has to look at its ffmpeg every few seconds (progress, finished segments, stall).
Waking the event loop once per recorder costs more than the look itself: on a busy machine each
wake-up starts from cold caches. The clock wakes once per period and lets every recorder take its
look in turn; the looks are short and synchronous, and a recorder runs anything slow (a status
write, stopping a stalled ffmpeg) as its own task, so one recorder never delays the others.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Protocol

log = logging.getLogger("warroom.cameras.recorder")


class Watched(Protocol):
    def tick(self, now: float) -> None:
        """Take a short look; must not block."""


class WatchClock:
    def __init__(self, period: float) -> None:
        self.period = period
        self._members: dict[int, Watched] = {}
        self._task: asyncio.Task[None] | None = None

    def add(self, member: Watched) -> None:
        self._members[id(member)] = member
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="recorders-watch-clock")

    def discard(self, member: Watched) -> None:
        self._members.pop(id(member), None)

    async def _run(self) -> None:
        while self._members:
            await asyncio.sleep(self.period)
            self.tick_all(time.monotonic())

    def tick_all(self, now: float) -> None:
        for member in list(self._members.values()):
            try:
                member.tick(now)
            except Exception:  # one recorder's bug must not stop the others' watchdog
                log.exception("recorder watch failed")
