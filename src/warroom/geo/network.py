"""Which road network the city runs on: the OSM extract the operator supplied
(``WARROOM_OSM_FILE`` or an explicit path), otherwise the synthetic Makassar network, which is
labelled as such (``graph.synthetic``) everywhere it is shown."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path

from warroom.geo.graph import RoadGraph
from warroom.geo.osm import load_osm_graph
from warroom.geo.profile import DEFAULT_CLASS_SPEEDS_KMH, RoadProfile
from warroom.geo.routing import Router
from warroom.geo.synthetic import makassar_network

OSM_FILE_ENV = "WARROOM_OSM_FILE"
_routers: dict[str, Router] = {}
_lock = threading.Lock()


def load_network(*, osm_file: Path | None = None, profile: RoadProfile | None = None) -> RoadGraph:
    """The road graph: ``osm_file``, else ``$WARROOM_OSM_FILE``, else the synthetic city."""
    path = osm_file or (Path(os.environ[OSM_FILE_ENV]) if os.environ.get(OSM_FILE_ENV) else None)
    if path is None:
        return makassar_network()
    return load_osm_graph(path, profile=profile)


def get_router(
    *, osm_file: Path | None = None, speeds_kmh: Mapping[str, float] | None = None
) -> Router:
    """A process-wide router per network source, built on first use and then shared.

    ``speeds_kmh`` overrides the speed of some road classes (``{"primary": 45}``) for an OSM
    extract; the synthetic city has its own fixed classes.
    """
    path = osm_file or (Path(os.environ[OSM_FILE_ENV]) if os.environ.get(OSM_FILE_ENV) else None)
    overrides = dict(speeds_kmh or {})
    key = (str(path.resolve()) if path else "synthetic") + repr(sorted(overrides.items()))
    profile = RoadProfile({**DEFAULT_CLASS_SPEEDS_KMH, **overrides}) if overrides else None
    with _lock:
        if key not in _routers:
            _routers[key] = Router(load_network(osm_file=path, profile=profile))
        return _routers[key]
