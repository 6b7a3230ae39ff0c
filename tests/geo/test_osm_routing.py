"""Routing on the hand-written OSM fixture: one-ways, maxspeed, access=no, footways."""

from __future__ import annotations

from pathlib import Path

import osmium
import pytest

from tests.geo.conftest import NODES
from warroom.geo.coords import distance_m
from warroom.geo.errors import GeoInputError, NoRouteError
from warroom.geo.osm import load_osm_graph, read_osm_graph
from warroom.geo.routing import Router

ROW_M = distance_m(-5.140, 119.41, -5.141, 119.41)  # one block north-south
COL_M = distance_m(-5.140, 119.41, -5.140, 119.411)  # one block east-west


def _seconds(meters: float, kmh: float) -> float:
    return meters / (kmh / 3.6)


def _visits(route_coords: list[tuple[float, float]], *node_ids: int) -> bool:
    points = {(round(lat, 6), round(lon, 6)) for lon, lat in route_coords}
    return all(NODES[n] in points for n in node_ids)


def test_graph_keeps_junctions_and_drops_closed_and_foot_ways(small_router: Router) -> None:
    graph = small_router.graph
    assert graph.synthetic is False
    assert graph.source == "osm:small_city.osm"
    assert set(graph.seg.names) == {
        "Jalan Utara",
        "Jalan Tengah",
        "Jalan Selatan",
        "Jalan Barat",
        "Jalan Timur",
    }
    assert graph.node_count == 6  # the corners; 2, 5 and 8 meet only closed or foot ways
    assert 30 not in NODES and graph.seg.geom_lat.size > graph.node_count  # shape points kept


def test_oneway_forces_a_detour(small_router: Router) -> None:
    # 6 -> 4 cannot use Jalan Tengah (4 -> 6 only): 6 -> 3 -> 2 -> 1 -> 4.
    route = small_router.route(NODES[6], NODES[4])
    expected = _seconds(ROW_M, 25) + _seconds(2 * COL_M, 50) + _seconds(ROW_M, 25)
    assert route.seconds == pytest.approx(expected, rel=1e-3)
    assert route.meters == pytest.approx(2 * ROW_M + 2 * COL_M, rel=1e-3)
    assert _visits(route.coordinates, 6, 3, 2, 1, 4)


def test_oneway_allows_its_own_direction(small_router: Router) -> None:
    route = small_router.route(NODES[4], NODES[6])
    assert route.seconds == pytest.approx(_seconds(2 * COL_M, 25), rel=1e-3)
    geometry = route.geojson()
    assert geometry["type"] == "LineString"
    assert geometry["coordinates"][0] == pytest.approx([119.41, -5.141])
    assert geometry["coordinates"][-1] == pytest.approx([119.412, -5.141])


def test_access_no_road_is_not_used(small_router: Router) -> None:
    # 2 -> 8 straight down Jalan Tertutup is closed: around by 1, 4, 7.
    route = small_router.route(NODES[2], NODES[8])
    expected = _seconds(COL_M, 50) + _seconds(2 * ROW_M, 25) + _seconds(COL_M, 40)
    assert route.seconds == pytest.approx(expected, rel=1e-3)
    assert _visits(route.coordinates, 1, 4, 7)
    assert not _visits(route.coordinates, 5)


def test_reverse_oneway_tag(small_router: Router) -> None:
    # Jalan Timur is oneway=-1: 9 -> 3 is allowed (2 blocks at 25 km/h) ...
    up = small_router.route(NODES[9], NODES[3])
    assert up.seconds == pytest.approx(_seconds(2 * ROW_M, 25), rel=1e-3)
    # ... and 3 -> 9 must go round by the west side.
    down = small_router.route(NODES[3], NODES[9])
    assert down.seconds > up.seconds
    assert _visits(down.coordinates, 1, 7, 8)


def test_midblock_points_pay_only_the_part_driven(small_router: Router) -> None:
    # From the middle of Jalan Utara (between 1 and 2) to the middle of Jalan Barat (1 to 4).
    start, end = (-5.14, 119.4105), (-5.1405, 119.41)
    route = small_router.route(start, end)
    expected = _seconds(COL_M / 2, 50) + _seconds(ROW_M / 2, 25)
    assert route.seconds == pytest.approx(expected, rel=2e-3)
    assert route.geojson()["coordinates"][0] == pytest.approx([119.4105, -5.14])


def test_same_segment_route_follows_the_street(small_router: Router) -> None:
    route = small_router.route((-5.14, 119.4102), (-5.14, 119.4108))
    assert route.meters == pytest.approx(0.6 * COL_M, rel=1e-3)
    assert route.edges == []


def test_maxspeed_units_and_profile() -> None:
    from warroom.geo.profile import RoadProfile, parse_maxspeed

    assert parse_maxspeed("30 mph") == pytest.approx(48.28, rel=1e-3)
    assert parse_maxspeed("ID:urban") is None
    profile = RoadProfile()
    assert not profile.is_routable({"highway": "service", "access": "private"})
    assert profile.is_routable({"highway": "service", "access": "no", "motor_vehicle": "yes"})
    assert profile.direction({"highway": "primary", "junction": "roundabout"}).backward is False


def test_pbf_gives_the_same_graph(tmp_path: Path) -> None:
    pbf = tmp_path / "small_city.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(Path(__file__).parent / "data/small_city.osm")):
            writer.add(obj)
    graph = read_osm_graph(pbf)
    route = Router(graph).route(NODES[6], NODES[4])
    assert route.seconds == pytest.approx(
        _seconds(2 * ROW_M, 25) + _seconds(2 * COL_M, 50), rel=1e-3
    )


def test_graph_cache_is_reused_and_invalidated(
    small_osm: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = load_osm_graph(small_osm)
    assert (small_osm.parent / "small_city.osm.graph.npz").is_file()

    def fail(*_args: object, **_kw: object) -> None:
        raise AssertionError("should have come from the cache")

    monkeypatch.setattr("warroom.geo.osm.read_osm_graph", fail)
    again = load_osm_graph(small_osm)
    assert again.edge_count == first.edge_count
    monkeypatch.undo()
    small_osm.write_text(small_osm.read_text().replace('maxspeed" v="50"', 'maxspeed" v="30"'))
    changed = load_osm_graph(small_osm)
    assert changed.edge_kmh.min() == pytest.approx(25.0)
    assert 30.0 in set(changed.edge_kmh.tolist())


def test_no_route_when_islands(tmp_path: Path) -> None:
    island = tmp_path / "islands.osm"
    island.write_text(
        '<?xml version="1.0"?><osm version="0.6">'
        '<node id="1" lat="-5.14" lon="119.41"/><node id="2" lat="-5.14" lon="119.42"/>'
        '<node id="3" lat="-5.15" lon="119.41"/><node id="4" lat="-5.15" lon="119.42"/>'
        '<way id="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="primary"/></way>'
        '<way id="2"><nd ref="3"/><nd ref="4"/><tag k="highway" v="primary"/></way></osm>'
    )
    router = Router(read_osm_graph(island))
    with pytest.raises(NoRouteError, match="no route"):
        router.route((-5.14, 119.41), (-5.15, 119.42))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("<osm><node id='1' lat='x'", "malformed OSM"),
        (
            '<?xml version="1.0"?><osm version="0.6"><node id="1" lat="1" lon="1"/></osm>',
            "no routable roads",
        ),
    ],
)
def test_bad_osm_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.osm"
    path.write_text(content)
    with pytest.raises(GeoInputError, match=message):
        read_osm_graph(path)


def test_unknown_file_type_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(GeoInputError, match="unknown OSM file type"):
        read_osm_graph(tmp_path / "roads.csv")
    with pytest.raises(GeoInputError, match="no such file"):
        read_osm_graph(tmp_path / "missing.osm.pbf")


def test_coordinates_out_of_range(small_router: Router) -> None:
    with pytest.raises(GeoInputError, match="latitude"):
        small_router.route((91.0, 119.41), NODES[1])
    with pytest.raises(GeoInputError, match="longitude"):
        small_router.route(NODES[1], (-5.14, float("nan")))


def test_probe_edges_follow_heading_and_one_ways(small_router: Router) -> None:
    graph = small_router.graph
    # On Jalan Utara (two-way, west-east) between 1 and 2, heading east and west; on Jalan
    # Tengah (one-way eastwards) heading west; far from any road.
    lat = [-5.14, -5.14, -5.141, -5.150]
    lon = [119.4105, 119.4105, 119.4105, 119.4105]
    edges = small_router.probe_edges(lat=lat, lon=lon, heading_deg=[90.0, 270.0, 270.0, 90.0])
    east, west = int(edges[0]), int(edges[1])
    assert graph.node_lon[graph.edge_head[east]] > graph.node_lon[graph.edge_tail[east]]
    assert graph.node_lon[graph.edge_head[west]] < graph.node_lon[graph.edge_tail[west]]
    assert edges[2:].tolist() == [-1, -1]
    no_heading = small_router.probe_edges(lat=lat[1:3], lon=lon[1:3])
    assert no_heading[0] == -1  # two-way without a heading: ambiguous
    assert graph.seg.names[graph.seg.name[graph.edge_seg[no_heading[1]]]] == "Jalan Tengah"
    small_router.update_segment_speeds(edge_ids=[east], speeds_kmh=[5.0])
    slow = small_router.route((-5.14, 119.41), (-5.14, 119.412))
    assert slow.seconds > _seconds(2 * COL_M, 50) * 2
    small_router.reset_speeds()
