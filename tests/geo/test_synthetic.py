"""The synthetic Makassar network: labelled, deterministic, on land, routable everywhere."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from warroom.geo.graph import load_graph, save_graph
from warroom.geo.network import load_network
from warroom.geo.routing import Router
from warroom.geo.synthetic import MAKASSAR_BBOX, makassar_land, makassar_network


def test_makassar_network_is_labelled_and_deterministic(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WARROOM_OSM_FILE", raising=False)
    graph = load_network()
    assert graph.synthetic is True
    assert graph.describe()["source"] == "synthetic:makassar"
    assert "not real" in graph.describe()["note"]
    again = makassar_network()
    np.testing.assert_array_equal(graph.node_lat, again.node_lat)
    np.testing.assert_array_equal(graph.edge_time_s, again.edge_time_s)


def test_makassar_network_stays_on_land_with_mixed_roads() -> None:
    graph = makassar_network()
    south, west, north, east = MAKASSAR_BBOX
    assert makassar_land(graph.node_lat, graph.node_lon).all()
    assert south - 0.01 < graph.node_lat.min() and graph.node_lat.max() < north + 0.01
    assert west - 0.01 < graph.node_lon.min() and graph.node_lon.max() < east + 0.01
    assert set(np.unique(graph.edge_kmh).tolist()) == {25.0, 40.0, 60.0}
    one_way = (graph.seg_fwd_edge < 0) | (graph.seg_bwd_edge < 0)
    assert 0 < one_way.sum() < one_way.size
    router = Router(graph)
    # Strongly connected: a random node reaches every other.
    everyone = router.one_to_many(
        origin=(graph.node_lat[0], graph.node_lon[0]), targets=(graph.node_lat, graph.node_lon)
    )
    assert np.isfinite(everyone.seconds).all()


def test_graph_round_trips_through_npz(tmp_path: Path) -> None:
    graph = makassar_network()
    path = tmp_path / "g.npz"
    save_graph(graph, path)
    loaded = load_graph(path)
    assert loaded.synthetic and loaded.source == graph.source
    np.testing.assert_array_equal(loaded.edge_head, graph.edge_head)
    np.testing.assert_allclose(loaded.edge_time_s, graph.edge_time_s)
