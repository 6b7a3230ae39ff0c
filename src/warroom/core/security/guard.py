"""The route guard: every endpoint declares exactly one permission, or declares itself public.

``require(Permission.X)`` resolves the caller from a bearer token, device key or session cookie
through the resolver the app registers (core must not know the accounts domain), checks the
permission, and for cookie sessions checks the CSRF header on unsafe methods. The permission walk
test (tests/web/test_permission_walk.py) fails on any route without one of these markers.
"""

from __future__ import annotations

from typing import Any, Protocol

from fastapi import Depends, HTTPException, Request, WebSocket, status

from warroom.core.security.credentials import same
from warroom.core.security.permissions import Permission, Principal

SESSION_COOKIE = "warroom_session"
CSRF_HEADER = "x-csrf-token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class PrincipalResolver(Protocol):
    async def from_bearer(self, credential: str) -> Principal | None: ...

    async def from_session(self, session_id: str) -> Principal | None: ...


def _resolver(app: Any) -> PrincipalResolver:
    resolver: PrincipalResolver = app.state.principal_resolver
    return resolver


async def identify(request: Request | WebSocket) -> Principal | None:
    """The caller, or None when no valid credential was presented."""
    resolver = _resolver(request.app)
    authorization = request.headers.get("authorization", "")
    if authorization:
        scheme, _, credential = authorization.partition(" ")
        if scheme.lower() != "bearer" or not credential.strip():
            return None
        return await resolver.from_bearer(credential.strip())
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        return await resolver.from_session(session_id)
    return None


def _unauthenticated() -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        "authentication required: log in or send 'Authorization: Bearer <token>'",
        headers={"WWW-Authenticate": "Bearer"},
    )


class Guard:
    """Base of every route marker; the permission walk requires one on each route."""


class Requirement(Guard):
    """API routes: 401 without credentials, 403 without the permission."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    async def __call__(self, request: Request) -> Principal:
        principal = await identify(request)
        if principal is None:
            raise _unauthenticated()
        if not principal.can(self.permission):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"your role lacks the permission '{self.permission}'"
            )
        if principal.via == "session" and request.method not in _SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            if not sent or not same(sent, principal.csrf_token):
                raise HTTPException(status.HTTP_403_FORBIDDEN, "missing or wrong CSRF token")
        request.state.principal = principal
        return principal


class SocketRequirement(Guard):
    """Like Requirement, for WebSockets: the handler closes with 4401/4403 on failure."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    async def __call__(self, websocket: WebSocket) -> Principal | None:
        principal = await identify(websocket)
        if principal is None or not principal.can(self.permission):
            return None
        return principal


class PublicAccess(Guard):
    """Marks a route as deliberately open (health checks, login page, public data)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    async def __call__(self) -> None:
        return None


class PageRequirement(Guard):
    """HTML pages: returns None instead of raising, so the page can redirect to the login."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    async def __call__(self, request: Request) -> Principal | None:
        principal = await identify(request)
        if principal is None or not principal.can(self.permission):
            return None
        return principal


def require_page(permission: Permission) -> Any:
    return Depends(PageRequirement(permission))


def require(permission: Permission) -> Any:
    return Depends(Requirement(permission))


def require_socket(permission: Permission) -> Any:
    return Depends(SocketRequirement(permission))


def public(reason: str) -> Any:
    return Depends(PublicAccess(reason))
