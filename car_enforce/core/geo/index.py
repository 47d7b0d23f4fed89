"""Which jurisdictions cover a point: an in-memory STRtree over prepared boundary polygons.

Built once from the stored WKT (WGS84) and then read-only, so one instance can serve every thread of
a worker. Rebuild it after importing boundaries; it holds no database state.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import shapely
from shapely import Point, STRtree
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from car_enforce.core.errors import InvalidInput
from car_enforce.core.geo.datum import Datum, to_wgs84
from car_enforce.core.geo.importer import LEVEL_RANK
from car_enforce.core.geo.models import Jurisdiction, JurisdictionLevel

# A point this close to a boundary (degrees, about 10 cm) counts as on it. Exact shared borders need no
# tolerance (a point on a shared edge is covered by both sides), but boundaries rounded to 1e-7 degree
# or repaired independently can leave centimetre slivers between neighbours, and a point in such a
# sliver must still land in one of them rather than in none.
BORDER_TOLERANCE_DEG = 1e-6


class JurisdictionIndex:
    def __init__(self, entries: Iterable[tuple[int, JurisdictionLevel | str, str]]) -> None:
        ids: list[int] = []
        ranks: list[int] = []
        geometries: list[BaseGeometry] = []
        for jurisdiction_id, level, wkt in entries:
            try:
                rank = LEVEL_RANK[JurisdictionLevel(level)]
            except ValueError:
                detail = f"jurisdiction {jurisdiction_id}: unknown level {level!r}"
                raise InvalidInput(
                    "level", detail, zh=f"行政区划 {jurisdiction_id} 的级别 {level} 无法识别"
                ) from None
            geometry = shapely.from_wkt(wkt)
            if geometry is None or geometry.is_empty:
                continue
            ids.append(jurisdiction_id)
            ranks.append(rank)
            geometries.append(geometry)
        # Plain lists for the per-lookup work: with a handful of candidates per point, numpy's per-call
        # overhead costs more than the loop it would replace.
        self._ids = ids
        self._ranks = ranks
        self._geometries = geometries
        # Preparing builds each polygon's edge index once; point-in-polygon then costs O(log n) in the
        # number of vertices instead of a scan of the whole (island-laden) boundary.
        shapely.prepare(geometries)
        # The tree holds each boundary's bounding box grown by the border tolerance, so one point query
        # returns every polygon the point is in or within tolerance of.
        bounds = shapely.bounds(np.array(geometries, dtype=object)).reshape(-1, 4)
        grown = bounds + np.array([-1.0, -1.0, 1.0, 1.0]) * BORDER_TOLERANCE_DEG
        self._tree = STRtree(shapely.box(grown[:, 0], grown[:, 1], grown[:, 2], grown[:, 3]))

    @classmethod
    def load(cls, session: Session) -> JurisdictionIndex:
        rows = session.execute(
            select(Jurisdiction.id, Jurisdiction.level, Jurisdiction.boundary_wkt)
            .where(Jurisdiction.boundary_wkt.is_not(None))
            .order_by(Jurisdiction.id)
        )
        return cls((row.id, row.level, row.boundary_wkt) for row in rows if row.boundary_wkt)

    def __len__(self) -> int:
        return len(self._ids)

    def covering(self, lon: float, lat: float, datum: Datum | str = Datum.WGS84) -> list[int]:
        """Ids of every jurisdiction covering the point, most specific level first (county, city, province).

        A point on a border shared by two units is covered by both; within a level the lower id comes
        first, so ``most_specific`` is deterministic there.
        """
        if len(self._ids) == 0:
            return []
        w_lon, w_lat = to_wgs84(lon, lat, datum)
        point = Point(w_lon, w_lat)
        candidates: list[int] = self._tree.query(point).tolist()
        hits = [i for i in candidates if self._geometries[i].covers(point)]
        missing = {self._ranks[i] for i in candidates} - {self._ranks[i] for i in hits}
        if missing:
            # Only for levels the exact test found nothing in: either the point is outside them (the
            # sea, another country) or it sits in a sliver along a border.
            # The prepared per-polygon distance test is ~5x faster than the tree's dwithin predicate.
            hits += [
                i
                for i in candidates
                if self._ranks[i] in missing and self._geometries[i].dwithin(point, BORDER_TOLERANCE_DEG)
            ]
        # Most specific level first (highest rank), then the lower id.
        hits.sort(key=lambda i: (-self._ranks[i], self._ids[i]))
        return [self._ids[i] for i in hits]

    def most_specific(self, lon: float, lat: float, datum: Datum | str = Datum.WGS84) -> int | None:
        found = self.covering(lon, lat, datum)
        return found[0] if found else None


# One index per process, rebuilt when the stored boundaries change. Building costs tens of milliseconds
# and parses every WKT; a cheap fingerprint query, asked at most every few seconds, tells whether another
# process (or an import in this one) changed them since. Boundaries change a few times a year; hits are
# routed many times a minute.
RECHECK_S = 10.0


@dataclass
class _Cached:
    fingerprint: tuple[object, ...]
    checked_at: float
    index: JurisdictionIndex


_cached: weakref.WeakKeyDictionary[object, _Cached] = weakref.WeakKeyDictionary()  # per engine
_cache_lock = threading.Lock()


def _fingerprint(session: Session) -> tuple[object, ...]:
    row = session.execute(
        select(
            func.count(Jurisdiction.id),
            func.max(Jurisdiction.id),
            func.coalesce(func.sum(func.length(Jurisdiction.boundary_wkt)), 0),
        )
    ).one()
    return tuple(row)


def cached_index(session: Session) -> JurisdictionIndex:
    """The process's index over the database's stored boundaries, rebuilt when they have changed."""
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)
    current = _cached.get(engine)
    if current is not None and time.monotonic() - current.checked_at < RECHECK_S:
        return current.index
    fingerprint = _fingerprint(session)
    with _cache_lock:
        current = _cached.get(engine)
        if current is None or current.fingerprint != fingerprint:
            current = _Cached(fingerprint, time.monotonic(), JurisdictionIndex.load(session))
            _cached[engine] = current
        current.checked_at = time.monotonic()
        return current.index


def invalidate_cached_index() -> None:
    """Forget every index of this process (after an import here: the next lookup rebuilds)."""
    with _cache_lock:
        _cached.clear()
