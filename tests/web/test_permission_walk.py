"""Every route declares a permission (or that it is public), and the declarations hold."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount

from tests.conftest import bearer, create_account
from warroom.core.db import Database
from warroom.core.security.guard import (
    Guard,
    PageRequirement,
    PublicAccess,
    Requirement,
    SocketRequirement,
)
from warroom.core.security.permissions import Role

# Mounted apps the walk cannot look into, and why they may be open.
PUBLIC_MOUNTS = {"/static": "CSS, JS and images the login page needs; no data"}


def _guards(route: APIRoute | APIWebSocketRoute) -> list[Guard]:
    found, stack = [], [route.dependant]
    while stack:
        dependant = stack.pop()
        if isinstance(dependant.call, Guard):
            found.append(dependant.call)
        stack.extend(dependant.dependencies)
    return found


def _flatten(routes: list[Any]) -> list[tuple[str, Any]]:
    """(effective path, route) for every route, included routers too. FastAPI >= 0.16x wraps
    included routers and composes their prefixes lazily; older versions list routes flat."""
    flat: list[tuple[str, Any]] = []
    for route in routes:
        candidates = getattr(route, "effective_candidates", None)
        if candidates is not None:
            flat.extend(_flatten(candidates()))
        elif hasattr(route, "original_route"):  # one route of an included router
            flat.append((route.path, route.original_route))
        else:
            flat.append((route.path, route))
    return flat


def _routes(app: FastAPI) -> list[tuple[str, APIRoute | APIWebSocketRoute]]:
    routes = []
    for path, route in _flatten(app.routes):
        if isinstance(route, Mount):
            assert path in PUBLIC_MOUNTS, f"mount {path} has no declared access"
            continue
        assert isinstance(route, APIRoute | APIWebSocketRoute), f"unguarded route type {route}"
        routes.append((path, route))
    return routes


def test_every_route_declares_exactly_one_guard(client: TestClient) -> None:
    undeclared = [
        f"{sorted(getattr(r, 'methods', None) or ['WS'])} {path}"
        for path, r in _routes(client.app)  # type: ignore[arg-type]
        if len(_guards(r)) != 1
    ]
    assert undeclared == [], f"routes without exactly one permission: {undeclared}"
    assert len(_routes(client.app)) >= 15, "the walk must see the included routers' routes"  # type: ignore[arg-type]


def _sample_path(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def _protected_http_routes(app: FastAPI) -> list[tuple[str, str, Guard]]:
    walked = []
    for path, route in _routes(app):
        if isinstance(route, APIRoute):
            guard = _guards(route)[0]
            for method in sorted(route.methods - {"HEAD"}):
                walked.append((method, _sample_path(path), guard))
    return walked


def test_protected_routes_refuse_anonymous_callers(client: TestClient) -> None:
    for method, path, guard in _protected_http_routes(client.app):  # type: ignore[arg-type]
        response = client.request(method, path, follow_redirects=False)
        if isinstance(guard, Requirement):
            assert response.status_code == 401, f"{method} {path} answered {response.status_code}"
        elif isinstance(guard, PageRequirement):
            assert response.status_code == 303 and response.headers["location"] == "/login"
        else:
            assert isinstance(guard, PublicAccess | SocketRequirement)


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.PARTNER])
def test_roles_only_reach_what_they_are_granted(
    client: TestClient, app_db: Database, role: Role
) -> None:
    account = create_account(app_db, role, agency="fire" if role is Role.PARTNER else None)
    headers = bearer(client, account)
    granted = set(client.get("/api/me", headers=headers).json()["permissions"])
    for method, path, guard in _protected_http_routes(client.app):  # type: ignore[arg-type]
        if not isinstance(guard, Requirement) or guard.permission in granted:
            continue
        response = client.request(method, path, headers=headers)
        assert response.status_code == 403, f"{role} reached {method} {path}"


def test_public_routes_are_few_and_named(client: TestClient) -> None:
    public = sorted(
        path
        for path, route in _routes(client.app)  # type: ignore[arg-type]
        if isinstance(_guards(route)[0], PublicAccess)
    )
    assert public == [
        "/api/auth/token",
        "/api/emergency/warnings.atom",
        "/api/emergency/warnings/{warning_id}.cap",
        "/healthz",
        "/login",
        "/login",
        "/readyz",
    ]
