"""Where an incident is: kelurahan and kecamatan of a point, and geocoding of a spoken address,
through the geo domain's region index and gazetteer.

Both indexes come from geo's per-process cache, so creating an incident does not rebuild them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from warroom.geo import lookup_cache
from warroom.geo.geocoding import geocode


@dataclass(frozen=True)
class Area:
    kelurahan_code: str | None = None
    kelurahan: str | None = None
    kecamatan_code: str | None = None
    kecamatan: str | None = None


@dataclass(frozen=True)
class Geocoded:
    lat: float
    lon: float
    label: str


def area_of(session: Session, lat: float, lon: float) -> Area:
    hits = lookup_cache.region_index(session).lookup(lat, lon)
    kel, kec = hits.get("kelurahan"), hits.get("kecamatan")
    return Area(
        kelurahan_code=kel.code if kel else None,
        kelurahan=kel.name if kel else None,
        kecamatan_code=kec.code if kec else None,
        kecamatan=kec.name if kec else None,
    )


def geocode_address(session: Session, text: str) -> Geocoded | None:
    """The best match for a spoken address, or None when nothing in the city is close."""
    results = geocode(text, gazetteer=lookup_cache.gazetteer(session), limit=1)
    if not results:
        return None
    best = results[0]
    return Geocoded(best.lat, best.lon, best.name)
