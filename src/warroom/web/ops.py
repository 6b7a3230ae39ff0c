"""Operations endpoints: liveness, readiness, Prometheus metrics and the OpenAPI document."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from warroom.core.security.guard import public, require
from warroom.core.security.permissions import Permission, Principal

router = APIRouter(tags=["operations"])


@router.get("/healthz", dependencies=[public("liveness probe for the process supervisor")])
async def healthz() -> dict[str, str]:
    """The process is up and its event loop answers."""
    return {"status": "ok"}


async def _check(name: str, probe: Any) -> tuple[str, str]:
    try:
        ok = await asyncio.wait_for(probe(), timeout=2.0)
    except Exception as exc:
        return name, f"failing: {type(exc).__name__}"
    return name, "ok" if ok is not False else "failing"


@router.get("/readyz", dependencies=[public("readiness probe for load balancers")])
async def readyz(request: Request) -> JSONResponse:
    """Ready to serve: the database answers and the event bus is connected."""
    db, bus = request.app.state.db, request.app.state.bus

    async def database() -> bool:
        await run_in_threadpool(db.ping)
        return True

    checks = dict(await asyncio.gather(_check("database", database), _check("bus", bus.healthy)))
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
    )


@router.get("/metrics")
def metrics(_: Annotated[Principal, require(Permission.OPS_METRICS)]) -> Response:
    """Prometheus metrics; scrape with an admin API token (bearer_token in Prometheus)."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


@router.get("/api/openapi.json")
def openapi(
    request: Request, _: Annotated[Principal, require(Permission.WARROOM_VIEW)]
) -> dict[str, Any]:
    schema: dict[str, Any] = request.app.openapi()
    return schema
