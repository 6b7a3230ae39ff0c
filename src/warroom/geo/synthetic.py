"""Synthetic road networks: the Makassar demo city when no OSM extract is supplied, and large
grids for tests and benchmarks.

Everything here is generated, seeded and deterministic, and every graph built here says
``synthetic=True`` so the API and UI can label it: these streets do not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix  # type: ignore[import-untyped, unused-ignore]
from scipy.sparse.csgraph import (  # type: ignore[import-untyped, unused-ignore]
    connected_components,
)

from warroom.geo.coords import EARTH_RADIUS_M
from warroom.geo.graph import F64, I32, RoadGraph, Segments

HIGHWAYS = ["primary", "secondary", "residential"]
CLASS_KMH = (60.0, 40.0, 25.0)  # arterial, collector, residential
# Rough Makassar shoreline: longitude of the coast at a few latitudes; the sea lies west of it.
_COAST_LAT = (-5.21, -5.18, -5.15, -5.13, -5.11, -5.08, -5.04)
_COAST_LON = (119.385, 119.395, 119.402, 119.405, 119.418, 119.440, 119.470)
MAKASSAR_BBOX = (-5.20, 119.38, -5.05, 119.55)  # south, west, north, east


@dataclass(frozen=True)
class GridSpec:
    south: float
    west: float
    rows: int
    cols: int
    spacing_m: float
    seed: int = 7
    drop_share: float = 0.12  # residential links left out, so blocks differ
    oneway_share: float = 0.2  # residential links made one-way
    jitter_share: float = 0.2  # node position noise as a share of the spacing


def makassar_land(lat: F64, lon: F64) -> NDArray[np.bool_]:
    """True for points east of the (approximate) shoreline."""
    return np.asarray(lon >= np.interp(lat, _COAST_LAT, _COAST_LON))


def makassar_network(spacing_m: float = 250.0, seed: int = 7) -> RoadGraph:
    """The demo city: a grid over Makassar's extent, arterials every 8th street, collectors every
    4th, some one-way residential streets, nothing in the sea."""
    south, west, north, east = MAKASSAR_BBOX
    rows = int(_deg_lat_m(north - south) / spacing_m) + 1
    cols = int(_deg_lon_m(east - west, south) / spacing_m) + 1
    spec = GridSpec(south=south, west=west, rows=rows, cols=cols, spacing_m=spacing_m, seed=seed)
    graph = grid_network(spec, land=True, source="synthetic:makassar")
    graph.meta["note"] = "synthetic road network over Makassar's extent; streets are not real"
    return graph


def grid_network(
    spec: GridSpec, *, land: bool = False, source: str = "synthetic:grid"
) -> RoadGraph:
    """A jittered grid road network, restricted to its largest strongly connected part so that
    every node can reach every other (as a real city's main component can)."""
    rng = np.random.default_rng(spec.seed)
    r, c = np.divmod(np.arange(spec.rows * spec.cols), spec.cols)
    jitter = rng.uniform(-spec.jitter_share, spec.jitter_share, (2, r.size)) * spec.spacing_m
    lat = spec.south + _m_to_deg_lat(r * spec.spacing_m + jitter[0])
    lon = spec.west + _m_to_deg_lon(c * spec.spacing_m + jitter[1], spec.south)
    u, v, klass = _grid_links(spec.rows, spec.cols)
    keep = (klass < 2) | (rng.random(u.size) >= spec.drop_share)
    if land:
        on_land = makassar_land(lat, lon)
        keep &= on_land[u] & on_land[v]
    u, v, klass = u[keep], v[keep], klass[keep]
    fwd = np.asarray(CLASS_KMH)[klass]
    bwd = fwd.copy()
    oneway = (klass == 2) & (rng.random(u.size) < spec.oneway_share)
    flip = rng.random(u.size) < 0.5
    bwd[oneway & ~flip] = 0.0
    fwd[oneway & flip] = 0.0
    return _assemble(lat, lon, u, v, klass, fwd, bwd, source)


def _grid_links(rows: int, cols: int) -> tuple[I32, I32, I32]:
    """Horizontal and vertical neighbour links with their class (0 arterial .. 2 residential)."""
    idx = np.arange(rows * cols, dtype=np.int32).reshape(rows, cols)
    row_class = _line_class(np.arange(rows))
    col_class = _line_class(np.arange(cols))
    h_u, h_v = idx[:, :-1].ravel(), idx[:, 1:].ravel()
    h_class = np.repeat(row_class, cols - 1)
    v_u, v_v = idx[:-1, :].ravel(), idx[1:, :].ravel()
    v_class = np.tile(col_class, rows - 1)
    return (
        np.concatenate([h_u, v_u]),
        np.concatenate([h_v, v_v]),
        np.concatenate([h_class, v_class]).astype(np.int32),
    )


def _line_class(i: NDArray[np.int64]) -> I32:
    return np.where(i % 8 == 0, 0, np.where(i % 4 == 0, 1, 2)).astype(np.int32)


def _assemble(
    lat: F64, lon: F64, u: I32, v: I32, klass: I32, fwd: F64, bwd: F64, source: str
) -> RoadGraph:
    u, v, klass, fwd, bwd = _largest_component(lat.size, u, v, klass, fwd, bwd)
    used = np.unique(np.concatenate([u, v]))
    remap = np.full(lat.size, -1, dtype=np.int32)
    remap[used] = np.arange(used.size, dtype=np.int32)
    u, v = remap[u], remap[v]
    lat, lon = lat[used], lon[used]
    geom_lat = np.stack([lat[u], lat[v]], 1).ravel()
    geom_lon = np.stack([lon[u], lon[v]], 1).ravel()
    names = [f"Jalan Sintetis {k} {i}" for k in ("A", "K", "R") for i in range(1, 200)]
    street = (np.minimum(u, v) % 199).astype(np.int32) + klass * 199
    seg = Segments(
        u=u,
        v=v,
        geom_ptr=np.arange(0, 2 * u.size + 1, 2, dtype=np.int64),
        geom_lat=geom_lat,
        geom_lon=geom_lon,
        forward_kmh=fwd,
        backward_kmh=bwd,
        way_id=-np.arange(1, u.size + 1, dtype=np.int64),
        name=street,
        highway=klass,
        names=names,
        highways=list(HIGHWAYS),
    )
    return RoadGraph.build(lat, lon, seg, source=source, synthetic=True)


def _largest_component(
    n: int, u: I32, v: I32, klass: I32, fwd: F64, bwd: F64
) -> tuple[I32, I32, I32, F64, F64]:
    tails = np.concatenate([u[fwd > 0], v[bwd > 0]])
    heads = np.concatenate([v[fwd > 0], u[bwd > 0]])
    matrix = csr_matrix((np.ones(tails.size), (tails, heads)), shape=(n, n))
    _, labels = connected_components(matrix, directed=True, connection="strong")
    biggest = np.bincount(labels).argmax()
    keep = (labels[u] == biggest) & (labels[v] == biggest)
    return u[keep], v[keep], klass[keep], fwd[keep], bwd[keep]


def _deg_lat_m(deg: float) -> float:
    return float(np.radians(deg) * EARTH_RADIUS_M)


def _deg_lon_m(deg: float, lat: float) -> float:
    return float(np.radians(deg) * EARTH_RADIUS_M * np.cos(np.radians(lat)))


def _m_to_deg_lat(m: F64) -> F64:
    return np.asarray(np.degrees(m / EARTH_RADIUS_M))


def _m_to_deg_lon(m: F64, lat: float) -> F64:
    return np.asarray(np.degrees(m / (EARTH_RADIUS_M * np.cos(np.radians(lat)))))
