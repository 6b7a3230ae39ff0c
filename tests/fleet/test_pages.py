"""Fleet pages and the live map layer: server-rendered shells, and in Debian's Chromium the
war-room vehicle markers moving live, the vehicle list and the history replay."""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from tests.conftest import TEST_ACTOR, create_account, login_browser_session, make_settings
from tests.fleet.live_app import BASE_TIME, fleet_config, wait_for
from tests.services import IN_CI
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, _loopback_only
from warroom.bench import free_port
from warroom.core.clock import utcnow
from warroom.core.security.permissions import Role
from warroom.fleet import service, store
from warroom.fleet.encoders import SimFix, osmand_query
from warroom.fleet.schemas import DeviceCreate, VehicleCreate
from warroom.web.app import create_app


def test_pages_need_login_and_render(client: TestClient, app_db: Any) -> None:
    for path in ("/fleet", "/fleet/vehicles/1", "/fleet/replay"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/login"
    login_browser_session(client, create_account(app_db, Role.OPERATOR))
    for path, marker in (
        ("/fleet", 'data-page="vehicles"'),
        ("/fleet/vehicles/7", 'data-vehicle-id="7"'),
        ("/fleet/replay", 'data-page="replay"'),
    ):
        page = client.get(path)
        assert page.status_code == 200 and marker in page.text
        assert "<script>" not in page.text and "style=" not in page.text  # CSP: no inline code


@dataclass
class Server:
    url: str
    app: Any

    @property
    def osmand(self) -> str:
        return f"http://127.0.0.1:{self.app.state.fleet.port('osmand/http')}"


@pytest.fixture
def server(sqlite_template: Path, tmp_path: Path) -> Iterator[Server]:
    db_path = tmp_path / "warroom.db"
    shutil.copy(sqlite_template, db_path)
    app = create_app(make_settings(f"sqlite:///{db_path}", tmp_path))
    app.state.fleet_config = fleet_config(listeners="osmand:0", live_hz=5)
    port = free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    thread = threading.Thread(target=asyncio.run, args=(uv.serve(),), daemon=True)
    thread.start()
    wait_for(lambda: uv.started, "server started", timeout=20)
    yield Server(f"http://127.0.0.1:{port}", app)
    uv.should_exit = True
    thread.join(timeout=15)


def report(server: Server, unique_id: str, second: int, north: float, kmh: float) -> None:
    fix = SimFix(BASE_TIME + timedelta(seconds=second), -5.15 + north, 119.43, kmh, 0.0)
    assert httpx.get(server.osmand + osmand_query(unique_id, fix)).status_code == 200


@pytest.fixture
def browser_page(server: Server) -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail(f"Debian's Chromium is not at {CHROMIUM}")
        pytest.skip(f"Debian's Chromium is not at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1600, "height": 900})
        context.route("**/*", _loopback_only)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        yield page
        assert errors == [], f"browser errors: {errors}"
        browser.close()


def log_in(page: Any, server: Server) -> None:
    account = create_account(server.app.state.db, Role.OPERATOR)
    page.goto(server.url + "/login")
    page.fill("input[name=username]", account.username)
    page.fill("input[name=password]", account.password)
    page.click("button[type=submit]")
    page.wait_for_url(server.url + "/")


@pytest.mark.slow
@pytest.mark.browser
def test_live_vehicle_on_the_map_list_and_replay(server: Server, browser_page: Any) -> None:
    from playwright.sync_api import expect

    db = server.app.state.db
    with db.write() as session:
        vehicle = service.create_vehicle(
            session, data=VehicleCreate(plate="DD 118 AM", kind="ambulance"), actor=TEST_ACTOR
        )
        service.create_device(
            session,
            data=DeviceCreate(unique_id="amb-1", protocol="osmand", vehicle_id=vehicle.id),
            actor=TEST_ACTOR,
        )
        vehicle_id = vehicle.id
    wait_for(lambda: server.app.state.fleet.pipeline.lookup("amb-1") is not None, "device known")
    report(server, "amb-1", 0, 0.0, 0.0)
    page = browser_page
    log_in(page, server)
    expect(page.locator(".fleet-icon")).to_have_count(1, timeout=15_000)
    expect(page.locator(".fleet-list")).to_contain_text("DD 118 AM")
    before = page.locator(".fleet-icon").bounding_box()
    for second in range(10, 60, 10):  # drive north: the marker moves without a reload
        report(server, "amb-1", second, second * 0.0004, 40.0)
    page.wait_for_function(
        "y => document.querySelector('.fleet-icon').getBoundingClientRect().y < y - 5",
        arg=before["y"],
        timeout=15_000,
    )
    page.goto(server.url + "/fleet")
    expect(page.locator("#fleet-rows tr")).to_have_count(1)
    query = urlencode(
        {"vehicle_id": vehicle_id, "start": BASE_TIME.isoformat(),
         "end": (BASE_TIME + timedelta(hours=1)).isoformat()}
    )  # fmt: skip
    page.goto(f"{server.url}/fleet/replay?{query}")
    page.click("#fleet-replay-form button[type=submit]")
    expect(page.locator("#fleet-slider")).to_be_enabled(timeout=10_000)
    page.locator("#fleet-slider").fill("1000")
    expect(page.locator("#fleet-time")).to_contain_text("WITA")
    expect(page.locator(".leaflet-overlay-pane path")).to_have_count(1)


def store_track(db: Any, plate: str, fixes: int, kmh: float = 3.6) -> int:
    """A vehicle with a fix every second from BASE_TIME, driving north (slowly by default)."""
    with db.write() as session:
        vehicle_id: int = service.create_vehicle(
            session, data=VehicleCreate(plate=plate, kind="bus"), actor=TEST_ACTOR
        ).id
    now = utcnow()
    rows = [
        (vehicle_id, vehicle_id, BASE_TIME + timedelta(seconds=s), now, True,
         -5.15 + s * 1e-6 * kmh / 3.6, 119.43 + vehicle_id * 1e-3, kmh, 0.0, None, 9, {})
        for s in range(fixes)
    ]  # fmt: skip
    with db.write() as session:
        store.insert_positions(session, rows)
    return vehicle_id


@pytest.mark.slow
@pytest.mark.browser
def test_replay_of_more_fixes_than_a_call_takes_says_which_track_was_cut(
    server: Server, browser_page: Any
) -> None:
    """140,000 fixes on the page (a day of ten vehicles at 5 s is more): spreading them into
    Math.min threw a RangeError. One track is cut at the server's limit; the page says so."""
    from playwright.sync_api import expect

    db = server.app.state.db
    limit = service.MAX_HISTORY_ROWS
    ids = [
        store_track(db, "DD 1 LONG", limit + 1),
        store_track(db, "DD 2 BUS", 45_000),
        store_track(db, "DD 3 BUS", 45_000),
    ]
    page = browser_page
    log_in(page, server)
    query = urlencode(
        [("vehicle_id", vid) for vid in ids]
        + [("start", BASE_TIME.isoformat()), ("end", (BASE_TIME + timedelta(days=1)).isoformat())]
    )
    page.goto(f"{server.url}/fleet/replay?{query}")
    page.click("#fleet-replay-form button[type=submit]")
    expect(page.locator("#fleet-slider")).to_be_enabled(timeout=60_000)
    expect(page.locator(".leaflet-overlay-pane path")).to_have_count(3)
    notice = page.locator("#fleet-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text(f"DD 1 LONG: only the first {limit} positions")
    expect(notice).not_to_contain_text("DD 2 BUS")
    page.locator("#fleet-slider").fill("1000")
    expect(page.locator("#fleet-time")).to_contain_text("WITA")
    page.goto(f"{server.url}/fleet/vehicles/{ids[0]}")  # its day's track is cut there too
    page.fill("#fleet-day", BASE_TIME.date().isoformat())
    expect(notice).to_contain_text(f"DD 1 LONG: only the first {limit} positions", timeout=30_000)


CHOSEN_DAY = "2026-11-27"  # BASE_TIME's day in WITA
CHOSEN_START = "2026-11-26T16:00:00.000Z"  # its midnight in UTC, as the page asks for it


def shown_start(page: Any) -> str:
    """The start of the period the vehicle page last drew (its replay link carries it)."""
    href = page.locator("#fleet-replay-link").get_attribute("href") or ""
    return parse_qs(urlsplit(href).query).get("start", [""])[0]


@pytest.mark.slow
@pytest.mark.browser
def test_a_day_chosen_while_the_vehicle_page_loads_is_the_day_it_shows(
    server: Server, browser_page: Any
) -> None:
    """The day field used to get its listener only after the vehicle had loaded: a day chosen
    before that was reset to today and never shown."""
    from playwright.sync_api import expect

    vehicle_id = store_track(server.app.state.db, "DD 4 BUS", 600)
    page = browser_page
    log_in(page, server)
    held: list[Any] = []
    page.route(f"**/api/fleet/vehicles/{vehicle_id}", lambda route: held.append(route))
    page.goto(f"{server.url}/fleet/vehicles/{vehicle_id}")
    page.fill("#fleet-day", CHOSEN_DAY)
    assert len(held) == 1, "the vehicle's details were still loading"
    held[0].continue_()
    expect(page.locator("#fleet-title")).to_contain_text("DD 4 BUS")
    page.wait_for_function(
        "start => document.querySelector('#fleet-replay-link').href.includes(start)",
        arg=quote(CHOSEN_START),
    )
    expect(page.locator("#fleet-day")).to_have_value(CHOSEN_DAY)
    expect(page.locator("#fleet-summary")).to_contain_text("km")


@pytest.mark.slow
@pytest.mark.browser
def test_a_slow_answer_for_an_earlier_day_does_not_overwrite_the_chosen_day(
    server: Server, browser_page: Any
) -> None:
    from playwright.sync_api import expect

    vehicle_id = store_track(server.app.state.db, "DD 5 BUS", 600, kmh=36.0)
    page = browser_page
    log_in(page, server)
    held: list[Any] = []

    def hold_all_but_the_chosen_day(route: Any) -> None:
        if parse_qs(urlsplit(route.request.url).query)["start"] == [CHOSEN_START]:
            route.continue_()
        else:
            held.append(route)

    page.route("**/api/fleet/replay?*", hold_all_but_the_chosen_day)
    with page.expect_request(lambda request: "/api/fleet/replay?" in request.url):
        page.goto(f"{server.url}/fleet/vehicles/{vehicle_id}")
    page.fill("#fleet-day", CHOSEN_DAY)
    expect(page.locator("#fleet-summary")).to_contain_text("1 trips")
    assert shown_start(page) == CHOSEN_START
    assert len(held) == 1, "today's replay is held"
    with page.expect_response(lambda response: "/api/fleet/replay?" in response.url) as today:
        held[0].continue_()
    today.value.finished()
    page.evaluate("() => new Promise((done) => setTimeout(done, 300))")  # let the page draw it
    expect(page.locator("#fleet-summary")).to_contain_text("1 trips")
    expect(page.locator("#fleet-trips tr")).to_have_count(1)
    assert shown_start(page) == CHOSEN_START
