"""Framers: frames split across reads, resync after garbage, bounded buffers."""

from __future__ import annotations

import pytest

from tests.fleet.streams import FRAMES
from warroom.fleet.protocols import PROTOCOLS, FrameOverflowError, Framer
from warroom.fleet.protocols.framing import DEFAULT_MAX_BUFFER, DelimitedFramer

STREAM_PROTOCOLS = sorted(FRAMES)
GARBAGE = b"\xff\xfe not a frame \x13\x37\r\n"


def _framer(protocol: str, max_buffer: int = DEFAULT_MAX_BUFFER) -> Framer:
    make = PROTOCOLS[protocol].framer
    assert make is not None
    framer = make()
    framer.max_buffer = max_buffer
    return framer


def _feed_all(framer: Framer, chunks: list[bytes]) -> list[bytes]:
    return [frame for chunk in chunks for frame in framer.feed(chunk)]


def test_every_tcp_protocol_has_a_framer() -> None:
    for spec in PROTOCOLS.values():
        assert ("tcp" in spec.transports) == (spec.framer is not None), spec.name


@pytest.mark.parametrize("protocol", STREAM_PROTOCOLS)
def test_whole_stream_at_once(protocol: str) -> None:
    frames = FRAMES[protocol]
    framer = _framer(protocol)
    assert _feed_all(framer, [b"".join(frames)]) == frames
    assert framer.buffered == 0


@pytest.mark.parametrize("protocol", STREAM_PROTOCOLS)
def test_one_byte_per_read(protocol: str) -> None:
    stream = b"".join(FRAMES[protocol])
    chunks = [stream[i : i + 1] for i in range(len(stream))]
    assert _feed_all(_framer(protocol), chunks) == FRAMES[protocol]


@pytest.mark.parametrize("protocol", STREAM_PROTOCOLS)
def test_every_split_point(protocol: str) -> None:
    stream = b"".join(FRAMES[protocol])
    for cut in range(len(stream) + 1):
        assert _feed_all(_framer(protocol), [stream[:cut], stream[cut:]]) == FRAMES[protocol]


@pytest.mark.parametrize("protocol", sorted(set(STREAM_PROTOCOLS) - {"gps103"}))
def test_garbage_before_and_between_frames_is_skipped(protocol: str) -> None:
    first, second, *_ = FRAMES[protocol]
    framer = _framer(protocol)
    assert _feed_all(framer, [GARBAGE + first + GARBAGE, second]) == [first, second]
    assert framer.discarded == 2 * len(GARBAGE)


def test_gps103_garbage_costs_only_the_frame_it_is_glued_to() -> None:
    # No start marker: garbage joins the next frame, which the decoder rejects; the rest pass.
    frames = FRAMES["gps103"]
    assert _feed_all(_framer("gps103"), [b"junk;" + frames[0] + frames[1]]) == [
        b"junk;",
        frames[0],
        frames[1],
    ]


def test_gt06_false_start_marker_resyncs() -> None:
    login = FRAMES["gt06"][0]
    fake = b"\x78\x78\x0d\x01" + b"\x00" * 14  # right length, no 0D0A at the end
    assert _feed_all(_framer("gt06"), [fake + login]) == [login]


def test_gt06_long_frames_use_two_length_bytes() -> None:
    frame = b"\x79\x79\x00\x06\x94\x05\x00\x01\xab\xcd\r\n"
    assert _feed_all(_framer("gt06"), [frame[:3], frame[3:]]) == [frame]


def test_teltonika_stray_zero_byte_does_not_swallow_the_login() -> None:
    login = FRAMES["teltonika"][0]
    assert _feed_all(_framer("teltonika"), [b"\x00\x01" + login]) == [login]


def test_unfinished_text_frame_gives_way_to_the_next_complete_one() -> None:
    good = FRAMES["h02"][0]
    assert _feed_all(_framer("h02"), [b"*HQ,broken," + good]) == [good]


@pytest.mark.parametrize(
    ("protocol", "start"),
    [
        ("gt06", b"\x79\x79\xff\xff"),
        ("teltonika", b"\x00\x00\x00\x00\x00\x01\x00\x00"),
        ("h02", b"*HQ,"),
        ("nmea", b"$GPRMC,"),
        ("tk103", b"("),
        ("gps103", b"imei:"),
    ],
)
def test_frame_larger_than_the_buffer_closes_the_connection(protocol: str, start: bytes) -> None:
    framer = _framer(protocol, max_buffer=1024)
    with pytest.raises(FrameOverflowError, match="more than the 1024"):
        _feed_all(framer, [start] + [b"1" * 100] * 20)
    assert framer.buffered == 0


def test_frames_before_an_overflow_are_still_delivered() -> None:
    framer = DelimitedFramer(b"(", b")", max_buffer=16)
    frames = framer.feed(b"(ok)(" + b"x" * 32)
    assert next(frames) == b"(ok)"
    with pytest.raises(FrameOverflowError):
        next(frames)


def test_garbage_alone_never_fills_the_buffer() -> None:
    framer = _framer("gt06", max_buffer=64)
    for _ in range(100):
        assert list(framer.feed(b"\x00\x01\x02" * 50)) == []
    assert framer.buffered <= 64


# H02 binary frames from Traccar's H02ProtocolDecoderTest: a standard 32-byte one, one with the
# 13 bytes some firmwares append, and the long form with a 15-digit IMEI (42 bytes).
H02_BINARY = bytes.fromhex("2441060116601245431311165035313006004318210e000000fffffbffff0024")
H02_EXTENDED = bytes.fromhex(
    "24410600082621532131081504419390060740418306000000fffffbfdff0015060000002c02dc0c000000001f"
)
H02_LONG_ID = bytes.fromhex(
    "2435248308419329301047591808172627335900074412294E024138FEFFFFFFFF01120064BA73005ECC"
)


def test_h02_text_and_binary_frames_share_a_connection() -> None:
    text = FRAMES["h02"]
    frames = [text[0], H02_BINARY, text[1], H02_BINARY, text[2]]
    stream = b"".join(frames)
    for cut in range(len(stream) + 1):
        assert _feed_all(_framer("h02"), [stream[:cut], stream[cut:]]) == frames
    assert _feed_all(_framer("h02"), [stream[i : i + 1] for i in range(len(stream))]) == frames


def test_h02_bytes_appended_to_a_binary_frame_are_skipped() -> None:
    text = FRAMES["h02"][0]
    for binary in (H02_EXTENDED, H02_LONG_ID):
        framer = _framer("h02")
        assert _feed_all(framer, [binary + text]) == [binary[:32], text]
        assert framer.discarded == len(binary) - 32


def test_h02_dollar_that_is_not_a_binary_header_is_noise() -> None:
    noise = b"$" + bytes(range(40, 80))  # not BCD fields
    framer = _framer("h02")
    assert _feed_all(framer, [noise, H02_BINARY]) == [H02_BINARY]
    assert framer.discarded == len(noise)


def test_h02_unfinished_text_gives_way_to_a_binary_frame() -> None:
    good = FRAMES["h02"][0]
    assert _feed_all(_framer("h02"), [b"*HQ,broken,", H02_BINARY, good]) == [H02_BINARY, good]
