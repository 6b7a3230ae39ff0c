"""Every error becomes JSON with a readable ``detail``; never a traceback to the client.

Validation errors list what is wrong and where, but never echo the submitted values back: they
may hold passwords.
"""

from __future__ import annotations

import logging
import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from warroom.core.errors import DomainError
from warroom.core.security.passwords import WeakPasswordError

log = logging.getLogger("warroom.web")


def _describe(errors: list[dict[str, object]]) -> list[dict[str, object]]:
    return [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}  # type: ignore[call-overload]
        for e in errors
    ]


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError | ValidationError)
    errors = _describe(list(exc.errors()))  # type: ignore[arg-type]
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(p) for p in first["loc"])  # type: ignore[attr-defined]
    detail = f"{where}: {first['msg']}" if where else str(first["msg"])
    return JSONResponse({"detail": detail, "errors": errors}, status_code=422)


async def _domain(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return JSONResponse({"detail": exc.message}, status_code=exc.status_code)


async def _weak_password(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=422)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    incident = uuid.uuid4().hex[:12]
    log.error(
        "unhandled error", exc_info=exc, extra={"error_id": incident, "path": request.url.path}
    )
    return JSONResponse(
        {"detail": f"internal error; reference {incident} in the server log"}, status_code=500
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(ValidationError, _validation)
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(WeakPasswordError, _weak_password)
    app.add_exception_handler(Exception, _unexpected)
