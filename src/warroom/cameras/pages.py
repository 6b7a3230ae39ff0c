"""Pages of the cameras domain: the video wall and the playback page (server-rendered)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from warroom import __version__
from warroom.core.security.guard import require_page
from warroom.core.security.permissions import Permission, Principal

# Domains must not import warroom.web (import layers), so the cameras pages keep their own
# template loader over the same folder.
TEMPLATES = Jinja2Templates(
    directory=str(Path(__file__).resolve().parent.parent / "web" / "templates")
)
router = APIRouter(tags=["cameras pages"])
WallViewer = Annotated[Principal | None, require_page(Permission.CAMERAS_VIEW)]
PlaybackViewer = Annotated[Principal | None, require_page(Permission.CAMERAS_PLAYBACK)]


def _page(request: Request, me: Principal | None, template: str, **context: object) -> Response:
    if me is None:
        return RedirectResponse("/login", status_code=303)
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {"user": me, "csrf_token": me.csrf_token, "app_version": __version__, **context},
    )


@router.get("/cameras/wall")
def wall_page(request: Request, me: WallViewer) -> Response:
    """Video wall: 1, 4, 9 or 16 live tiles and a camera tour."""
    return _page(request, me, "cameras/wall.html")


@router.get("/cameras/{camera_id}/playback")
def playback_page(camera_id: int, request: Request, me: PlaybackViewer) -> Response:
    """Playback by time with the timeline of recordings, gaps and events, and clip export."""
    return _page(request, me, "cameras/playback.html", camera_id=camera_id)
