"""Administrative regions (Kemendagri codes) and the statistics attached to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from warroom.core.clock import utcnow
from warroom.core.db import Base, UtcDateTime

REGION_LEVELS = ("province", "city", "kecamatan", "kelurahan")


class Region(Base):
    """One administrative area. ``code`` is the Kemendagri kode wilayah, e.g. ``73.71.01``."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    level: Mapped[str] = mapped_column(String(20), index=True)
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("regions.code", ondelete="RESTRICT"), index=True
    )
    centroid_lat: Mapped[float | None] = mapped_column(Float)
    centroid_lon: Mapped[float | None] = mapped_column(Float)
    # GeoJSON geometry (Polygon/MultiPolygon, lon/lat) when boundaries were imported; portable
    # across SQLite and PostgreSQL. Bounding box columns let queries prefilter without parsing it.
    boundary_geojson: Mapped[str | None] = mapped_column(Text)
    min_lat: Mapped[float | None] = mapped_column(Float)
    min_lon: Mapped[float | None] = mapped_column(Float)
    max_lat: Mapped[float | None] = mapped_column(Float)
    max_lon: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class RegionFigure(Base):
    """A statistic about a region, always with the year it describes and where it comes from."""

    __tablename__ = "region_figures"
    __table_args__ = (UniqueConstraint("region_code", "indicator", "year", name="figure"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code", ondelete="CASCADE"))
    indicator: Mapped[str] = mapped_column(String(60))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(30))
    year: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(300))
