"""The BMKG readers against recorded samples served from a local HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_settings
from tests.weather.conftest import wait_for
from tests.weather.test_feeds_parsing import CAP_SAMPLE, FIXTURES
from warroom.weather.config import WeatherSettings
from warroom.web.app import create_app


class FeedServer:
    """Serves ``routes`` (path -> (status, body)); tests change them between polls."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, bytes]] = {}
        routes = self.routes

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body = routes.get(self.path, (404, b"not found"))
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    server = FeedServer()
    yield server
    server.server.shutdown()


def _near_makassar_quake() -> bytes:
    sample = json.loads((FIXTURES / "autogempa.json").read_text())
    when = (datetime.now(UTC) - timedelta(minutes=20)).replace(microsecond=0)
    sample["Infogempa"]["gempa"] |= {
        "DateTime": when.isoformat(),
        "Coordinates": "-5.60,119.20",
        "Magnitude": "5.6",
        "Wilayah": "Pusat gempa di laut 50 km Selatan Takalar",
    }
    return json.dumps(sample).encode()


def _makassar_warning() -> bytes:
    expires = (datetime.now(UTC) + timedelta(hours=2)).astimezone().isoformat(timespec="seconds")
    return (
        CAP_SAMPLE.replace(
            b"0.919,122.117 0.916,122.116 0.900,122.130 0.910,122.140 0.919,122.117",
            b"-5.10,119.40 -5.10,119.45 -5.15,119.45 -5.15,119.40 -5.10,119.40",
        )
        .replace(b"2026-09-24T17:27:00+08:00", expires.encode())
        .replace(b"2.49.0.1.360.0.2026.09.24.07.75.002", b"2.49.0.1.360.0.2026.11.27.07.73.001")
    )


@pytest.mark.slow
def test_feeds_raise_alerts_and_keep_last_good_data(
    feeds: FeedServer, db_url: str, tmp_path: Path
) -> None:
    feeds.routes.update(
        {
            "/autogempa.json": (200, _near_makassar_quake()),
            "/gempaterkini.json": (200, (FIXTURES / "autogempa.json").read_bytes()),
            "/rss.xml": (
                200,
                f"<rss><channel><item><link>{feeds.url}/cap/1.xml</link></item>"
                f"<item><link>{feeds.url}/cap/2.xml</link></item></channel></rss>".encode(),
            ),
            "/cap/1.xml": (200, _makassar_warning()),
            "/cap/2.xml": (200, CAP_SAMPLE),
            "/forecast?adm4=73.71.01.1001": (
                200,
                json.dumps(
                    {
                        "lokasi": {"adm4": "73.71.01.1001", "desa": "Mariso"},
                        "data": [{"cuaca": [[{"local_datetime": "2026-11-27 14:00:00", "t": 31}]]}],
                    }
                ).encode(),
            ),
        }
    )
    app = create_app(make_settings(db_url, tmp_path))
    app.state.weather_settings = WeatherSettings(
        autogempa_url=f"{feeds.url}/autogempa.json",
        gempaterkini_url=f"{feeds.url}/gempaterkini.json",
        gempadirasakan_url=f"{feeds.url}/down.json",
        nowcast_rss_url=f"{feeds.url}/rss.xml",
        forecast_url=f"{feeds.url}/forecast",
        forecast_adm4=["73.71.01.1001"],
        poll_seconds=3600,
    )
    with TestClient(app) as client:
        from tests.conftest import bearer, create_account
        from warroom.core.security.permissions import Role

        headers = bearer(client, create_account(app.state.db, Role.OPERATOR))
        service = wait_for(lambda: getattr(app.state, "weather_bmkg", None), what="reader")
        wait_for(lambda: service.polls >= 1, what="first poll")

        alerts = client.get("/api/weather/alerts", headers=headers).json()
        kinds = {a["kind"]: a for a in alerts}
        assert set(kinds) == {"quake", "cap"}, (
            "the far Sulawesi quake and Gorontalo warning stay quiet"
        )
        assert kinds["cap"]["kecamatan"] and kinds["cap"]["kecamatan_approximate"]
        assert kinds["quake"]["level"] == "M5.6"
        quakes = client.get("/api/weather/earthquakes", headers=headers).json()
        assert len(quakes) == 2
        warnings = client.get("/api/weather/warnings.geojson?include_expired=true", headers=headers)
        touching = {f["id"]: f["properties"]["touches_city"] for f in warnings.json()["features"]}
        assert touching == {
            "2.49.0.1.360.0.2026.11.27.07.73.001": True,
            "2.49.0.1.360.0.2026.09.24.07.75.002": False,
        }
        status = {f["name"]: f for f in client.get("/api/weather/feeds", headers=headers).json()}
        assert (
            status["gempadirasakan"]["ok"] is False
            and "HTTP 404" in status["gempadirasakan"]["last_error"]
        )
        assert status["autogempa"]["ok"] and status["nowcast"]["ok"]

        # The forecast server breaks: the last good forecast stays, with its age and the error.
        feeds.routes["/forecast?adm4=73.71.01.1001"] = (200, b"<html>maintenance</html>")
        client.portal.call(service.poll_once, app, app.state.weather_settings)  # type: ignore[union-attr]
        (forecast,) = client.get("/api/weather/forecast", headers=headers).json()
        assert forecast["desa"] == "Mariso" and forecast["age_seconds"] >= 0
        assert "not JSON" in forecast["last_error"]
