"""Geocoding (text -> places with coordinates) and reverse geocoding (point -> nearest street,
nearest place, kelurahan and kecamatan), offline, over a ``Gazetteer``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from warroom.geo.address import NormalisedAddress, normalise_address
from warroom.geo.coords import check_lat_lon
from warroom.geo.gazetteer import Gazetteer, Match, Nearby, PlaceRecord
from warroom.geo.region_index import RegionHit, RegionIndex

if TYPE_CHECKING:
    from warroom.geo.routing import Router

# Less precise answers rank below more precise ones of similar score.
PRECISION_PENALTY = {"place": 0.0, "street": 0.0, "kelurahan": 6.0, "kecamatan": 12.0}


@dataclass(frozen=True)
class GeocodeResult:
    lat: float
    lon: float
    name: str
    kind: str
    precision: str  # place, street, kelurahan or kecamatan
    score: float
    regions: dict[str, RegionHit] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "lat": round(self.lat, 6),
            "lon": round(self.lon, 6),
            "name": self.name,
            "kind": self.kind,
            "precision": self.precision,
            "score": round(self.score, 1),
            "regions": {level: _hit_dict(hit) for level, hit in self.regions.items()},
        }


@dataclass(frozen=True)
class ReverseResult:
    lat: float
    lon: float
    street: str | None
    street_distance_m: float | None
    place: Nearby | None
    regions: dict[str, RegionHit]
    synthetic_streets: bool

    def as_dict(self) -> dict[str, Any]:
        place = None
        if self.place is not None:
            place = {
                "name": self.place.place.name,
                "kind": self.place.place.kind,
                "distance_m": round(self.place.distance_m, 1),
            }
        return {
            "lat": self.lat,
            "lon": self.lon,
            "street": self.street,
            "street_distance_m": (
                None if self.street_distance_m is None else round(self.street_distance_m, 1)
            ),
            "street_source_synthetic": self.synthetic_streets,
            "place": place,
            "regions": {level: _hit_dict(hit) for level, hit in self.regions.items()},
        }


def _hit_dict(hit: RegionHit) -> dict[str, Any]:
    return {"code": hit.code, "name": hit.name, "approximate": hit.approximate}


def geocode(
    text: str, *, gazetteer: Gazetteer, regions: RegionIndex | None = None, limit: int = 5
) -> list[GeocodeResult]:
    """Best matches for an address or place name, best first (empty when nothing is close)."""
    address = normalise_address(text)
    results: dict[tuple[str, float, float], GeocodeResult] = {}
    for query, kinds, precision in _queries(address, text):
        for match in gazetteer.search(query, kinds=kinds, limit=limit):
            result = _result(match, precision, address, regions)
            key = (result.name, result.lat, result.lon)
            if key not in results or results[key].score < result.score:
                results[key] = result
    return sorted(results.values(), key=lambda r: -r.score)[:limit]


def _queries(address: NormalisedAddress, text: str) -> list[tuple[str, list[str] | None, str]]:
    queries: list[tuple[str, list[str] | None, str]] = []
    if address.name:
        queries.append((address.name, None, "place"))
    if address.street:
        queries.append((address.street, ["street"], "street"))
    if address.kelurahan:
        queries.append((address.kelurahan, ["kelurahan"], "kelurahan"))
    if address.kecamatan:
        queries.append((address.kecamatan, ["kecamatan"], "kecamatan"))
    return queries or [(text, None, "place")]


def _result(
    match: Match, precision: str, address: NormalisedAddress, regions: RegionIndex | None
) -> GeocodeResult:
    place: PlaceRecord = match.place
    hits = regions.lookup(place.lat, place.lon) if regions else {}
    score = match.score - PRECISION_PENALTY[precision]
    stated = address.kecamatan
    found = hits.get("kecamatan")
    if stated and found:  # the address names a kecamatan: agree or disagree with it
        score += 5.0 if found.name.lower() == stated else -10.0
    return GeocodeResult(
        lat=place.lat,
        lon=place.lon,
        name=place.name,
        kind=place.kind,
        precision=precision if place.kind != "street" else "street",
        score=max(0.0, min(100.0, score)),
        regions=hits,
    )


def reverse_geocode(
    lat: float,
    lon: float,
    *,
    gazetteer: Gazetteer | None = None,
    router: Router | None = None,
    regions: RegionIndex | None = None,
    max_m: float = 500.0,
) -> ReverseResult:
    """Nearest named street (from the road network) and nearest place within ``max_m``, plus
    the regions containing the point."""
    lat, lon = check_lat_lon(lat, lon)
    street, street_m = None, None
    if router is not None:
        street, street_m = _nearest_street(router, lat, lon, max_m)
    place = None
    if gazetteer is not None:
        near = gazetteer.nearest(lat, lon, limit=1, max_m=max_m, kinds=[k for k in _POINT_KINDS])
        place = near[0] if near else None
    return ReverseResult(
        lat=lat,
        lon=lon,
        street=street,
        street_distance_m=street_m,
        place=place,
        regions=regions.lookup(lat, lon) if regions else {},
        synthetic_streets=bool(router and router.graph.synthetic),
    )


_POINT_KINDS = (
    "landmark",
    "hospital",
    "clinic",
    "school",
    "university",
    "market",
    "mosque",
    "church",
    "police",
    "fire_station",
    "government",
    "other",
)


def _nearest_street(
    router: Router, lat: float, lon: float, max_m: float
) -> tuple[str | None, float | None]:
    snap = router.snap([lat], [lon])
    distance = float(snap.distance_m[0])
    if distance > max_m:
        return None, None
    name = router.graph.segment_name(int(snap.seg[0]))
    return name, distance
