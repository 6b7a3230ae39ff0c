"""The live feed: bus events reach authenticated WebSocket clients, scoped by agency."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.conftest import create_account, login_browser_session, make_settings
from tests.services import NATS_URL, require_service
from warroom.core.bus.events import Event
from warroom.core.db import Database
from warroom.core.security.permissions import Principal, Role
from warroom.web.app import create_app
from warroom.web.feed import _Client
from warroom.web.feed_filter import FeedFilter


class AlarmRaised(Event):
    topic = "test.alarm_raised"
    message: str
    agency_code: str | None = None


def _publish(client: TestClient, event: Event) -> None:
    client.portal.call(client.app.state.bus.publish, event)  # type: ignore[union-attr,attr-defined]


def _next_event(ws: object, topic: str = AlarmRaised.topic) -> dict[str, object]:
    """The next feed item of ``topic`` (other domains' events, such as logins, may interleave)."""
    while True:
        item = json.loads(ws.receive_text())  # type: ignore[attr-defined]
        if item.get("topic") == topic:
            return item  # type: ignore[no-any-return]


def test_anonymous_socket_is_closed_with_4401(client: TestClient) -> None:
    with client.websocket_connect("/ws/events") as ws, pytest.raises(WebSocketDisconnect) as exc:
        ws.receive_text()
    assert exc.value.code == 4401


def test_cross_site_socket_is_refused(client: TestClient, app_db: Database) -> None:
    login_browser_session(client, create_account(app_db, Role.OPERATOR))
    with (
        pytest.raises(WebSocketDisconnect),
        client.websocket_connect("/ws/events", headers={"origin": "http://evil.example"}) as ws,
    ):
        ws.receive_text()


def test_published_event_reaches_the_feed(client: TestClient, app_db: Database) -> None:
    login_browser_session(client, create_account(app_db, Role.OPERATOR))
    with client.websocket_connect("/ws/events", headers={"origin": "http://testserver"}) as ws:
        _publish(client, AlarmRaised(message="banjir di Tamalate"))
        item = _next_event(ws)
    assert item["topic"] == "test.alarm_raised" and item["message"] == "banjir di Tamalate"


def test_partner_sees_only_its_agencys_events(client: TestClient, app_db: Database) -> None:
    login_browser_session(client, create_account(app_db, Role.PARTNER, agency="fire"))
    with client.websocket_connect("/ws/events") as ws:
        _publish(client, AlarmRaised(message="for police", agency_code="police"))
        _publish(client, AlarmRaised(message="not scoped"))
        _publish(client, AlarmRaised(message="for fire", agency_code="fire"))
        item = _next_event(ws)
    assert item.get("message") == "for fire", item


def test_changes_reach_the_feed_through_the_outbox(
    client: TestClient, app_db: Database, admin_headers: dict[str, str]
) -> None:
    login_browser_session(client, create_account(app_db, Role.SUPERVISOR))
    with client.websocket_connect("/ws/events") as ws:
        client.post(
            "/api/users",
            headers=admin_headers,
            json={"username": "baru", "role": "operator", "password": "x" * 12},
        )
        while (item := _next_event(ws, "accounts.user_created"))["username"] != "baru":
            pass  # earlier accounts made by the fixtures
    assert item["role"] == "operator"


@pytest.mark.nats
def test_feed_over_nats_jetstream(db_url: str, tmp_path: Path) -> None:
    """The same path with the NATS backend a multi-process deployment uses."""
    require_service("NATS", "127.0.0.1", 4222)
    settings = make_settings(db_url, tmp_path, bus_url=NATS_URL)
    with TestClient(create_app(settings)) as nats_client:
        assert nats_client.get("/readyz").json()["checks"]["bus"] == "ok"
        app_db = nats_client.app.state.db  # type: ignore[attr-defined]
        login_browser_session(nats_client, create_account(app_db, Role.OPERATOR))
        with nats_client.websocket_connect("/ws/events") as ws:
            _publish(nats_client, AlarmRaised(message="pohon tumbang di Jl. Urip Sumoharjo"))
            item = _next_event(ws)
    assert item["message"] == "pohon tumbang di Jl. Urip Sumoharjo"


def test_new_screen_gets_recent_events_first(
    client: TestClient, app_db: Database, admin_headers: dict[str, str]
) -> None:
    client.post(
        "/api/users",
        headers=admin_headers,
        json={"username": "sebelumnya", "role": "analyst", "password": "x" * 12},
    )
    login_browser_session(client, create_account(app_db, Role.OPERATOR))
    with client.websocket_connect("/ws/events") as ws:
        while (item := _next_event(ws, "accounts.user_created"))["username"] != "sebelumnya":
            pass
    assert item["replayed"] is True


class GaugeRead(Event):
    topic = "testgauge.level_read"
    level_cm: int


def _first_item(ws: object) -> dict[str, object]:
    """The first feed item that is not a keep-alive."""
    while True:
        item = json.loads(ws.receive_text())  # type: ignore[attr-defined]
        if item.get("type") != "ping":
            return item  # type: ignore[no-any-return]


def test_domain_filter_keeps_other_domains_off_the_screen(
    client: TestClient, app_db: Database, admin_headers: dict[str, str]
) -> None:
    client.post(  # an accounts event waits in the outbox for the replay
        "/api/users",
        headers=admin_headers,
        json={"username": "tersaring", "role": "analyst", "password": "x" * 12},
    )
    login_browser_session(client, create_account(app_db, Role.OPERATOR))
    with client.websocket_connect("/ws/events?domains=testgauge") as ws:
        _publish(client, AlarmRaised(message="not a gauge"))
        _publish(client, GaugeRead(level_cm=180))
        item = _first_item(ws)
    assert item["topic"] == "testgauge.level_read" and "replayed" not in item, item


def test_agency_filter_shows_one_agencys_events(client: TestClient, app_db: Database) -> None:
    login_browser_session(client, create_account(app_db, Role.SUPERVISOR))
    with client.websocket_connect("/ws/events?domains=test&agency=fire") as ws:
        _publish(client, AlarmRaised(message="for police", agency_code="police"))
        _publish(client, AlarmRaised(message="not scoped"))
        _publish(client, AlarmRaised(message="for fire", agency_code="fire"))
        item = _first_item(ws)
    assert item.get("message") == "for fire", item


def test_a_filter_cannot_widen_a_partners_view() -> None:
    partner = Principal(
        kind="user",
        id=1,
        name="damkar",
        role=Role.PARTNER,
        agency_code="fire",
        permissions=frozenset(),
        via="session",
    )
    client = _Client(partner, FeedFilter(agency="police"))
    assert not client.sees(AlarmRaised(message="for police", agency_code="police"))
    assert not client.sees(AlarmRaised(message="for fire", agency_code="fire"))


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("domains=nope", "unknown domain(s): nope"),
        ("domains=,", "at least one domain"),
        ("agency=Not%20a%20code", "agency must be an agency code"),
        ("topic=fleet", "unknown feed parameter(s): topic"),
    ],
)
def test_bad_filter_closes_with_4400_and_says_why(
    client: TestClient, app_db: Database, query: str, reason: str
) -> None:
    login_browser_session(client, create_account(app_db, Role.OPERATOR))
    with (
        client.websocket_connect(f"/ws/events?{query}") as ws,
        pytest.raises(WebSocketDisconnect) as exc,
    ):
        ws.receive_text()
    assert exc.value.code == 4400 and reason in str(exc.value.reason)
