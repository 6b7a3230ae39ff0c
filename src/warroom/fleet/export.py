"""Report rows as CSV or XLSX (openpyxl, write-only mode: constant memory per row)."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula is prefixed with a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def columns(rows: list[dict[str, Any]]) -> list[str]:
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    return list(names)


def to_csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns(rows), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({key: _cell(value) for key, value in row.items()} for row in rows)
    return out.getvalue().encode("utf-8")


def to_xlsx(rows: list[dict[str, Any]], title: str) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    names = columns(rows)
    sheet.append(names)
    for row in rows:
        sheet.append([_cell(row.get(name)) for name in names])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
