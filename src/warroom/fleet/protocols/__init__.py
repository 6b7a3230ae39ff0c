"""GPS tracker protocol decoders: pure functions from bytes to records and replies.

No I/O here: listeners feed bytes through `ProtocolSpec.framer` and `ProtocolSpec.decode` and
send `Decoded.reply` back. One module per protocol; see `registry` for the table.
"""

from warroom.fleet.protocols.framing import FrameOverflowError, Framer
from warroom.fleet.protocols.records import (
    AlarmRecord,
    Decoded,
    DecodeError,
    HeartbeatRecord,
    LoginRecord,
    PositionRecord,
    Record,
)
from warroom.fleet.protocols.registry import PROTOCOLS, ProtocolSpec
from warroom.fleet.protocols.session import Session

__all__ = [
    "PROTOCOLS",
    "AlarmRecord",
    "DecodeError",
    "Decoded",
    "FrameOverflowError",
    "Framer",
    "HeartbeatRecord",
    "LoginRecord",
    "PositionRecord",
    "ProtocolSpec",
    "Record",
    "Session",
]
