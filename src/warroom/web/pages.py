"""HTML pages: login, logout and the war-room screen, plus the map settings the page reads."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, URLSafeTimedSerializer

from warroom import __version__
from warroom.accounts import service as accounts
from warroom.accounts.api import INVALID_LOGIN, lockout_policy
from warroom.core.http import DbDep, SettingsDep, actor_for, client_address, notify_outbox
from warroom.core.security.credentials import same
from warroom.core.security.guard import SESSION_COOKIE, public, require, require_page
from warroom.core.security.permissions import Permission, Principal
from warroom.web.feed_filter import feed_domains

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
LOGIN_CSRF_COOKIE = "warroom_login_csrf"
CITY_CENTER = (-5.1477, 119.4327)  # Kota Makassar

router = APIRouter(tags=["pages"])
Viewer = Annotated[Principal | None, require_page(Permission.WARROOM_VIEW)]


def _login_signer(request: Request) -> URLSafeTimedSerializer:
    secret = request.app.state.settings.secret_key.get_secret_value()
    return URLSafeTimedSerializer(secret, salt="login-csrf")


def _login_page(request: Request, error: str = "", code: int = 200) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    token = _login_signer(request).dumps(nonce)
    response = TEMPLATES.TemplateResponse(
        request,
        "login.html",
        {"csrf_token": token, "error": error, "app_version": __version__},
        status_code=code,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.https,
        max_age=3600,
    )
    return response


@router.get("/login", response_class=HTMLResponse, dependencies=[public("login page")])
def login_form(request: Request) -> HTMLResponse:
    return _login_page(request)


def _valid_login_csrf(request: Request, sent: str) -> bool:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not sent or not same(cookie, sent):
        return False
    try:
        _login_signer(request).loads(sent, max_age=3600)
    except BadSignature:
        return False
    return True


@router.post("/login", dependencies=[public("login form")])
def login_submit(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=200)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    if not _valid_login_csrf(request, csrf_token):
        return _login_page(request, "The form expired; please try again.", 400)
    if not request.app.state.login_limiter.allow(client_address(request)):
        return _login_page(request, "Too many login attempts; wait a minute.", 429)
    with db.write() as session:
        user = accounts.authenticate(
            session,
            username=username.strip().lower(),
            password=password,
            source=client_address(request),
            policy=lockout_policy(settings),
        )
        cookie = user and accounts.open_session(
            session,
            user=user,
            source=client_address(request),
            user_agent=request.headers.get("user-agent", ""),
            lifetime=timedelta(hours=settings.session_hours),
        )
    notify_outbox(request)
    if not cookie:
        return _login_page(request, INVALID_LOGIN.capitalize() + ".", 401)
    response = RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        httponly=True,
        samesite="strict",
        secure=settings.https,
        max_age=int(settings.session_hours * 3600),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(
    request: Request,
    db: DbDep,
    me: Viewer,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Form post from the top bar; forms cannot send the CSRF header, so the token is a field."""
    cookie = request.cookies.get(SESSION_COOKIE, "")
    if me is not None and me.via == "session" and same(csrf_token, me.csrf_token):
        with db.write() as session:
            digest = accounts.close_session(session, cookie=cookie, actor=actor_for(request, me))
        request.app.state.principal_resolver.forget(digest)
        notify_outbox(request)
    elif me is not None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "missing or wrong CSRF token")
    response = RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/", response_class=HTMLResponse)
def warroom_page(request: Request, me: Viewer) -> Response:
    if me is None:
        return RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
    return TEMPLATES.TemplateResponse(
        request,
        "warroom.html",
        {
            "user": {
                "username": me.name,
                "role": me.role.value if me.role else me.kind,
                "agency_code": me.agency_code,
            },
            "csrf_token": me.csrf_token,
            "app_version": __version__,
            "feed_domains": sorted(feed_domains()),
        },
    )


def tile_settings(tiles: str, attribution: str) -> dict[str, str]:
    if not tiles:
        return {"kind": "none", "url": "", "attribution": ""}
    if tiles.endswith(".pmtiles") and not tiles.startswith(("http://", "https://")):
        return {"kind": "pmtiles", "url": "/tiles/local.pmtiles", "attribution": attribution}
    return {"kind": "url", "url": tiles, "attribution": attribution}


@router.get("/api/map/config")
def map_config(
    settings: SettingsDep, _: Annotated[Principal, require(Permission.WARROOM_VIEW)]
) -> dict[str, Any]:
    return {
        "tiles": tile_settings(settings.map_tiles, settings.map_attribution),
        "center": list(CITY_CENTER),
        "zoom": 12,
    }


@router.get("/tiles/local.pmtiles")
def local_pmtiles(
    settings: SettingsDep, _: Annotated[Principal, require(Permission.WARROOM_VIEW)]
) -> FileResponse:
    """The configured PMTiles file, with HTTP range support (the browser reads it in pieces)."""
    path = Path(settings.map_tiles)
    if tile_settings(settings.map_tiles, "")["kind"] != "pmtiles" or not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no local PMTiles file is configured")
    return FileResponse(path, media_type="application/octet-stream")
