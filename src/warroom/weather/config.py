"""Settings of the weather domain (environment prefix ``WARROOM_WEATHER_``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

BMKG_BASE = "https://data.bmkg.go.id"


class WeatherSettings(BaseSettings):
    """Where observations and BMKG feeds come from, and when they raise alerts."""

    model_config = SettingsConfigDict(env_prefix="WARROOM_WEATHER_", extra="forbid")

    mqtt_url: str = Field(
        default="",
        description="Broker the station listener subscribes to, `mqtt://host:1883`. Empty "
        "switches the listener off (the demo uses mqtt://127.0.0.1:1883). Broker users, "
        "passwords and ACLs are the broker's business (see docs/weather.md).",
    )
    mqtt_username: str = Field(default="", description="Broker user name, if it requires one.")
    mqtt_password: str = Field(default="", description="Broker password, if it requires one.")
    mqtt_topic_prefix: str = Field(
        default="warroom/weather",
        description="Stations publish to `<prefix>/<station code>/observations`.",
    )
    mqtt_client_id: str = Field(
        default="warroom-weather-ingest",
        description="Client id of the listener; its persistent session keeps unacknowledged "
        "messages for it across restarts.",
    )
    batch_size: int = Field(
        default=2000, ge=1, le=50_000, description="Most observations committed in one batch."
    )
    batch_wait_seconds: float = Field(
        default=0.05, gt=0, le=5, description="Longest wait to fill a batch before committing."
    )
    stuck_count: int = Field(
        default=12,
        ge=3,
        description="Identical consecutive readings after which a sensor counts as stuck.",
    )
    gap_factor: float = Field(
        default=3.0,
        gt=1,
        description="A reading after more than this many expected intervals is flagged as "
        "following a gap.",
    )
    rain_alert_category: str = Field(
        default="heavy",
        pattern="^(light|moderate|heavy|very_heavy|extreme)$",
        description="Lowest BMKG rain category (1-hour or 24-hour) that opens an alert.",
    )
    forecast_url: str = Field(
        default="",
        description="BMKG forecast API, `{base}/publik/prakiraan-cuaca`; empty switches it off.",
    )
    forecast_adm4: list[str] = Field(
        default_factory=list,
        description="Kelurahan codes (adm4, e.g. 73.71.01.1001) whose forecasts are read.",
    )
    nowcast_rss_url: str = Field(
        default="",
        description="BMKG CAP nowcast RSS, `{base}/alerts/nowcast/id/rss.xml`; empty: off.",
    )
    autogempa_url: str = Field(
        default="", description="BMKG latest earthquake, `.../DataMKG/TEWS/autogempa.json`."
    )
    gempaterkini_url: str = Field(
        default="", description="BMKG recent M5+ earthquakes, `.../gempaterkini.json`."
    )
    gempadirasakan_url: str = Field(
        default="", description="BMKG felt earthquakes, `.../gempadirasakan.json`."
    )
    poll_seconds: float = Field(default=300, ge=1, description="How often each BMKG feed is read.")
    http_timeout_seconds: float = Field(
        default=15, gt=0, le=120, description="Time limit of one BMKG request."
    )
    quake_radius_km: float = Field(
        default=300, gt=0, description="Earthquakes within this distance of the city alert."
    )
    quake_min_magnitude: float = Field(
        default=5.0, ge=0, description="Earthquakes of at least this magnitude alert."
    )
    city_lat: float = Field(default=-5.1477, description="City centre latitude (distances).")
    city_lon: float = Field(default=119.4327, description="City centre longitude (distances).")
    city_bbox: tuple[float, float, float, float] = Field(
        default=(-5.23, 119.37, -5.03, 119.55),
        description="min_lat, min_lon, max_lat, max_lon of the city, used when no boundary "
        "polygons were imported for it.",
    )
    simulator: bool = Field(
        default=False,
        description="Publish simulated station readings over Makassar to the broker "
        "(on in `warroom demo`).",
    )
    simulator_interval_seconds: float = Field(
        default=10, ge=0.1, description="Seconds between two readings of a simulated station."
    )
