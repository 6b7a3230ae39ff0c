"""Reference regions shipped with warroom: Sulawesi Selatan (73), Kota Makassar (73.71) and its
15 kecamatan, with population figures labelled by year and source.

Loaded by the migration ``0002_reference_data``. It writes through lightweight table clauses, not
the ORM models, so the migration keeps working when the models change later.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from importlib import resources
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warroom.core.clock import utcnow

CODES_SOURCE = "Kemendagri, Kepmendagri 300.2.2-2138/2025"
CENTROID_NOTE = "centroid approximate"

_regions = sa.table(
    "regions",
    sa.column("code"),
    sa.column("name"),
    sa.column("level"),
    sa.column("parent_code"),
    sa.column("centroid_lat"),
    sa.column("centroid_lon"),
    sa.column("source"),
    sa.column("updated_at"),
)
_figures = sa.table(
    "region_figures",
    sa.column("region_code"),
    sa.column("indicator"),
    sa.column("value"),
    sa.column("unit"),
    sa.column("year"),
    sa.column("source"),
)


def _read_csv(name: str) -> Iterator[dict[str, str]]:
    with resources.files("warroom.geo.data").joinpath(name).open(encoding="utf-8") as handle:
        yield from csv.DictReader(handle)


def makassar_regions() -> list[dict[str, Any]]:
    now = utcnow()
    rows: list[dict[str, Any]] = [
        {
            "code": "73",
            "name": "Sulawesi Selatan",
            "level": "province",
            "parent_code": None,
            "centroid_lat": None,
            "centroid_lon": None,
        },
        {
            "code": "73.71",
            "name": "Kota Makassar",
            "level": "city",
            "parent_code": "73",
            "centroid_lat": -5.1477,
            "centroid_lon": 119.4327,
        },
    ]
    for row in _read_csv("makassar_kecamatan.csv"):
        rows.append(
            {
                "code": row["kode_wilayah"],
                "name": row["name"],
                "level": "kecamatan",
                "parent_code": "73.71",
                "centroid_lat": float(row["centroid_lat"]),
                "centroid_lon": float(row["centroid_lon"]),
            }
        )
    for region in rows:
        approximate = f"; {CENTROID_NOTE}" if region["centroid_lat"] else ""
        region["source"] = CODES_SOURCE + approximate
        region["updated_at"] = now
    return rows


def makassar_figures() -> list[dict[str, Any]]:
    return [
        {
            "region_code": r["region_code"],
            "indicator": r["indicator"],
            "value": float(r["value"]),
            "unit": r["unit"],
            "year": int(r["year"]),
            "source": r["source"],
        }
        for r in _read_csv("makassar_figures.csv")
    ]


def load_reference_regions(conn: Connection) -> None:
    """Insert the shipped regions and figures that are not there yet (safe to run again)."""
    present = set(conn.scalars(sa.select(_regions.c.code)))
    new_regions = [r for r in makassar_regions() if r["code"] not in present]
    if new_regions:
        conn.execute(_regions.insert(), new_regions)
    have = {
        (r.region_code, r.indicator, r.year)
        for r in conn.execute(
            sa.select(_figures.c.region_code, _figures.c.indicator, _figures.c.year)
        )
    }
    new_figures = [
        f for f in makassar_figures() if (f["region_code"], f["indicator"], f["year"]) not in have
    ]
    if new_figures:
        conn.execute(_figures.insert(), new_figures)
