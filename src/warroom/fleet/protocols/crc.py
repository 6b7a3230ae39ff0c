"""The two CRC-16 variants the binary protocols use (parameters from the CRC catalogue).

- CRC-16/X-25 (GT06): poly 0x1021 reflected, init 0xFFFF, xorout 0xFFFF; check("123456789")
  = 0x906E.
- CRC-16/ARC (Teltonika): poly 0x8005 reflected, init 0, xorout 0; check = 0xBB3D.

Every Teltonika packet (hundreds of bytes) is checked, so the loop runs two bytes a step: for
a reflected 16-bit CRC, xoring a little-endian 16-bit word into the register leaves a state
that only a 65,536-entry table (two byte steps composed) maps to the next register. That
halves the Python-level iterations; the table is built on first use.
"""

from __future__ import annotations

import struct
from array import array
from functools import cache


def _reflected_table(poly: int) -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_X25_TABLE = _reflected_table(0x8408)
_ARC_TABLE = _reflected_table(0xA001)


@cache
def _word_table(table: tuple[int, ...]) -> array[int]:
    """Two byte steps at once: entry `x` is the register after the bytes of `x ^ crc`.
    An array (128 KiB) rather than a tuple of int objects: far fewer cache misses."""

    def step(crc: int) -> int:
        return (crc >> 8) ^ table[crc & 0xFF]

    return array("H", (step(step(state)) for state in range(0x10000)))


def _run(table: tuple[int, ...], crc: int, data: bytes) -> int:
    words = _word_table(table)
    pairs = len(data) // 2
    for word in struct.unpack_from(f"<{pairs}H", data):
        crc = words[crc ^ word]
    if len(data) % 2:
        crc = (crc >> 8) ^ table[(crc ^ data[-1]) & 0xFF]
    return crc


def crc16_x25(data: bytes) -> int:
    return _run(_X25_TABLE, 0xFFFF, data) ^ 0xFFFF


def crc16_arc(data: bytes) -> int:
    return _run(_ARC_TABLE, 0x0000, data)
