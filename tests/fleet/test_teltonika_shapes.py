"""Teltonika records read with one struct per layout give exactly what the field-by-field read
gives, for every codec, for runs of one layout and for layouts that change record by record
(the shape is only believed when the counts and ids it read are its own)."""

from __future__ import annotations

import random
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warroom.fleet.protocols import DecodeError, PositionRecord
from warroom.fleet.protocols import teltonika_avl as avl

CODECS = {  # id width, count width, generation byte
    avl.CODEC_8: ("B", "B", False),
    avl.CODEC_8E: ("H", "H", False),
    avl.CODEC_16: ("H", "B", True),
}
# The ids of a record's elements by value size (1, 2, 4, 8 bytes), and whether a Codec 8E
# record carries variable-length elements too.
Layout = tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple[int, ...], bool]


def record(codec: int, layout: Layout, rng: random.Random, second: int) -> bytes:
    id_format, count_format, generation = CODECS[codec]
    *sized, variable = layout
    body = struct.pack(
        ">QBiihHBH", 1_764_000_000_000 + second * 1000, rng.randrange(4),
        rng.randrange(-1_800_000_000, 1_800_000_000), rng.randrange(-900_000_000, 900_000_000),
        rng.randrange(-500, 3000), rng.randrange(360), rng.randrange(20), rng.randrange(200),
    )  # fmt: skip
    body += struct.pack(">" + id_format, rng.randrange(300 if id_format == "H" else 256))
    if generation:
        body += bytes([rng.randrange(7)])
    body += struct.pack(">" + count_format, sum(map(len, sized)))
    for ids, value in zip(sized, "BHIQ", strict=True):
        body += struct.pack(">" + count_format, len(ids))
        for io_id in ids:
            value_bits = 8 * struct.calcsize(value)
            body += struct.pack(">" + id_format + value, io_id, rng.getrandbits(value_bits))
    if codec == avl.CODEC_8E:
        body += struct.pack(">H", 1 if variable else 0)
        if variable:
            body += struct.pack(">HH", 900, 3) + b"\x01\x02\x03"
    return body


def avl_data(codec: int, records: list[bytes]) -> bytes:
    return bytes([codec, len(records)]) + b"".join(records) + bytes([len(records)])


def slowly(codec: int, records: list[bytes]) -> list[PositionRecord]:
    """Each record alone, with no layout remembered: the field-by-field read."""
    decoded = []
    for one in records:
        avl._LAST_SHAPE.clear()
        (position,), _ = avl.parse_avl_data(avl_data(codec, [one]), 0, "dev")
        decoded.append(position)
    return decoded


def ids(id_width: str) -> st.SearchStrategy[tuple[int, ...]]:
    known = sorted(avl.IO_NAMES)  # ignition, power, ... and their conversions
    any_id = st.integers(0, 255 if id_width == "B" else 65535)
    return st.lists(st.sampled_from(known) | any_id, max_size=4).map(tuple)


@st.composite
def layouts(draw: st.DrawFn, codec: int) -> Layout:
    width = CODECS[codec][0]
    variable = codec == avl.CODEC_8E and draw(st.booleans())
    return (draw(ids(width)), draw(ids(width)), draw(ids(width)), draw(ids(width)), variable)


@pytest.mark.parametrize("codec", sorted(CODECS))
@given(data=st.data())
@settings(max_examples=60, deadline=None)
def test_shapes_read_what_the_field_by_field_read_does(codec: int, data: st.DataObject) -> None:
    layouts_used = data.draw(st.lists(layouts(codec), min_size=1, max_size=3))
    order = data.draw(st.lists(st.sampled_from(layouts_used), min_size=1, max_size=12))
    rng = random.Random(data.draw(st.integers(0, 2**32)))
    records = [record(codec, layout, rng, n) for n, layout in enumerate(order)]
    expected = slowly(codec, records)
    decoded, end = avl.parse_avl_data(avl_data(codec, records), 0, "dev")
    assert list(decoded) == expected
    assert end == len(avl_data(codec, records))
    # and again with the layouts remembered from this packet
    assert list(avl.parse_avl_data(avl_data(codec, records), 0, "dev")[0]) == expected


def test_a_record_cut_short_is_still_an_error_with_a_shape_remembered() -> None:
    rng = random.Random(1)
    layout: Layout = ((239, 240), (66,), (), (), False)
    records = [record(avl.CODEC_8, layout, rng, n) for n in range(3)]
    avl.parse_avl_data(avl_data(avl.CODEC_8, records), 0, "dev")  # the shape is known now
    cut = avl_data(avl.CODEC_8, records)[:-6] + bytes([3])
    with pytest.raises(DecodeError, match=r"truncated|count mismatch"):
        avl.parse_avl_data(cut, 0, "dev")
