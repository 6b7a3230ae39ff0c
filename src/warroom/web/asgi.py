"""ASGI entry point for running under an external server or several workers:
``uvicorn --factory warroom.web.asgi:app --workers N`` (settings from the environment)."""

from __future__ import annotations

from fastapi import FastAPI

from warroom.core.config import load_settings
from warroom.core.logging import configure_logging
from warroom.web.app import create_app


def app() -> FastAPI:
    settings = load_settings()
    configure_logging(settings.log_level)
    return create_app(settings)
