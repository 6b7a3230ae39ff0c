"""Hypothesis: decoders and framers never crash, hang or grow without bound.

The only exception a decoder may raise is `DecodeError`; a framer may also raise its
`FrameOverflowError` (a `DecodeError`), after which the listener closes just that connection.
Examples are bounded so the file runs in a few seconds; the deadline catches slow paths.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fleet import vectors
from tests.fleet.streams import FRAMES
from warroom.fleet.protocols import PROTOCOLS, Decoded, DecodeError, Session
from warroom.fleet.protocols.registry import Decoder

FUZZ = settings(
    max_examples=80,
    deadline=timedelta(milliseconds=500),
    suppress_health_check=[HealthCheck.too_slow],
)
VECTORS = vectors.load()
SEEDS = [vectors.message_bytes(v) for v in VECTORS] + [f for fs in FRAMES.values() for f in fs]
DECODERS: list[tuple[str, Decoder]] = [(name, spec.decode) for name, spec in PROTOCOLS.items()]
DECODERS += [(f"{n}-udp", s.decode_datagram) for n, s in PROTOCOLS.items() if s.decode_datagram]
DECODER_IDS = [name for name, _ in DECODERS]
TEXT_PREFIXES = [
    b"*HQ,1234,V1,",
    b"$GPRMC,",
    b"(012345678901BR00",
    b"imei:1234,tracker,",
    b"/?id=1&",
    b'{"_type":"location",',
    b"##,imei:",
]
FIELD = st.sampled_from(
    [
        "",
        "A",
        "V",
        "N",
        "S",
        "E",
        "W",
        "0",
        "-1",
        "99",
        "1e400",
        "nan",
        "235959",
        "311299",
        "9999.9999",
        "-23-29.0",
        "FFFF",
        "12.3.4",
    ]
)


def _decode_safely(decode: Decoder, message: bytes) -> Decoded | None:
    try:
        return decode(message, Session())
    except DecodeError as exc:
        reason = str(exc)
    assert reason, "a DecodeError must say what is wrong"
    return None


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid message with a few bytes flipped, cut, inserted or duplicated."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["flip", "cut", "insert", "truncate", "repeat"]))
        if action == "flip" and at < len(data):
            data[at] ^= draw(st.integers(1, 255))
        elif action == "cut":
            del data[at : at + draw(st.integers(1, 8))]
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif action == "truncate":
            del data[at:]
        elif action == "repeat":
            data[at:at] = data[at : at + draw(st.integers(1, 16))]
    return bytes(data)


@st.composite
def text_fields(draw: st.DrawFn) -> bytes:
    """Protocol-shaped text: a real prefix, then comma-separated plausible field values."""
    prefix = draw(st.sampled_from(TEXT_PREFIXES))
    body = ",".join(draw(st.lists(FIELD, max_size=16)))
    return prefix + body.encode() + draw(st.sampled_from([b"#", b")", b";", b"*00", b"}", b""]))


@pytest.mark.parametrize(("name", "decode"), DECODERS, ids=DECODER_IDS)
@FUZZ
@given(message=st.binary(max_size=300))
def test_random_bytes(name: str, decode: Decoder, message: bytes) -> None:
    _decode_safely(decode, message)


@pytest.mark.parametrize(("name", "decode"), DECODERS, ids=DECODER_IDS)
@FUZZ
@given(message=st.one_of(mutated(), text_fields()))
def test_mutated_and_shaped_messages(name: str, decode: Decoder, message: bytes) -> None:
    decoded = _decode_safely(decode, message)
    if decoded is not None:
        decoded.to_json_lines()  # every record must also render for the CLI


@pytest.mark.parametrize("protocol", sorted(FRAMES))
@settings(FUZZ, max_examples=50)
@given(data=st.data())
def test_stream_of_garbage_and_frames(protocol: str, data: st.DataObject) -> None:
    """framer -> decoder on a stream mixing real frames, noise and mutations, cut anywhere."""
    spec = PROTOCOLS[protocol]
    assert spec.framer is not None
    pieces = data.draw(
        st.lists(
            st.one_of(st.sampled_from(FRAMES[protocol]), st.binary(max_size=40), mutated()),
            max_size=12,
        )
    )
    stream = b"".join(pieces)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=8)))
    framer = spec.framer()
    framer.max_buffer = 4096
    session = Session()
    for start, stop in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        try:
            for frame in framer.feed(stream[start:stop]):
                assert len(frame) <= framer.max_buffer
                _decode_with(spec.decode, frame, session)
        except DecodeError:
            return  # overflow: the listener closes this connection
        assert framer.buffered <= framer.max_buffer


def _decode_with(decode: Decoder, frame: bytes, session: Session) -> None:
    with contextlib.suppress(DecodeError):  # a bad frame is dropped; the connection goes on
        decode(frame, session).to_json_lines()


@pytest.mark.parametrize("protocol", sorted(FRAMES))
@FUZZ
@given(noise=st.binary(max_size=200))
def test_valid_frames_survive_noise_without_markers(protocol: str, noise: bytes) -> None:
    """Noise cleared of frame-start bytes never costs the frame that follows it."""
    spec = PROTOCOLS[protocol]
    assert spec.framer is not None
    if protocol == "gps103":
        noise += b";"  # no start marker: noise ends as a frame of its own
    noise = bytes(b for b in noise if b not in b"\x00\x78\x79*$(")
    frame = FRAMES[protocol][-1]
    framer = spec.framer()
    assert frame in list(framer.feed(noise + frame))
