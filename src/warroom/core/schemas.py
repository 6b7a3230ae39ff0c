"""What every module's request bodies share: unknown fields refused, strings stripped, and
partial updates that may leave a field out but not clear one the record cannot be without."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _refuse_null(value: Any) -> Any:
    if value is None:
        raise ValueError("cannot be null; leave the field out to keep its value")
    return value


def not_null(*fields: str) -> Any:
    """A validator for the fields of a partial update that may be left out but not cleared
    (a null there would reach a NOT NULL column and fail the transaction instead)."""
    return field_validator(*fields, mode="before")(_refuse_null)
