"""Gazetteer storage: save imported places, load them back as an in-memory ``Gazetteer``.
Keyword-only functions on the caller's session; the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.geo.cells import cell_of
from warroom.geo.gazetteer import Gazetteer, PlaceRecord, normalise_name
from warroom.geo.models import Region
from warroom.geo.places import Place, PlaceAlias


@dataclass
class SaveReport:
    created: int = 0
    updated: int = 0
    sources: set[str] = field(default_factory=set)


def save_places(*, session: Session, places: Sequence[PlaceRecord]) -> SaveReport:
    """Insert new places and update those seen before (same source and source id), so
    importing the same file again refreshes rather than duplicates."""
    report = SaveReport()
    existing = _existing(session, {p.source for p in places})
    for record in places:
        row = existing.get((record.source, record.source_id)) if record.source_id else None
        if row is None:
            row = Place(source=record.source, source_id=record.source_id)
            session.add(row)
            report.created += 1
        else:
            report.updated += 1
        _fill(row, record)
        report.sources.add(record.source)
    session.flush()
    return report


def _existing(session: Session, sources: set[str]) -> dict[tuple[str, str | None], Place]:
    rows = session.scalars(select(Place).where(Place.source.in_(sources)))
    return {(row.source, row.source_id): row for row in rows}


def _fill(row: Place, record: PlaceRecord) -> None:
    row.name, row.name_key, row.kind = record.name, normalise_name(record.name), record.kind
    row.lat, row.lon, row.h3_cell = record.lat, record.lon, cell_of(record.lat, record.lon)
    row.address, row.region_code = record.address, record.region_code
    wanted = {normalise_name(a): a for a in record.aliases if normalise_name(a)}
    row.aliases = [a for a in row.aliases if a.alias_key in wanted]
    have = {a.alias_key for a in row.aliases}
    row.aliases.extend(
        PlaceAlias(alias=alias, alias_key=key) for key, alias in wanted.items() if key not in have
    )


def place_record(row: Place) -> PlaceRecord:
    return PlaceRecord(
        name=row.name,
        kind=row.kind,
        lat=row.lat,
        lon=row.lon,
        aliases=tuple(a.alias for a in row.aliases),
        address=row.address,
        source=row.source,
        source_id=row.source_id,
        region_code=row.region_code,
    )


def region_places(*, session: Session) -> list[PlaceRecord]:
    """Kecamatan and kelurahan with a known centre, as places (so "Kec. Mamajang" geocodes)."""
    rows = session.scalars(select(Region).where(Region.level.in_(("kecamatan", "kelurahan"))))
    return [
        PlaceRecord(
            name=r.name,
            kind=r.level,
            lat=r.centroid_lat,
            lon=r.centroid_lon,
            source="regions",
            source_id=r.code,
            region_code=r.code,
        )
        for r in rows
        if r.centroid_lat is not None and r.centroid_lon is not None
    ]


def load_gazetteer(*, session: Session) -> Gazetteer:
    """Every stored place plus the regions, ready for search and nearest-place queries."""
    places = [place_record(row) for row in session.scalars(select(Place))]
    return Gazetteer(places + region_places(session=session))
