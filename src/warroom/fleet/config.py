"""Fleet settings: environment variables with the prefix ``WARROOM_FLEET_``.

Listeners are off unless named in ``listeners`` (``gt06,teltonika:6027``), so tests and
installs without trackers open no ports. A port of 0 asks the OS for a free one.
"""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from warroom.fleet.protocols import PROTOCOLS


class FleetConfig(BaseSettings):
    """How trackers are received, filtered, stored and turned into events."""

    model_config = SettingsConfigDict(env_prefix="WARROOM_FLEET_", extra="forbid")

    listeners: str = Field(
        default="",
        description="Comma-separated protocols to listen for, each optionally `name:port` "
        "(port 0: any free port), e.g. `osmand,gt06,teltonika:6027`. `all` means every "
        "protocol on its default port. Empty: no listener.",
    )
    bind_host: str = Field(default="0.0.0.0", description="Address the tracker listeners bind to.")  # noqa: S104
    udp: bool = Field(default=True, description="Also listen on UDP for protocols that allow it.")
    mqtt_url: str = Field(
        default="",
        description="MQTT broker for OwnTracks, e.g. `mqtt://127.0.0.1:1883`; empty: off.",
    )
    mqtt_topic: str = Field(default="owntracks/+/+", description="OwnTracks topic filter.")
    mqtt_client_id: str = Field(
        default="warroom-fleet",
        description="MQTT client id; the broker keeps its session (QoS 1 messages are queued "
        "while warroom is down).",
    )
    auto_register: bool = Field(
        default=False,
        description="Register unknown devices on first contact (off: they are listed for an "
        "admin to register).",
    )
    batch_max_rows: int = Field(
        default=2000, ge=1, description="Group commit: most positions written in one commit."
    )
    batch_max_ms: float = Field(
        default=50.0, gt=0, description="Group commit: longest wait to fill a commit (ms)."
    )
    filter_invalid: bool = Field(default=True, description="Drop fixes the device marks invalid.")
    filter_duplicates: bool = Field(
        default=True, description="Drop a fix whose device and time were already stored."
    )
    filter_future_seconds: float = Field(
        default=600.0, ge=0, description="Drop fixes this far ahead of the server clock; 0: off."
    )
    filter_past_days: float = Field(
        default=30.0, ge=0, description="Drop fixes older than this many days; 0: off."
    )
    filter_max_speed_kmh: float = Field(
        default=300.0,
        ge=0,
        description="Drop a fix implying a jump faster than this from the previous one; 0: off.",
    )
    offline_after_seconds: float = Field(
        default=300.0, gt=0, description="A device silent this long is reported offline."
    )
    overspeed_kmh: float = Field(
        default=80.0, gt=0, description="Speed limit for vehicles without their own limit."
    )
    moving_speed_kmh: float = Field(
        default=5.0, gt=0, description="A fix at or above this speed counts as moving."
    )
    trip_min_distance_m: float = Field(
        default=200.0, ge=0, description="Distance a vehicle must move to start a trip."
    )
    trip_min_stop_seconds: float = Field(
        default=180.0, ge=0, description="Standing still this long ends a trip (a stop)."
    )
    trip_stop_gap_seconds: float = Field(
        default=3600.0, gt=0, description="No data for this long ends a trip."
    )
    live_hz: float = Field(
        default=4.0, gt=0, le=20, description="How often the live map gets position batches."
    )
    retention_days: float = Field(
        default=365.0, ge=0, description="Positions older than this are purged; 0: keep all."
    )
    purge_interval_hours: float = Field(
        default=6.0, gt=0, description="How often the retention purge runs."
    )
    idle_timeout_seconds: float = Field(
        default=900.0, gt=0, description="Close a tracker connection silent for this long."
    )
    simulate_vehicles: int = Field(
        default=0, ge=0, description="Run the simulator with this many vehicles (demo)."
    )
    simulate_interval_seconds: float = Field(
        default=5.0, ge=0.1, description="Seconds between two reports of a simulated vehicle."
    )

    @field_validator("listeners")
    @classmethod
    def _known_protocols(cls, value: str) -> str:
        parse_listeners(value)
        return value

    def listener_ports(self) -> dict[str, int]:
        return parse_listeners(self.listeners)


def parse_listeners(text: str) -> dict[str, int]:
    """`gt06,teltonika:0` -> {"gt06": 5023, "teltonika": 0}; ValueError names a bad entry."""
    if text.strip() == "all":
        return {name: spec.port for name, spec in PROTOCOLS.items() if name != "owntracks"}
    ports: dict[str, int] = {}
    for entry in filter(None, (part.strip() for part in text.split(","))):
        name, _, port = entry.partition(":")
        spec = PROTOCOLS.get(name)
        if spec is None or name == "owntracks":
            known = ", ".join(sorted(set(PROTOCOLS) - {"owntracks"}))
            raise ValueError(f"unknown tracker protocol {name!r}; known: {known}")
        if port and not (port.isdigit() and int(port) <= 65535):
            raise ValueError(f"bad port in {entry!r}")
        ports[name] = int(port) if port else spec.port
    return ports
