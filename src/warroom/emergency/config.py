"""Emergency settings: environment variables with the prefix ``WARROOM_EMERGENCY_``.

Response targets default to NENA-STA-020.1 (calls answered 90% within 15 s) and the England
ambulance response standard of 2017 (most urgent: mean 7 min, 90% within 15 min; category 2:
mean 18 min, 90% within 40 min; then 90% within 120 and 180 min).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class PriorityTarget(BaseModel):
    """Targets for one priority, in seconds (None: no target)."""

    model_config = ConfigDict(extra="forbid")

    call_to_dispatch_p90_s: float | None = Field(
        default=None, description="90% of incidents dispatched within this time of the call."
    )
    response_mean_s: float | None = Field(
        default=None, description="Mean total response time (call to first arrival)."
    )
    response_p90_s: float = Field(
        description="90% of incidents reached within this time of the call; an incident "
        "still unreached after it raises a breach alert."
    )


DEFAULT_TARGETS = {
    1: PriorityTarget(call_to_dispatch_p90_s=120, response_mean_s=420, response_p90_s=900),
    2: PriorityTarget(call_to_dispatch_p90_s=240, response_mean_s=1080, response_p90_s=2400),
    3: PriorityTarget(call_to_dispatch_p90_s=900, response_p90_s=7200),
    4: PriorityTarget(call_to_dispatch_p90_s=1800, response_p90_s=10800),
}


class EmergencyConfig(BaseSettings):
    """Call handling, duplicate detection, arrival detection, targets and the demo stream."""

    model_config = SettingsConfigDict(env_prefix="WARROOM_EMERGENCY_", extra="forbid")

    duplicate_radius_m: float = Field(
        default=300.0,
        gt=0,
        description="Calls of the same type within this distance of an "
        "open incident are suggested as duplicates.",
    )
    duplicate_window_minutes: float = Field(
        default=30.0, gt=0, description="... and within this many minutes of its last call."
    )
    arrival_radius_m: float = Field(
        default=100.0,
        gt=0,
        description="A unit inside this circle around its incident is on "
        "scene (arrival is set from GPS).",
    )
    answer_target_s: float = Field(
        default=15.0, gt=0, description="Calls answered within this many seconds..."
    )
    answer_target_share: float = Field(
        default=0.9, gt=0, le=1, description="... for at least this share of calls."
    )
    targets: dict[int, PriorityTarget] = Field(
        default_factory=lambda: dict(DEFAULT_TARGETS),
        description="Response targets per priority 1..4 (JSON in the environment).",
    )
    watch_seconds: float = Field(
        default=10.0, gt=0, description="How often open incidents are checked for breaches."
    )
    max_recommend_seconds: float = Field(
        default=3600.0, gt=0, description="Units farther than this by road are not recommended."
    )
    demo_calls_per_hour: float = Field(
        default=120.0, ge=0, description="`warroom demo`: rate of simulated 112 calls."
    )
