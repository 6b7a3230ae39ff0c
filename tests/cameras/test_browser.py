"""The video wall and playback in Debian's Chromium: live tiles start from the sub stream over
HLS (hls.js) and report their start time; playback draws the timeline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cameras.conftest import wait_for
from tests.conftest import create_account
from tests.web.test_browser import LiveServer, live_server, page  # noqa: F401 - fixtures
from warroom.cameras.simulator import CameraSimulator
from warroom.core.security.permissions import Role

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def login(server: LiveServer, browser_page: object, role: Role) -> None:
    account = create_account(server.app.state.db, role)  # type: ignore[attr-defined]
    browser_page.goto(server.url + "/login")  # type: ignore[attr-defined]
    browser_page.fill("input[name=username]", account.username)  # type: ignore[attr-defined]
    browser_page.fill("input[name=password]", account.password)  # type: ignore[attr-defined]
    browser_page.click("button[type=submit]")  # type: ignore[attr-defined]


def register(server: LiveServer, sim: CameraSimulator, *, recording: bool) -> list[int]:
    from tests.conftest import TEST_ACTOR
    from warroom.cameras import service
    from warroom.cameras.crypto import CredentialBox
    from warroom.cameras.schemas import CameraCreate

    box = CredentialBox(server.app.state.settings.secret_key.get_secret_value())  # type: ignore[attr-defined]
    ids = []
    with server.app.state.db.write() as session:  # type: ignore[attr-defined]
        for cam in sim.cameras:
            data = CameraCreate(
                name=cam.name, main_url=cam.main_url, sub_url=cam.sub_url, recording=recording
            )
            ids.append(service.create_camera(session, data=data, box=box, actor=TEST_ACTOR).id)
    return ids


def test_wall_tiles_play_live_video(
    video_env: None,
    live_server: LiveServer,  # noqa: F811
    page: object,  # noqa: F811
    simulator: CameraSimulator,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    register(live_server, simulator, recording=False)
    login(live_server, page, Role.OPERATOR)
    page.goto(live_server.url + "/cameras/wall?layout=4")  # type: ignore[attr-defined]
    tiles = page.locator(".wall-tile video")  # type: ignore[attr-defined]
    expect(tiles).to_have_count(2, timeout=10_000)
    for index in range(2):
        expect(tiles.nth(index)).to_have_attribute("data-state", "playing", timeout=40_000)
    starts = [int(tiles.nth(i).get_attribute("data-first-frame-ms")) for i in range(2)]
    print(json.dumps({"live_tile_first_frame_ms": starts}))  # reported in BENCHMARKS.md
    page.click('button[data-layout="1"]')  # type: ignore[attr-defined]
    expect(tiles).to_have_count(1)


def test_playback_page_shows_timeline_and_plays(
    video_env: None,
    live_server: LiveServer,  # noqa: F811
    page: object,  # noqa: F811
    simulator: CameraSimulator,
) -> None:
    from playwright.sync_api import expect

    camera_id = register(live_server, simulator, recording=True)[0]
    db = live_server.app.state.db  # type: ignore[attr-defined]

    def recorded() -> int:
        from sqlalchemy import func, select

        from warroom.cameras.models import Segment

        with db.read() as session:
            return int(session.scalar(select(func.count(Segment.id))) or 0)

    wait_for(lambda: recorded() >= 6, 60, "recorded segments")
    login(live_server, page, Role.SUPERVISOR)
    page.goto(f"{live_server.url}/cameras/{camera_id}/playback")  # type: ignore[attr-defined]
    expect(page.locator(".tl-bar.tl-rec").first).to_be_visible(timeout=15_000)  # type: ignore[attr-defined]
    expect(page.locator("#playback-video")).to_have_attribute(  # type: ignore[attr-defined]
        "data-state", "playing", timeout=30_000
    )
