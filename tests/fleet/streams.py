"""Valid frames per stream protocol (from the shared vectors), for framing and fuzz tests."""

from __future__ import annotations

from tests.fleet import vectors

_BY_ID = {vector["id"]: vectors.message_bytes(vector) for vector in vectors.load()}
LINE_END = {"nmea": b"\r\n"}
FRAMES: dict[str, list[bytes]] = {
    "gt06": [_BY_ID["L1"], _BY_ID["G1"], _BY_ID["G3"], _BY_ID["G7"]],
    "teltonika": [_BY_ID["T10"], _BY_ID["T1"], _BY_ID["T3"], _BY_ID["T5"]],
    "h02": [_BY_ID["H1"], _BY_ID["H2"], _BY_ID["H4"]],
    "nmea": [_BY_ID["N1"] + b"\r\n", _BY_ID["N2"] + b"\r\n", _BY_ID["N5"] + b"\n"],
    "tk103": [_BY_ID["K1"], _BY_ID["K1"]],
    "gps103": [_BY_ID["K3"], b"##,imei:359710045559474,A;", b"359710045559474;"],
}
