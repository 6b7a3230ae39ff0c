"""Scheduled readers of the BMKG feeds whose URL is configured.

Each poll reads every feed; a feed that is down or answers garbage is recorded with its error
(announced once) and its last good data stays. CAP documents already read are not fetched again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from warroom.core.db import Database
from warroom.weather import feeds
from warroom.weather.bmkg import parse_forecast, parse_quakes
from warroom.weather.cap import FeedError, parse_cap, parse_rss
from warroom.weather.config import WeatherSettings
from warroom.weather.services import weather_settings

log = logging.getLogger("warroom.weather.bmkg")
MAX_FEED_BYTES = 5 * 1024 * 1024
MAX_SEEN_LINKS = 5000


class BmkgService:
    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None
        self._seen_links: set[str] = set()
        self.polls = 0

    async def start(self, app: FastAPI) -> None:
        settings = weather_settings(app)
        if not self._jobs(app, settings):
            return
        self._client = httpx.AsyncClient(timeout=settings.http_timeout_seconds)
        self._task = asyncio.create_task(self._run(app, settings), name="weather-bmkg")
        app.state.weather_bmkg = self

    async def stop(self, app: FastAPI) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._client is not None:
            await self._client.aclose()

    async def _run(self, app: FastAPI, settings: WeatherSettings) -> None:
        while True:
            await self.poll_once(app, settings)
            await asyncio.sleep(settings.poll_seconds)

    def _jobs(self, app: FastAPI, s: WeatherSettings) -> list[Callable[[], Awaitable[None]]]:
        db: Database = app.state.db
        jobs: list[Callable[[], Awaitable[None]]] = []
        for name, url in (
            ("autogempa", s.autogempa_url),
            ("gempaterkini", s.gempaterkini_url),
            ("gempadirasakan", s.gempadirasakan_url),
        ):
            if url:
                jobs.append(partial(self._quakes, db, s, name, url))
        if s.nowcast_rss_url:
            jobs.append(partial(self._nowcast, db, s))
        if s.forecast_url:
            jobs.extend(partial(self._forecast, db, s, code) for code in s.forecast_adm4)
        return jobs

    async def poll_once(self, app: FastAPI, settings: WeatherSettings) -> None:
        for job in self._jobs(app, settings):
            try:
                await job()
            except Exception:  # one feed's bug must not stop the others
                log.exception("BMKG feed reader failed")
        await run_in_threadpool(_write, app.state.db, feeds.close_expired_alerts)
        relay = getattr(app.state, "outbox_relay", None)
        if relay is not None:
            relay.notify()
        self.polls += 1

    async def _get(self, url: str, params: dict[str, str] | None = None) -> bytes:
        assert self._client is not None
        try:
            response = await self._client.get(url, params=params)
        except httpx.HTTPError as exc:
            raise FeedError(f"cannot reach the feed: {type(exc).__name__}: {exc}") from None
        if response.status_code != 200:
            raise FeedError(f"HTTP {response.status_code}")
        if len(response.content) > MAX_FEED_BYTES:
            raise FeedError(f"answer of {len(response.content)} bytes is too large")
        return response.content

    async def _quakes(self, db: Database, s: WeatherSettings, name: str, url: str) -> None:
        try:
            quakes = parse_quakes(await self._get(url))
        except FeedError as exc:
            await _failed(db, name, url, exc)
            return

        def store(session: Any) -> None:
            new = feeds.store_quakes(session, quakes=quakes, feed=name, settings=s)
            feeds.record_attempt(session, name=name, url=url, error=None)
            log.info("BMKG earthquakes read", extra={"feed": name, "new": new})

        await run_in_threadpool(_write, db, store)

    async def _nowcast(self, db: Database, s: WeatherSettings) -> None:
        url, errors = s.nowcast_rss_url, []
        try:
            links = parse_rss(await self._get(url))
        except FeedError as exc:
            await _failed(db, "nowcast", url, exc)
            return
        for link in links:
            if link in self._seen_links:
                continue
            try:
                warning = parse_cap(await self._get(link))
            except FeedError as exc:
                errors.append(f"{link}: {exc}")
                continue
            store = partial(feeds.store_warning, warning=warning, settings=s)
            await run_in_threadpool(_write, db, store)
            self._remember(link)
        error = f"{len(errors)} CAP document(s) refused; first: {errors[0]}" if errors else None
        await run_in_threadpool(
            _write, db, lambda se: feeds.record_attempt(se, name="nowcast", url=url, error=error)
        )

    def _remember(self, link: str) -> None:
        if len(self._seen_links) >= MAX_SEEN_LINKS:
            self._seen_links.clear()  # documents read again are recognised by identifier
        self._seen_links.add(link)

    async def _forecast(self, db: Database, s: WeatherSettings, adm4: str) -> None:
        name = f"forecast:{adm4}"
        try:
            forecast = parse_forecast(await self._get(s.forecast_url, {"adm4": adm4}))
        except FeedError as exc:
            await _failed(db, name, s.forecast_url, exc)
            return
        await run_in_threadpool(
            _write,
            db,
            lambda se: feeds.record_attempt(
                se, name=name, url=s.forecast_url, error=None, payload=forecast
            ),
        )


def _write(db: Database, change: Callable[[Any], Any]) -> None:
    with db.write() as session:
        change(session)


async def _failed(db: Database, name: str, url: str, exc: Exception) -> None:
    log.warning("BMKG feed failed", extra={"feed": name, "error": str(exc)})
    await run_in_threadpool(
        _write, db, lambda se: feeds.record_attempt(se, name=name, url=url, error=str(exc))
    )
