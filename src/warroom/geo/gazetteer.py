"""The gazetteer in memory: fuzzy search over names and aliases, and nearest places.

Built from ``PlaceRecord`` values (from the database, a CSV or an OSM file) and queried without
any network. Names and queries go through the same normalisation as addresses
(``address.tokenize``), so "RSUD Daya" finds "Rumah Sakit Umum Daerah Daya" and "Jl. Sam
Ratulangi" finds "Jalan Sam Ratulangi"; rapidfuzz's WRatio then forgives typos and word order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process
from scipy.spatial import cKDTree  # type: ignore[import-untyped, unused-ignore]

from warroom.geo.address import tokenize
from warroom.geo.coords import LocalProjection, check_lat_lon, distance_m
from warroom.geo.errors import GeoInputError

PLACE_KINDS = (
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
    "street",
    "kelurahan",
    "kecamatan",
    "other",
)


@dataclass(frozen=True)
class PlaceRecord:
    name: str
    kind: str
    lat: float
    lon: float
    aliases: tuple[str, ...] = ()
    address: str | None = None
    source: str = "manual"
    source_id: str | None = None
    region_code: str | None = None


@dataclass(frozen=True)
class Match:
    place: PlaceRecord
    score: float  # 0..100
    matched: str  # the name or alias that matched


@dataclass(frozen=True)
class Nearby:
    place: PlaceRecord
    distance_m: float


def normalise_name(text: str) -> str:
    """Search key of a name: address tokens without punctuation ("RS. Wahidin" ->
    "rumah sakit wahidin")."""
    return " ".join(t for t in tokenize(text) if t not in {",", "/"})


class Gazetteer:
    def __init__(self, places: Sequence[PlaceRecord]) -> None:
        self.places = list(places)
        self._keys: list[str] = []
        self._owner: list[int] = []
        for i, place in enumerate(self.places):
            check_lat_lon(place.lat, place.lon)
            for label in (place.name, *place.aliases):
                key = normalise_name(label)
                if key:
                    self._keys.append(key)
                    self._owner.append(i)
        lat = np.array([p.lat for p in self.places], dtype=np.float64)
        lon = np.array([p.lon for p in self.places], dtype=np.float64)
        self._proj = LocalProjection.around(lat, lon)
        x, y = self._proj.to_xy(lat, lon)
        self._tree = cKDTree(np.stack([x, y], 1)) if self.places else None

    def __len__(self) -> int:
        return len(self.places)

    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        kinds: Sequence[str] | None = None,
        min_score: float = 70.0,
    ) -> list[Match]:
        """Best places for a name, best first; one entry per place."""
        key = normalise_name(query)
        if not key:
            raise GeoInputError("empty search text")
        wanted = set(kinds) if kinds else None
        found = process.extract(
            key, self._keys, scorer=_score, score_cutoff=min_score, limit=max(limit * 5, 20)
        )
        best: dict[int, Match] = {}
        for label, score, index in found:
            owner = self._owner[index]
            place = self.places[owner]
            if wanted and place.kind not in wanted:
                continue
            if owner not in best or best[owner].score < score:
                best[owner] = Match(place=place, score=float(score), matched=label)
        return sorted(best.values(), key=lambda m: (-m.score, m.place.name))[:limit]

    def nearest(
        self,
        lat: float,
        lon: float,
        *,
        limit: int = 5,
        max_m: float = 1000.0,
        kinds: Sequence[str] | None = None,
    ) -> list[Nearby]:
        """Places nearest to a point, within ``max_m``, nearest first."""
        lat, lon = check_lat_lon(lat, lon)
        if self._tree is None:
            return []
        x, y = self._proj.to_xy(lat, lon)
        k = min(len(self.places), limit * 4 if kinds else limit)
        dist, idx = self._tree.query([float(x), float(y)], k=k, distance_upper_bound=max_m * 1.01)
        out = []
        for i in np.atleast_1d(idx).tolist():
            if i >= len(self.places):
                continue
            place = self.places[i]
            if kinds and place.kind not in kinds:
                continue
            meters = distance_m(lat, lon, place.lat, place.lon)
            if meters <= max_m:
                out.append(Nearby(place=place, distance_m=meters))
        del dist
        return sorted(out, key=lambda n: n.distance_m)[:limit]


def _score(query: str, choice: str, **kwargs: Any) -> float:
    """Mean of WRatio (typos, partial names, word order) and token-set ratio (every query word
    present). WRatio alone ties "rumah sakit daya" between "rumah sakit umum daerah daya" and
    "... contoh", since the shared generic words carry it; the token-set half breaks that tie.
    Exact keys get a small bonus so "pasar sentral" ranks "Pasar Sentral" above "Pasar Sentral
    Lama"."""
    score = (fuzz.WRatio(query, choice) + fuzz.token_set_ratio(query, choice)) / 2
    score = min(100.0, score + 2.0) if query == choice else float(score)
    cutoff = kwargs.get("score_cutoff")
    return score if cutoff is None or score >= cutoff else 0.0
