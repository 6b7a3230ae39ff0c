"""Small FastAPI helpers shared by every domain's router."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from warroom.core.audit import Actor
from warroom.core.config import Settings
from warroom.core.db import Database
from warroom.core.security.permissions import Principal


# Dependencies are ``async`` on purpose: FastAPI runs plain ``def`` dependencies in its thread
# pool, a hop that costs more than the lookup itself on every request.
async def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


DbDep = Annotated[Database, Depends(_db)]
SettingsDep = Annotated[Settings, Depends(_settings)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def actor_for(request: Request, principal: Principal) -> Actor:
    return Actor(f"{principal.kind}:{principal.name}", client_address(request))


def notify_outbox(request: Request) -> None:
    """Wake the outbox relay after a commit so events reach the feed without waiting a poll."""
    relay = getattr(request.app.state, "outbox_relay", None)
    if relay is not None:
        relay.notify()
