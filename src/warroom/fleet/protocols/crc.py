"""The two CRC-16 variants the binary protocols use (parameters from the CRC catalogue).

- CRC-16/X-25 (GT06): poly 0x1021 reflected, init 0xFFFF, xorout 0xFFFF; check("123456789")
  = 0x906E.
- CRC-16/ARC (Teltonika): poly 0x8005 reflected, init 0, xorout 0; check = 0xBB3D.
"""

from __future__ import annotations


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


def _run(table: tuple[int, ...], crc: int, data: bytes) -> int:
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


def crc16_x25(data: bytes) -> int:
    return _run(_X25_TABLE, 0xFFFF, data) ^ 0xFFFF


def crc16_arc(data: bytes) -> int:
    return _run(_ARC_TABLE, 0x0000, data)
