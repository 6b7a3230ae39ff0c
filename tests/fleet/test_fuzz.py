"""Hypothesis: decoders and framers never crash, hang or grow without bound.

The only exception a decoder may raise is `DecodeError`; a framer may also raise its
`FrameOverflowError` (a `DecodeError`), after which the listener closes just that connection.
Examples are bounded so the file runs in a few seconds; the deadline catches slow paths.
"""

from __future__ import annotations

import contextlib
import json
from datetime import timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fleet import vectors
from tests.fleet.streams import FRAMES
from warroom.fleet.protocols import PROTOCOLS, Decoded, DecodeError, PositionRecord, Session
from warroom.fleet.protocols.registry import Decoder

FUZZ = settings(
    max_examples=80,
    deadline=timedelta(milliseconds=500),
    suppress_health_check=[HealthCheck.too_slow],
)
LATEST_ZONE, EARLIEST_ZONE = timezone(timedelta(hours=14)), timezone(timedelta(hours=-12))
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


# -- well-formed JSON with hostile values, for the JSON protocols -------------------------------
# A valid message with a few members replaced, so that most examples get past the first check.
# Values are JSON text, not json.dumps output: that cannot write the NaN literals a phone could
# send, integers beyond Python's 4300-digit limit, or nesting deeper than it recurses.
JSON_DECODERS = [(name, PROTOCOLS[name].decode) for name in ("owntracks", "osmand")]
SIGNS = st.sampled_from(["", "-"])
HOSTILE_VALUES = st.one_of(
    st.builds(lambda sign, n: sign + "9" * n, SIGNS, st.integers(309, 4300)),  # beyond a float
    st.builds(lambda n: "9" * n, st.integers(4301, 6000)),  # beyond what json.loads reads
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1e-400", "-0.0"]),
    st.sampled_from(["true", "false", "null", '""', "[]", "{}", '"1"', "[1, 2]", '{"a": 1}']),
    st.builds(lambda depth: "[" * depth + "]" * depth, st.integers(1, 5000)),
    st.builds(lambda depth: '{"a": ' * depth + "1" + "}" * depth, st.integers(1, 3000)),
    st.builds(lambda n: '"' + "x" * n + '"', st.integers(1000, 300_000)),
    st.sampled_from(['"\\u0000"', '"\\ud800"', '"9999-12-31T23:59:59-14:00"', '"0001-01-01"']),
)
JSON_VALUES = st.one_of(
    HOSTILE_VALUES,
    st.integers(-(2**63), 2**63).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
)
OWNTRACKS = {"_type": '"location"', "lat": "-5.15", "lon": "119.43", "tst": "1700000000",
             "vel": "30", "cog": "90", "alt": "12", "acc": "8", "batt": "77", "tid": '"ab"',
             "topic": '"owntracks/a/b"', "t": '"u"', "conn": '"w"'}  # fmt: skip
OSMAND_COORDS = {"latitude": "-5.15", "longitude": "119.43", "speed": "5", "heading": "90",
                 "altitude": "12", "accuracy": "8"}  # fmt: skip
OSMAND_BATTERY = {"level": "0.5", "is_charging": "true"}
OSMAND_LOCATION = {"timestamp": '"2021-07-21T08:06:34Z"', "odometer": "12",
                   "is_moving": "true", "event": '"motionchange"'}  # fmt: skip
OSMAND_QUERY = {"id": "7", "lat": "-5.15", "lon": "119.43", "timestamp": "1700000000",
                "speed": "5", "bearing": "90", "altitude": "12", "batt": "50",
                "x": "1"}  # fmt: skip
QUERY_VALUES = st.one_of(
    st.sampled_from(["", "nan", "inf", "-inf", "1e400", "1,2", "true", "%00", "%ED%A0%80"]),
    st.builds(lambda sign, n: sign + "9" * n, SIGNS, st.integers(15, 5000)),
    st.builds(lambda n: "1" * n, st.integers(16, 400)),  # digits fromisoformat reads as a date
    st.sampled_from(["2024-01-01T08:00:00%2B08:00", "9999-12-31T23:59:59Z", "0001-01-01"]),
    st.builds(lambda n: "x" * n, st.integers(1000, 100_000)),
)


def _changed(
    draw: st.DrawFn, valid: dict[str, str], values: st.SearchStrategy[str]
) -> dict[str, str]:
    """`valid` with up to three members replaced by drawn values, or left out."""
    members = dict(valid)
    for key in draw(st.lists(st.sampled_from(sorted(valid)), unique=True, max_size=3)):
        value = draw(st.one_of(values, st.none()))
        if value is None:
            del members[key]
        else:
            members[key] = value
    return members


def _json_object(members: dict[str, str]) -> str:
    return "{" + ", ".join(f'"{key}": {value}' for key, value in members.items()) + "}"


@st.composite
def owntracks_json(draw: st.DrawFn) -> bytes:
    return _json_object(_changed(draw, OWNTRACKS, JSON_VALUES)).encode()


@st.composite
def osmand_json(draw: st.DrawFn) -> bytes:
    coords = _json_object(_changed(draw, OSMAND_COORDS, JSON_VALUES))
    battery = _json_object(_changed(draw, OSMAND_BATTERY, JSON_VALUES))
    location = _changed(
        draw, {**OSMAND_LOCATION, "coords": coords, "battery": battery}, JSON_VALUES
    )
    body = {"device_id": '"7"', "location": _json_object(location)}
    if draw(st.booleans()):
        body["location"] = f"[{body['location']}, {body['location']}]"  # a batch
    return _json_object(_changed(draw, body, JSON_VALUES)).encode()


@st.composite
def osmand_query(draw: st.DrawFn) -> bytes:
    params = _changed(draw, OSMAND_QUERY, QUERY_VALUES)
    return ("/?" + "&".join(f"{key}={value}" for key, value in params.items())).encode()


HOSTILE_MESSAGES = {
    "owntracks": owntracks_json(),
    "osmand": st.one_of(osmand_json(), osmand_query()),
}


def _check_records(decoded: Decoded) -> None:
    """What a decoder accepts can be stored and shown: finite numbers only (strict JSON),
    and a time that converts to any time zone."""
    json.dumps(decoded.to_json_lines(), allow_nan=False)
    for record in decoded.records:
        if isinstance(record, PositionRecord):
            for zone in (LATEST_ZONE, EARLIEST_ZONE):
                record.time.astimezone(zone)


@pytest.mark.parametrize(("name", "decode"), JSON_DECODERS, ids=[n for n, _ in JSON_DECODERS])
@settings(FUZZ, max_examples=200)
@given(data=st.data())
def test_json_with_hostile_values(name: str, decode: Decoder, data: st.DataObject) -> None:
    message = data.draw(HOSTILE_MESSAGES[name])
    decoded = _decode_safely(decode, message)
    if decoded is not None:
        _check_records(decoded)


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


# Standard 32-byte H02 binary frames from Traccar's H02ProtocolDecoderTest.
H02_BINARY_FRAMES = [
    bytes.fromhex(frame)
    for frame in (
        "2441060116601245431311165035313006004318210e000000fffffbffff0024",
        "2410307310010503162209022212874500113466574C014028fffffbffff0000",
        "24270517030820321418041423307879000463213792000056fffff9ffff0000",
    )
]


@FUZZ
@given(
    frame=st.sampled_from(H02_BINARY_FRAMES),
    flips=st.lists(st.tuples(st.integers(0, 31), st.integers(1, 255)), max_size=4),
    keep=st.integers(0, 32),
)
def test_h02_damaged_binary_frames_raise_only_decode_errors(
    frame: bytes, flips: list[tuple[int, int]], keep: int
) -> None:
    damaged = bytearray(frame)
    for at, mask in flips:
        damaged[at] ^= mask
    for message in (bytes(damaged[:keep]), bytes(damaged), bytes(damaged).hex().encode()):
        decoded = _decode_safely(PROTOCOLS["h02"].decode, message)
        if decoded is not None:
            decoded.to_json_lines()


@FUZZ
@given(data=st.data())
def test_h02_text_and_binary_frames_survive_noise_and_any_cuts(data: st.DataObject) -> None:
    """One connection mixing both forms, noise without markers between frames, cut anywhere:
    every frame comes out whole and in order."""
    frames = data.draw(
        st.lists(st.sampled_from(FRAMES["h02"] + H02_BINARY_FRAMES), min_size=1, max_size=8)
    )
    noise = [bytes(b for b in data.draw(st.binary(max_size=24)) if b not in b"*$") for _ in frames]
    stream = b"".join(gap + frame for gap, frame in zip(noise, frames, strict=True))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=6)))
    make = PROTOCOLS["h02"].framer
    assert make is not None
    framer = make()
    pieces = zip([0, *cuts], [*cuts, len(stream)], strict=True)
    assert [frame for a, b in pieces for frame in framer.feed(stream[a:b])] == frames
