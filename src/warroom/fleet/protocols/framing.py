"""Cutting a TCP byte stream into frames, one `Framer` per connection.

A framer is fed whatever `recv()` returned and yields the complete frames it now holds, in
order. Bytes that cannot start a frame are dropped (counted in `discarded`) so the stream
resyncs at the next frame marker. A frame that would need more than `max_buffer` bytes raises
`FrameOverflowError`: the listener closes that connection, which bounds memory per device.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import NamedTuple

from warroom.fleet.protocols.records import DecodeError

DEFAULT_MAX_BUFFER = 64 * 1024


class FrameOverflowError(DecodeError):
    """A frame is longer than the connection may buffer; close the connection."""


class Step(NamedTuple):
    """What a framer found at the start of its buffer: `skip` garbage bytes to drop, or a
    complete `frame` of that many bytes, or (both 0) nothing complete yet."""

    skip: int = 0
    frame: int = 0


NEED_MORE = Step()


class Framer(ABC):
    """Incremental framer; subclasses say where frames start and end in `_scan`."""

    def __init__(self, max_buffer: int = DEFAULT_MAX_BUFFER) -> None:
        self.max_buffer = max_buffer
        self.discarded = 0
        self._buffer = bytearray()

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Add `data` and iterate over the complete frames. The data is kept at once; the
        frames are cut while iterating, so consume the iterator fully."""
        self._buffer += data
        return self._frames()

    def _frames(self) -> Iterator[bytes]:
        buffer = self._buffer
        while buffer:
            step = self._scan(buffer)
            if step.skip:
                del buffer[: step.skip]
                self.discarded += step.skip
            elif step.frame:
                frame = bytes(buffer[: step.frame])
                del buffer[: step.frame]
                yield frame
            else:
                break
        self._check_size(len(buffer))

    def _check_size(self, needed: int) -> None:
        if needed > self.max_buffer:
            self._buffer.clear()
            raise FrameOverflowError(
                f"frame needs {needed} bytes, more than the {self.max_buffer} a connection "
                "may buffer"
            )

    @abstractmethod
    def _scan(self, buffer: bytearray) -> Step:
        """Look at the start of a non-empty buffer."""


class DelimitedFramer(Framer):
    """Text frames from a `start` marker (None: anything) up to and including `end`.

    When another start marker comes before the end, the earlier, unfinished frame is garbage
    and the later one is kept; so one broken frame never takes the next one with it.
    """

    def __init__(
        self, start: bytes | None, end: bytes, max_buffer: int = DEFAULT_MAX_BUFFER
    ) -> None:
        super().__init__(max_buffer)
        self._start = start
        self._end = end

    def _scan(self, buffer: bytearray) -> Step:
        if self._start is not None:
            first = buffer.find(self._start)
            if first != 0:
                return Step(skip=len(buffer) if first < 0 else first)
        end = buffer.find(self._end)
        if end < 0:
            return NEED_MORE
        if self._start is not None:
            last = buffer.rfind(self._start, 0, end)
            if last > 0:
                return Step(skip=last)
        return Step(frame=end + len(self._end))
