"""Every supported tracker protocol, by name: port, transports, decoder and framer.

Listeners (TCP/UDP/HTTP/MQTT) only use this table: for a stream, `framer()` per connection
then `decode(frame, session)` per frame; for a datagram `decode_datagram or decode`; for HTTP
and MQTT `decode(body, session)`. Each call returns a `Decoded` (records plus the reply bytes
to send back, if any) or raises `DecodeError` (drop that frame; the framer has already moved
past it). `FrameOverflowError` from a framer means: close that connection.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from warroom.fleet.protocols import gt06, h02, nmea, osmand, owntracks, teltonika, tk103
from warroom.fleet.protocols.framing import Framer
from warroom.fleet.protocols.records import Decoded
from warroom.fleet.protocols.session import Session

Transport = Literal["tcp", "udp", "http", "mqtt"]
Decoder = Callable[[bytes, Session], Decoded]


@dataclass(frozen=True)
class ProtocolSpec:
    name: str
    port: int
    transports: tuple[Transport, ...]
    decode: Decoder
    # Stream protocols cut TCP bytes into frames; None for HTTP/MQTT message protocols.
    framer: Callable[[], Framer] | None = None
    # UDP datagrams with their own envelope (Teltonika); otherwise `decode` is used.
    decode_datagram: Decoder | None = None
    # How a person types one message for `warroom fleet decode`: hex or text.
    binary: bool = False
    description: str = ""


_SPECS = (
    ProtocolSpec(
        "osmand",
        5055,
        ("http",),
        osmand.decode,
        description="OsmAnd / Traccar Client (HTTP query or JSON)",
    ),
    ProtocolSpec(
        "gt06",
        5023,
        ("tcp",),
        gt06.decode,
        gt06.Gt06Framer,
        binary=True,
        description="GT06 / Concox binary",
    ),
    ProtocolSpec(
        "h02",
        5013,
        ("tcp", "udp"),
        h02.decode,
        h02.framer,
        description="H02 text (*HQ,...#) and binary ($..., typed as hex)",
    ),
    ProtocolSpec(
        "teltonika",
        5027,
        ("tcp", "udp"),
        teltonika.decode,
        teltonika.TeltonikaFramer,
        decode_datagram=teltonika.decode_datagram,
        binary=True,
        description="Teltonika Codec 8, 8E, 16",
    ),
    ProtocolSpec(
        "nmea",
        5005,
        ("tcp",),
        nmea.decode,
        nmea.framer,
        description="NMEA 0183 sentences ($GPRMC...)",
    ),
    ProtocolSpec(
        "tk103",
        5002,
        ("tcp",),
        tk103.decode_tk103,
        tk103.tk103_framer,
        description="TK103 text ((id BR00 ...))",
    ),
    ProtocolSpec(
        "gps103",
        5001,
        ("tcp",),
        tk103.decode_gps103,
        tk103.gps103_framer,
        description="GPS103 / Coban text (imei:...;)",
    ),
    # OwnTracks publishes to an MQTT broker; the port is the broker's, which warroom
    # subscribes to rather than listens on.
    ProtocolSpec(
        "owntracks",
        1883,
        ("mqtt", "http"),
        owntracks.decode,
        description="OwnTracks JSON (MQTT or HTTP)",
    ),
)

PROTOCOLS: dict[str, ProtocolSpec] = {spec.name: spec for spec in _SPECS}
