"""The application factory: wires storage, the bus, security and every domain's router."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from warroom import __version__
from warroom.accounts.events import CredentialRevoked
from warroom.accounts.resolver import AccountsResolver
from warroom.core import migrate, serving
from warroom.core.audit_anchor import AnchorWriter
from warroom.core.bus import Bus, make_bus
from warroom.core.bus.events import Event
from warroom.core.config import Settings
from warroom.core.db import Database
from warroom.core.outbox import OutboxRelay
from warroom.core.security.ratelimit import SlidingWindowLimiter
from warroom.web import audit_api, feed, ops, pages
from warroom.web.domains import DOMAIN_ROUTERS, background_services
from warroom.web.errors import install_error_handlers
from warroom.web.middleware import (
    BodyLimit,
    RequestMetrics,
    SecurityHeaders,
    content_security_policy,
)

log = logging.getLogger("warroom.app")
STATIC_DIR = Path(__file__).parent / "static"


class SchemaOutdatedError(RuntimeError):
    pass


def check_schema(db: Database) -> None:
    current, expected = migrate.current_heads(db), migrate.script_heads(db)
    if current != expected:
        raise SchemaOutdatedError(
            f"database schema is at {migrate.describe(current)}, this warroom needs "
            f"{migrate.describe(expected)}: run `warroom db upgrade` first"
        )


async def _start(app: FastAPI, settings: Settings, bus: Bus | None) -> None:
    db = Database(settings.resolved_database_url)
    check_schema(db)
    bus = bus or make_bus(settings.bus_url)
    await bus.start()
    resolver = AccountsResolver(db)

    async def on_revoked(event: Event) -> None:
        assert isinstance(event, CredentialRevoked)
        resolver.forget(event.credential_hash)

    app.state.db, app.state.bus, app.state.principal_resolver = db, bus, resolver
    app.state.revocations = await bus.subscribe(on_revoked, topics=[CredentialRevoked.topic])
    app.state.feed_hub = feed.FeedHub()
    await app.state.feed_hub.start(bus)
    app.state.outbox_relay = OutboxRelay(db, bus)
    await app.state.outbox_relay.start()
    app.state.audit_anchor = _audit_anchor_writer(db, settings)
    if app.state.audit_anchor is not None:
        await app.state.audit_anchor.start()
    app.state.domain_services = background_services(app)
    for service in app.state.domain_services:
        await service.start(app)
    app.state.interpreter_before = serving.settle_for_serving()
    log.info(
        "warroom started",
        extra={
            "version": __version__,
            "database": db.engine.dialect.name,
            "bus": settings.bus_url.split("://")[0],
        },
    )


def _audit_anchor_writer(db: Database, settings: Settings) -> AnchorWriter | None:
    if settings.audit_anchor_file is None:
        return None
    return AnchorWriter(
        db, settings.audit_anchor_file, interval_s=settings.audit_anchor_minutes * 60
    )


async def _stop(app: FastAPI) -> None:
    """Graceful shutdown: stop the domains' services (listeners first, so nothing new is
    accepted), stop taking events, flush the outbox, close the bus, then the database."""
    serving.restore(app.state.interpreter_before)
    for service in reversed(app.state.domain_services):
        await service.stop(app)
    await app.state.feed_hub.stop()
    await app.state.revocations.unsubscribe()
    await app.state.outbox_relay.stop()
    if app.state.audit_anchor is not None:
        await app.state.audit_anchor.stop()  # the last changes of this run get an anchor too
    await app.state.bus.close()
    app.state.db.dispose()
    log.info("warroom stopped")


def create_app(settings: Settings, *, bus: Bus | None = None) -> FastAPI:
    """Build the app. ``bus`` lets a caller (tests, demo) share a bus it already holds."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await _start(app, settings, bus)
        try:
            yield
        finally:
            await _stop(app)

    app = FastAPI(
        title="warroom",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.login_limiter = SlidingWindowLimiter(
        limit=settings.login_attempts_per_minute, window_seconds=60
    )
    install_error_handlers(app)
    for router in (ops.router, pages.router, feed.router, audit_api.router, *DOMAIN_ROUTERS):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        SecurityHeaders, https=settings.https, csp=content_security_policy(settings.map_tiles)
    )
    app.add_middleware(RequestMetrics)
    return app
