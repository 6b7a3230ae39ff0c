"""Per-connection state shared by the decoder calls of one connection.

GT06, Teltonika (TCP) and NMEA/T55 send the device id only once, in a login frame; later
frames carry no id. The decoder sets `device_id` on login and reads it for later frames.
Listeners create one `Session` per TCP connection, per UDP peer, or per MQTT topic; the CLI
uses one per invocation so `decode gt06 LOGIN POSITION` attributes the position.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Session:
    device_id: str | None = None
    # GT06 extended logins announce the offset of the device clock from UTC; later frames
    # carry local times. Zero for every other protocol.
    utc_offset_minutes: int = 0
