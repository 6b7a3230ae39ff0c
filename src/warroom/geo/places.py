"""Gazetteer tables: named places (landmarks, hospitals, schools, markets, streets, kelurahan)
and their aliases. Geometry stays portable: a point as lat/lon plus its H3 cell (resolution 9,
see ``cells.py``) for "near here" prefilters on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from warroom.core.clock import utcnow
from warroom.core.db import Base, UtcDateTime


class Place(Base):
    __tablename__ = "places"
    __table_args__ = (
        UniqueConstraint("source", "source_id", name="source_ref"),
        Index("ix_places_lat_lon", "lat", "lon"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    # normalise_name(name): what searches compare against (abbreviations expanded, lower case)
    name_key: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    h3_cell: Mapped[str] = mapped_column(String(16), index=True)
    address: Mapped[str | None] = mapped_column(Text)
    region_code: Mapped[str | None] = mapped_column(String(20), index=True)
    source: Mapped[str] = mapped_column(String(80))  # "osm:<file>", "csv:<file>", "manual"
    source_id: Mapped[str | None] = mapped_column(String(80))  # "node/123" or the CSV's id
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    aliases: Mapped[list[PlaceAlias]] = relationship(
        back_populates="place", cascade="all, delete-orphan", lazy="selectin"
    )


class PlaceAlias(Base):
    __tablename__ = "place_aliases"
    __table_args__ = (UniqueConstraint("place_id", "alias_key", name="alias"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id", ondelete="CASCADE"), index=True)
    alias: Mapped[str] = mapped_column(String(200))
    alias_key: Mapped[str] = mapped_column(String(200), index=True)

    place: Mapped[Place] = relationship(back_populates="aliases")
