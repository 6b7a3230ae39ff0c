"""``warroom geo``: routing, geocoding and imports from the command line.

Errors are one line on stderr and an exit status, never a traceback: 2 for bad input (files,
coordinates), 1 when the question has no answer (no route, nothing found).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from sqlalchemy.exc import SQLAlchemyError

from warroom.core.errors import DomainError
from warroom.geo.coords import parse_lat_lon
from warroom.geo.errors import GeoInputError, NoRouteError

if TYPE_CHECKING:
    from warroom.core.db import Database
    from warroom.geo.gazetteer import Gazetteer, PlaceRecord
    from warroom.geo.region_index import RegionIndex

geo_app = typer.Typer(
    help="Places, geocoding, road network and travel times.", no_args_is_help=True
)
EXIT_NO_ANSWER = 1
EXIT_BAD_INPUT = 2

OsmOption = Annotated[
    Path | None,
    typer.Option(
        "--osm", help="OSM extract (.osm, .osm.pbf); default $WARROOM_OSM_FILE, else synthetic"
    ),
]


@contextmanager
def _errors() -> Iterator[None]:
    """Turn domain errors into a message and an exit status."""
    try:
        yield
    except NoRouteError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(EXIT_NO_ANSWER) from None
    except (GeoInputError, DomainError) as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except OSError as exc:  # unreadable files, permissions, full disks
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")


def _note_network(describe: Callable[[], dict[str, Any]]) -> None:
    info = describe()
    if info["synthetic"]:
        typer.echo(
            "note: using the SYNTHETIC demo road network (streets are not real); "
            "pass --osm FILE or set WARROOM_OSM_FILE for real roads",
            err=True,
        )


# Makassar lies south of the equator: "-5.14,119.42" must read as a value, not an option.
COORDINATES = {"ignore_unknown_options": True}


@geo_app.command("route", context_settings=COORDINATES)
def route_command(
    origin: Annotated[str, typer.Argument(help="LAT,LON of the start")],
    destination: Annotated[str, typer.Argument(help="LAT,LON of the end")],
    osm: OsmOption = None,
) -> None:
    """Fastest route by car: prints {"seconds", "meters", "geometry"} as JSON."""
    from warroom.geo.network import get_router

    with _errors():
        start, end = parse_lat_lon(origin), parse_lat_lon(destination)
        router = get_router(osm_file=osm)
        _note_network(router.describe)
        result = router.route(start, end).as_dict()
        result["network"] = router.describe()["source"]
        _print_json(result)


@geo_app.command("network")
def network_command(osm: OsmOption = None) -> None:
    """Describe the road network in use (source, synthetic or not, size)."""
    from warroom.geo.network import get_router

    with _errors():
        _print_json(get_router(osm_file=osm).describe())


PlacesOption = Annotated[
    Path | None,
    typer.Option("--places", help="Use places from this CSV or OSM file instead of the database"),
]


@contextmanager
def _database() -> Iterator[Database]:
    """The configured database (WARROOM_DATABASE_URL or the data folder's SQLite file)."""
    from warroom.core.config import ConfigError, load_settings
    from warroom.core.db import Database

    try:
        settings = load_settings()
    except ConfigError as exc:
        raise GeoInputError(str(exc)) from None
    database = Database(settings.resolved_database_url)
    try:
        yield database
    finally:
        database.dispose()


def _gazetteer_and_regions(places: Path | None) -> tuple[Gazetteer, RegionIndex]:
    """From ``--places`` (plus the shipped kecamatan centroids), else from the database."""
    from warroom.geo.gazetteer import Gazetteer
    from warroom.geo.place_import import read_places
    from warroom.geo.places_service import load_gazetteer
    from warroom.geo.region_index import load_region_index, reference_region_index

    if places is not None:
        regions = reference_region_index()
        return Gazetteer(read_places(places) + _reference_places()), regions
    try:
        with _database() as database, database.read() as session:
            return load_gazetteer(session=session), load_region_index(session=session)
    except SQLAlchemyError as exc:
        raise GeoInputError(
            f"cannot read places from the database ({exc.__class__.__name__}); "
            "run the migrations or pass --places FILE"
        ) from None


def _reference_places() -> list[PlaceRecord]:
    from warroom.geo.gazetteer import PlaceRecord
    from warroom.geo.reference import makassar_regions

    return [
        PlaceRecord(
            name=r["name"],
            kind="kecamatan",
            lat=r["centroid_lat"],
            lon=r["centroid_lon"],
            source="reference",
            source_id=r["code"],
            region_code=r["code"],
        )
        for r in makassar_regions()
        if r["level"] == "kecamatan"
    ]


@geo_app.command("geocode")
def geocode_command(
    text: Annotated[str, typer.Argument(help="Address or place name, e.g. 'Jl. Sam Ratulangi'")],
    places: PlacesOption = None,
    limit: Annotated[int, typer.Option(min=1, max=50)] = 5,
) -> None:
    """Find places for an address or name (offline, fuzzy); prints a JSON list."""
    from warroom.geo.geocoding import geocode

    with _errors():
        gazetteer, regions = _gazetteer_and_regions(places)
        results = geocode(text, gazetteer=gazetteer, regions=regions, limit=limit)
        if not results:
            typer.echo(f"error: nothing found for {text!r}", err=True)
            raise typer.Exit(EXIT_NO_ANSWER)
        _print_json([r.as_dict() for r in results])


@geo_app.command("reverse", context_settings=COORDINATES)
def reverse_command(
    point: Annotated[str, typer.Argument(help="LAT,LON")],
    places: PlacesOption = None,
    osm: OsmOption = None,
    max_m: Annotated[float, typer.Option("--max-m", min=1)] = 500.0,
) -> None:
    """Nearest street and place, kelurahan and kecamatan of a point; prints JSON."""
    from warroom.geo.geocoding import reverse_geocode
    from warroom.geo.network import get_router

    with _errors():
        lat, lon = parse_lat_lon(point)
        gazetteer, regions = _gazetteer_and_regions(places)
        router = get_router(osm_file=osm)
        _note_network(router.describe)
        result = reverse_geocode(
            lat, lon, gazetteer=gazetteer, router=router, regions=regions, max_m=max_m
        )
        _print_json(result.as_dict())


@geo_app.command("import-places")
def import_places_command(
    file: Annotated[
        Path, typer.Argument(help="CSV (name,lat,lon[,kind,aliases,address,id]) or OSM extract")
    ],
) -> None:
    """Add or refresh gazetteer places from a CSV or OSM file."""
    from warroom.geo.place_import import read_places
    from warroom.geo.places_service import save_places

    with _errors():
        records = read_places(file)
        with _database() as database, database.write() as session:
            report = save_places(session=session, places=records)
        _print_json(
            {
                "created": report.created,
                "updated": report.updated,
                "sources": sorted(report.sources),
            }
        )


@geo_app.command("import-regions")
def import_regions_command(
    file: Annotated[Path, typer.Argument(help="Boundaries as GeoJSON or Shapefile (.shp)")],
) -> None:
    """Create or update administrative regions (with boundaries) from a file."""
    from warroom.geo.region_import import import_regions

    with _errors():
        with _database() as database, database.write() as session:
            report = import_regions(session=session, path=file)
        _print_json({"created": report.created, "updated": report.updated})
