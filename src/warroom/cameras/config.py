"""Settings of the cameras domain (environment prefix ``WARROOM_CAMERAS_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

GIB = 1024**3


class CamerasSettings(BaseSettings):
    """Where video goes, how recorders behave and how much disk each tier may use."""

    model_config = SettingsConfigDict(env_prefix="WARROOM_CAMERAS_", extra="forbid")

    hot_root: Path | None = Field(
        default=None,
        description="Folder of the hot tier (full video). Empty: `<data_dir>/video/hot`.",
    )
    archive_root: Path | None = Field(
        default=None,
        description="Folder of the archive tier (keyframes only). "
        "Empty: `<data_dir>/video/archive`.",
    )
    hot_budget_bytes: int = Field(
        default=500 * GIB, ge=0, description="Disk budget of the hot tier; oldest video goes first."
    )
    archive_budget_bytes: int = Field(
        default=2000 * GIB, ge=0, description="Disk budget of the archive tier; oldest first."
    )
    segment_seconds: float = Field(
        default=10.0, gt=0, le=600, description="Length of one recorded segment (cut on keyframes)."
    )
    stall_seconds: float = Field(
        default=6.0, gt=0, description="Watchdog: restart a recorder that wrote no frame this long."
    )
    connect_timeout_seconds: float = Field(
        default=5.0, gt=0, description="RTSP socket timeout given to ffmpeg (`-timeout`)."
    )
    retry_seconds: float = Field(
        default=2.0, gt=0, le=8, description="Pause before reconnecting a failed recorder."
    )
    recording: bool = Field(
        default=True, description="Run recorders for cameras that have recording switched on."
    )
    sweep_interval_seconds: float = Field(
        default=300.0, gt=0, description="How often retention and archiving run."
    )
    demo_cameras: int = Field(
        default=4, ge=0, le=64, description="Simulated cameras `warroom demo` serves and registers."
    )
    demo_rtsp_port: int = Field(
        default=8654, ge=1024, le=65535, description="Loopback RTSP port of the demo cameras."
    )
    ffmpeg: str = Field(default="ffmpeg", description="ffmpeg executable (Debian package).")

    def hot_dir(self, data_dir: Path) -> Path:
        return self.hot_root or data_dir / "video" / "hot"

    def archive_dir(self, data_dir: Path) -> Path:
        return self.archive_root or data_dir / "video" / "archive"

    def exports_dir(self, data_dir: Path) -> Path:
        return data_dir / "video" / "exports"

    def live_dir(self, data_dir: Path) -> Path:
        return data_dir / "video" / "live"
