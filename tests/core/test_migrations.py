"""Migrations build the schema on SQLite and PostgreSQL, match the models and ship the city."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select

from warroom.core import migrate
from warroom.core.db import Base, Database
from warroom.geo.models import Region, RegionFigure
from warroom.models import import_all_models


def test_migrations_reach_head(db: Database) -> None:
    assert migrate.current_heads(db) == migrate.script_heads(db) != frozenset()


def test_migrations_match_the_models(db: Database) -> None:
    import_all_models()
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models and migrations differ; write a migration: {diff}"


def test_upgrade_twice_changes_nothing(db: Database) -> None:
    migrate.upgrade(db)
    with db.read() as session:
        assert len(session.scalars(select(Region)).all()) == 17


def test_makassar_reference_regions(db: Database) -> None:
    with db.read() as session:
        kecamatan = session.scalars(select(Region).where(Region.level == "kecamatan")).all()
        city = session.get(Region, "73.71")
        province = session.get(Region, "73")
    assert len(kecamatan) == 15
    assert {k.code for k in kecamatan} == {f"73.71.{n:02d}" for n in range(1, 16)}
    assert all(k.parent_code == "73.71" for k in kecamatan)
    assert city is not None and city.parent_code == "73"
    assert province is not None and province.name == "Sulawesi Selatan"
    assert all("Kemendagri" in k.source for k in kecamatan)


def test_every_figure_carries_year_and_source(db: Database) -> None:
    with db.read() as session:
        figures = session.scalars(select(RegionFigure)).all()
    assert len(figures) >= 20
    assert all(f.year >= 2009 and f.source for f in figures)
    tamalate = {f.year: f.value for f in figures if f.region_code == "73.71.10"}
    assert tamalate == {2009: 154464, 2021: 181533}
