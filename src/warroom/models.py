"""Imports every domain's tables so Alembic and tests see the whole schema."""

from __future__ import annotations

import importlib

MODEL_MODULES = (
    "warroom.core.audit",
    "warroom.core.outbox",
    "warroom.accounts.models",
    "warroom.geo.models",
    "warroom.emergency.models",
    "warroom.geo.places",
    "warroom.fleet.models",
    "warroom.weather.models",
    "warroom.cameras.models",
)


def import_all_models() -> None:
    for name in MODEL_MODULES:
        importlib.import_module(name)
