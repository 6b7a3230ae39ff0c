"""Shortest travel times checked against networkx Dijkstra on a generated city grid."""

from __future__ import annotations

import itertools

import networkx as nx  # type: ignore[import-untyped, unused-ignore]
import numpy as np
import pytest

from warroom.geo.graph import RoadGraph
from warroom.geo.kernels import HAVE_NUMBA
from warroom.geo.routing import Router
from warroom.geo.snapping import nodes_as_snaps
from warroom.geo.synthetic import GridSpec, grid_network

BACKENDS = [
    "scipy",
    pytest.param("numba", marks=pytest.mark.skipif(not HAVE_NUMBA, reason="numba not installed")),
]


@pytest.fixture(scope="module")
def graph() -> RoadGraph:
    spec = GridSpec(
        south=-5.17, west=119.42, rows=24, cols=26, spacing_m=140, seed=3, oneway_share=0.35
    )
    return grid_network(spec)


def oracle(graph: RoadGraph) -> nx.DiGraph:
    g = nx.DiGraph()
    for tail, head, seconds, meters in zip(
        graph.edge_tail.tolist(),
        graph.edge_head.tolist(),
        graph.edge_time_s.tolist(),
        graph.edge_length_m.tolist(),
        strict=True,
    ):
        if not g.has_edge(tail, head) or g[tail][head]["weight"] > seconds:
            g.add_edge(tail, head, weight=seconds, meters=meters)
    return g


def node_point(graph: RoadGraph, node: int) -> tuple[float, float]:
    return float(graph.node_lat[node]), float(graph.node_lon[node])


def path_meters(g: nx.DiGraph, path: list[int]) -> float:
    return float(sum(g[a][b]["meters"] for a, b in itertools.pairwise(path)))


@pytest.mark.parametrize("backend", BACKENDS)
def test_point_to_point_matches_networkx(graph: RoadGraph, backend: str) -> None:
    router, g = Router(graph, backend=backend), oracle(graph)
    rng = np.random.default_rng(11)
    for a, b in rng.integers(0, graph.node_count, size=(40, 2)).tolist():
        route = router.route(node_point(graph, a), node_point(graph, b))
        seconds, path = nx.single_source_dijkstra(g, a, b)
        assert route.seconds == pytest.approx(seconds, abs=1e-6)
        assert route.meters == pytest.approx(path_meters(g, path), rel=1e-9, abs=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_one_to_many_and_many_to_one_match_networkx(graph: RoadGraph, backend: str) -> None:
    router, g = Router(graph, backend=backend), oracle(graph)
    rng = np.random.default_rng(5)
    targets = rng.integers(0, graph.node_count, size=200)
    snaps = nodes_as_snaps(graph, targets)
    for origin in rng.integers(0, graph.node_count, size=6).tolist():
        out = router.one_to_many(origin=node_point(graph, origin), targets=snaps)
        lengths, paths = nx.single_source_dijkstra(g, origin)
        np.testing.assert_allclose(out.seconds, [lengths[t] for t in targets.tolist()], atol=1e-6)
        assert out.meters is not None
        np.testing.assert_allclose(
            out.meters, [path_meters(g, paths[t]) for t in targets.tolist()], atol=1e-6
        )
        back = router.many_to_one(sources=snaps, destination=node_point(graph, origin))
        to_origin = nx.single_source_dijkstra_path_length(g.reverse(copy=False), origin)
        np.testing.assert_allclose(
            back.seconds, [to_origin[t] for t in targets.tolist()], atol=1e-6
        )


def test_backends_agree_on_midblock_points(graph: RoadGraph) -> None:
    if not HAVE_NUMBA:
        pytest.skip("numba not installed")
    rng = np.random.default_rng(9)
    lat = rng.uniform(graph.node_lat.min(), graph.node_lat.max(), 300)
    lon = rng.uniform(graph.node_lon.min(), graph.node_lon.max(), 300)
    fast, slow = Router(graph, backend="numba"), Router(graph, backend="scipy")
    origin = (float(lat[0]), float(lon[0]))
    a = fast.one_to_many(origin=origin, targets=(lat, lon))
    b = slow.one_to_many(origin=origin, targets=(lat, lon))
    np.testing.assert_allclose(a.seconds, b.seconds, rtol=1e-9)
    for i in range(1, 20):  # the single route agrees with the batch answer
        route = fast.route(origin, (float(lat[i]), float(lon[i])))
        assert route.seconds == pytest.approx(a.seconds[i], rel=1e-9)


def test_live_speed_update_changes_routes(graph: RoadGraph) -> None:
    local = grid_network(
        GridSpec(south=-5.17, west=119.42, rows=12, cols=12, spacing_m=140, seed=4)
    )
    router = Router(local)
    a, b = 0, local.node_count - 1
    before = router.route(node_point(local, a), node_point(local, b))
    jammed = np.asarray(before.edges)
    router.update_segment_speeds(edge_ids=jammed, speeds_kmh=np.full(jammed.size, 3.0))
    after = router.route(node_point(local, a), node_point(local, b))
    assert after.seconds > before.seconds
    assert set(after.edges) != set(before.edges)
    expected = nx.dijkstra_path_length(oracle(local), a, b)
    assert after.seconds == pytest.approx(expected, abs=1e-6)
    router.reset_speeds()
    assert router.route(node_point(local, a), node_point(local, b)).seconds == pytest.approx(
        before.seconds
    )


def test_unreachable_targets_are_infinite() -> None:
    local = grid_network(GridSpec(south=-5.17, west=119.42, rows=5, cols=5, spacing_m=140))
    router = Router(local, max_snap_m=500)
    out = router.one_to_many(
        origin=node_point(local, 0),
        targets=([local.node_lat[0], -4.0], [local.node_lon[0], 119.42]),
    )
    assert np.isfinite(out.seconds[0]) and out.seconds[0] < 1
    assert np.isinf(out.seconds[1])
    assert out.reachable.tolist() == [True, False]


@pytest.mark.parametrize("backend", BACKENDS)
def test_max_seconds_cuts_off_far_targets(graph: RoadGraph, backend: str) -> None:
    router = Router(graph, backend=backend)
    targets = nodes_as_snaps(graph, np.arange(graph.node_count))
    full = router.many_to_one(sources=targets, destination=node_point(graph, 0))
    capped = router.many_to_one(
        sources=targets, destination=node_point(graph, 0), max_seconds=120.0
    )
    near = full.seconds <= 120.0
    assert 0 < near.sum() < graph.node_count
    np.testing.assert_allclose(capped.seconds[near], full.seconds[near])
    assert np.isinf(capped.seconds[~near]).all()
