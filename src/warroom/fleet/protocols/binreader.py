"""A bounds-checked cursor over a binary frame: every short read is a `DecodeError`."""

from __future__ import annotations

from warroom.fleet.protocols.records import DecodeError


class Reader:
    def __init__(self, data: bytes, what: str) -> None:
        self._data = data
        self._what = what
        self.offset = 0

    @property
    def remaining(self) -> int:
        return len(self._data) - self.offset

    def take(self, count: int) -> bytes:
        if count < 0 or count > self.remaining:
            raise DecodeError(
                f"{self._what} truncated: needs {count} more bytes at offset {self.offset}, "
                f"has {self.remaining}"
            )
        chunk = self._data[self.offset : self.offset + count]
        self.offset += count
        return chunk

    def skip(self, count: int) -> None:
        self.take(count)

    def uint(self, size: int) -> int:
        return int.from_bytes(self.take(size), "big")

    def sint(self, size: int) -> int:
        return int.from_bytes(self.take(size), "big", signed=True)

    def u8(self) -> int:
        return self.uint(1)

    def u16(self) -> int:
        return self.uint(2)
