from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from warroom.core.db import Base, Database
from warroom.geo.osm import read_osm_graph
from warroom.geo.routing import Router

DATA = Path(__file__).parent / "data"
# (lat, lon) of the fixture's nodes, by OSM id
NODES = {
    1: (-5.14, 119.41),
    2: (-5.14, 119.411),
    3: (-5.14, 119.412),
    4: (-5.141, 119.41),
    5: (-5.141, 119.411),
    6: (-5.141, 119.412),
    7: (-5.142, 119.41),
    8: (-5.142, 119.411),
    9: (-5.142, 119.412),
}


@pytest.fixture
def small_osm(tmp_path: Path) -> Path:
    """A private copy, so the graph cache written beside it stays inside tmp_path."""
    target = tmp_path / "small_city.osm"
    shutil.copy(DATA / "small_city.osm", target)
    return target


@pytest.fixture(scope="session")
def small_router() -> Router:
    return Router(read_osm_graph(DATA / "small_city.osm"))


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    """A temporary SQLite database with every table (migrations come later)."""
    import warroom.geo.models
    import warroom.geo.places  # noqa: F401 - registers the tables

    db = Database(f"sqlite:///{tmp_path / 'geo.db'}")
    Base.metadata.create_all(db.engine)
    yield db
    db.dispose()


@pytest.fixture
def session(database: Database) -> Iterator[Session]:
    with database.write() as session:
        yield session
