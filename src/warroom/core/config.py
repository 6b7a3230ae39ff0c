"""Settings: environment variables (prefix ``WARROOM_``) over an optional TOML file over defaults.

The TOML file is named by ``WARROOM_CONFIG``; environment variables win over it so an operator
can override one value without editing the file.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

# Secrets that must never protect a real deployment; refused outside demo mode.
INSECURE_SECRETS = frozenset({"", "change-me", "demo", "secret", "warroom-demo-secret"})
DEMO_SECRET = "warroom-demo-secret"  # noqa: S105 - only accepted in demo mode, see _refuse_default_secret


class ConfigError(ValueError):
    """The configuration cannot be used; the message says which setting and why."""


class Settings(BaseSettings):
    """Everything an operator can set. Field descriptions double as `warroom` documentation."""

    model_config = SettingsConfigDict(
        env_prefix="WARROOM_",
        extra="forbid",
        validate_default=True,
    )

    demo: bool = Field(
        default=False,
        description="Demo mode: loads the Makassar demo city and accepts the built-in secret.",
    )
    data_dir: Path = Field(
        default=Path("var"),
        description="Folder for the SQLite database, recordings and other local state.",
    )
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL. Empty means SQLite file `warroom.db` in the data folder; "
        "`postgresql+psycopg://...` selects PostgreSQL.",
    )
    bus_url: str = Field(
        default="memory://",
        description="Event bus: `memory://` (in-process) or `nats://host:4222` (NATS JetStream).",
    )
    secret_key: SecretStr = Field(
        default=SecretStr(""),
        description="Key for signing cookies and CSRF tokens. Required outside demo mode.",
    )
    host: str = Field(default="127.0.0.1", description="Address the web server binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port of the web server.")
    https: bool = Field(
        default=False,
        description="Set when served over HTTPS (directly or behind a proxy): marks cookies "
        "Secure and sends HSTS.",
    )
    map_tiles: str = Field(
        default="",
        description="Map background: empty (regions only, works offline), a tile URL template "
        "like `http://tiles.local/{z}/{x}/{y}.png`, or the path of a local raster .pmtiles file.",
    )
    map_attribution: str = Field(default="", description="Attribution shown for the map tiles.")
    osm_file: Path | None = Field(
        default=None,
        description="OpenStreetMap extract (.osm, .osm.pbf) for routing. Without it, routing uses "
        "a synthetic road network over the city, labelled synthetic in the UI and API.",
    )
    road_speeds_kmh: dict[str, float] = Field(
        default_factory=dict,
        description="Speeds by OSM highway class that replace the defaults for routing, e.g. "
        '`{"primary": 45, "residential": 20}` (TOML table or JSON in the environment).',
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Lowest level written to the JSON log."
    )
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Largest request body accepted (HTTP 413 above)."
    )
    session_hours: float = Field(
        default=12.0, gt=0, description="Lifetime of a UI login session (one shift plus margin)."
    )
    login_max_failures: int = Field(
        default=5, ge=1, description="Failed logins in a row before an account is locked."
    )
    login_lockout_minutes: float = Field(
        default=15.0, gt=0, description="How long an account stays locked after too many failures."
    )
    login_attempts_per_minute: int = Field(
        default=20, ge=1, description="Login attempts one client address may make per minute."
    )
    audit_anchor_file: Path | None = Field(
        default=None,
        description="File, best on other storage, where the audit trail's head (entry id and "
        "hash) is appended every `audit_anchor_minutes`; `warroom audit verify --anchors FILE` "
        "then detects deleted or rewritten newest entries. Empty: no anchors.",
    )
    audit_anchor_minutes: float = Field(
        default=15.0, gt=0, description="How often the audit head is anchored (when a file is set)."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml_path = os.environ.get("WARROOM_CONFIG")
        if toml_path:
            if not Path(toml_path).is_file():
                raise ConfigError(f"WARROOM_CONFIG points to {toml_path!r}, which is not a file")
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        secret = self.secret_key.get_secret_value()
        if self.demo and not secret:
            self.secret_key = SecretStr(DEMO_SECRET)
        elif not self.demo and (secret in INSECURE_SECRETS or len(secret) < 16):
            raise ConfigError(
                "WARROOM_SECRET_KEY must be set to a random value of at least 16 characters "
                "(for example: python -c 'import secrets; print(secrets.token_urlsafe(32))'); "
                "the default is only accepted by `warroom demo`"
            )
        return self

    @cached_property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'warroom.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")


def load_settings(**overrides: Any) -> Settings:
    """Read settings, turning validation failures into one readable ConfigError."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from None
