"""Errors of the geo domain. Services raise these; the CLI prints the message, the API maps them."""

from __future__ import annotations

from warroom.core.errors import InvalidInputError, NotFoundError


class GeoInputError(InvalidInputError):
    """Bad geo input: unreadable or malformed files, coordinates out of range, unknown formats."""


class NoRouteError(NotFoundError):
    """The road network has no route between the two points (for example across a one-way trap)."""
