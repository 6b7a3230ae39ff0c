"""The war room in a real browser: Debian's Chromium driven by Playwright (never a downloaded
browser), against the real app served by uvicorn on 127.0.0.1, every other address blocked."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import uvicorn

from tests.conftest import create_account, make_settings
from tests.services import IN_CI
from warroom.bench import free_port
from warroom.core.bus.events import Event
from warroom.core.security.permissions import Role
from warroom.web.app import create_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHROMIUM = os.environ.get("WARROOM_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class BrowserCheckDone(Event):
    topic = "test.browser_check_done"
    note: str


@dataclass
class LiveServer:
    url: str
    app: object
    loop: asyncio.AbstractEventLoop

    def publish(self, event: Event) -> None:
        bus = self.app.state.bus  # type: ignore[attr-defined]
        asyncio.run_coroutine_threadsafe(bus.publish(event), self.loop).result(timeout=5)


@pytest.fixture
def live_server(sqlite_template: Path, tmp_path: Path) -> Iterator[LiveServer]:
    db_path = tmp_path / "warroom.db"
    shutil.copy(sqlite_template, db_path)
    app = create_app(make_settings(f"sqlite:///{db_path}", tmp_path))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    loops: list[asyncio.AbstractEventLoop] = []

    async def serve() -> None:
        loops.append(asyncio.get_running_loop())
        await server.serve()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield LiveServer(f"http://127.0.0.1:{port}", app, loops[0])
    server.should_exit = True
    thread.join(timeout=15)


@pytest.fixture
def page(live_server: LiveServer) -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        message = f"Debian's Chromium is not at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1600, "height": 900})
        context.route("**/*", _loopback_only)
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.console_errors = errors  # type: ignore[attr-defined]
        yield page
        assert errors == [], f"browser console errors: {errors}"
        browser.close()


def _loopback_only(route: object) -> None:
    host = urlsplit(route.request.url).hostname  # type: ignore[attr-defined]
    if host in {"127.0.0.1", "localhost"}:
        route.continue_()  # type: ignore[attr-defined]
    else:
        route.abort()  # type: ignore[attr-defined]


def _log_in(page: object, url: str, account: object) -> None:
    page.goto(url + "/login")  # type: ignore[attr-defined]
    page.fill("input[name=username]", account.username)  # type: ignore[attr-defined]
    page.fill("input[name=password]", account.password)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]


def test_operator_logs_in_sees_the_city_and_live_events(
    live_server: LiveServer, page: object
) -> None:
    from playwright.sync_api import expect

    account = create_account(live_server.app.state.db, Role.OPERATOR)  # type: ignore[attr-defined]
    page.goto(live_server.url + "/")  # type: ignore[attr-defined]
    assert page.url.endswith("/login")  # type: ignore[attr-defined]
    page.fill("input[name=username]", account.username)  # type: ignore[attr-defined]
    page.fill("input[name=password]", account.password)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]

    expect(page.locator("[data-region-code]")).to_have_count(15, timeout=15_000)  # type: ignore[attr-defined]
    expect(page.locator("#feed-status")).to_have_attribute("data-state", "live")  # type: ignore[attr-defined]

    live_server.publish(BrowserCheckDone(note="Kebakaran di Pasar Sentral"))
    item = page.locator('.feed-item[data-topic="test.browser_check_done"]')  # type: ignore[attr-defined]
    expect(item).to_have_count(1, timeout=10_000)
    expect(item).to_contain_text("Kebakaran di Pasar Sentral")


def test_wrong_password_stays_on_the_login_page(live_server: LiveServer, page: object) -> None:
    from playwright.sync_api import expect

    page.goto(live_server.url + "/login")  # type: ignore[attr-defined]
    page.fill("input[name=username]", "nobody")  # type: ignore[attr-defined]
    page.fill("input[name=password]", "not-the-password")  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
    expect(page.locator("[role=alert]")).to_contain_text(
        "invalid username or password",  # type: ignore[attr-defined]
        ignore_case=True,
    )
    expected = "the server responded with a status of 401"  # the refused login itself
    page.console_errors[:] = [e for e in page.console_errors if expected not in e]  # type: ignore[attr-defined]


def test_operator_filters_the_feed_and_the_page_remembers_it(
    live_server: LiveServer, page: object
) -> None:
    from playwright.sync_api import expect

    account = create_account(live_server.app.state.db, Role.OPERATOR)  # type: ignore[attr-defined]
    _log_in(page, live_server.url, account)
    expect(page.locator("#feed-status")).to_have_attribute("data-state", "live")  # type: ignore[attr-defined]
    live_server.publish(BrowserCheckDone(note="before the filter"))
    checks = page.locator('.feed-item[data-topic="test.browser_check_done"]')  # type: ignore[attr-defined]
    expect(checks).to_have_count(1, timeout=10_000)

    page.click("#feed-filter summary")  # type: ignore[attr-defined]
    page.uncheck('#feed-filter-form input[value="test"]')  # type: ignore[attr-defined]
    expect(checks.first).to_be_hidden()
    expect(page.locator("#feed-filter-state")).not_to_contain_text("all events")  # type: ignore[attr-defined]

    page.reload()  # type: ignore[attr-defined]
    expect(page.locator("#feed-status")).to_have_attribute("data-state", "live")  # type: ignore[attr-defined]
    live_server.publish(BrowserCheckDone(note="while filtered"))
    expect(checks).to_have_count(1, timeout=10_000)  # delivered to the page (panels need it)
    expect(checks.first).to_be_hidden()  # but the remembered filter keeps it off the list

    page.click("#feed-filter summary")  # type: ignore[attr-defined]
    page.check('#feed-filter-form input[value="test"]')  # type: ignore[attr-defined]
    expect(checks.first).to_be_visible()
    expect(page.locator("#feed-filter-state")).to_have_text("all events")  # type: ignore[attr-defined]


def test_panels_collapse_to_their_heads_and_stay_so(live_server: LiveServer, page: object) -> None:
    from playwright.sync_api import expect

    account = create_account(live_server.app.state.db, Role.OPERATOR)  # type: ignore[attr-defined]
    _log_in(page, live_server.url, account)
    incidents = page.locator('.panel-slot[data-panel="incidents"]')  # type: ignore[attr-defined]
    toggle = incidents.locator(".panel-toggle")
    expect(toggle).to_have_attribute("aria-expanded", "true", timeout=15_000)
    expect(incidents.locator(".em-panel-list")).to_be_attached()

    toggle.click()
    expect(incidents).to_have_attribute("data-collapsed", "")
    expect(incidents.locator(".em-panel-list")).to_be_hidden()
    page.reload()  # type: ignore[attr-defined]
    expect(incidents.locator(".panel-toggle")).to_have_attribute("aria-expanded", "false")
    expect(incidents.locator(".panel-title")).to_be_visible()  # the head stays
