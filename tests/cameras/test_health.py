"""A recorder's status from its frame rate: degraded only when the rate stays low."""

from __future__ import annotations

from warroom.cameras.health import SLOW_REPORTS_BEFORE_DEGRADED, Health

REPORT_SECONDS = 3.0


def _report(health: Health, fps: float, reports: int, clock: list[float]) -> None:
    """`reports` progress reports at `fps` frames a second, one every REPORT_SECONDS."""
    for _ in range(reports):
        clock[0] += REPORT_SECONDS
        clock[1] += int(fps * REPORT_SECONDS)
        health.frame_report(int(clock[1]), clock[0])


def test_one_slow_window_does_not_flip_a_healthy_camera() -> None:
    health, clock = Health(), [0.0, 0.0]
    _report(health, 25, 10, clock)
    assert health.status() == "online"
    _report(health, 5, SLOW_REPORTS_BEFORE_DEGRADED - 1, clock)  # a busy moment
    assert health.fps < 12.5 and health.status() == "online"
    _report(health, 25, 3, clock)
    assert health.status() == "online"


def test_a_rate_that_stays_low_is_degraded_and_recovers() -> None:
    health, clock = Health(), [0.0, 0.0]
    _report(health, 25, 10, clock)
    _report(health, 5, SLOW_REPORTS_BEFORE_DEGRADED + 2, clock)
    assert health.status() == "degraded"
    _report(health, 25, FPS_REPORTS_TO_RECOVER, clock)
    assert health.status() == "online"


def test_a_new_run_starts_online() -> None:
    health, clock = Health(), [0.0, 0.0]
    _report(health, 25, 10, clock)
    _report(health, 2, 10, clock)
    assert health.status() == "degraded"
    health.new_run(clock[0])
    assert health.status() == "online"


# The window holds three reports: the rate is back above half after two fast ones.
FPS_REPORTS_TO_RECOVER = 2
