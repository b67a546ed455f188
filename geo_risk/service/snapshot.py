"""The data snapshot the use cases run on, and what is built from it once.

:class:`SnapshotData` holds one :class:`~geo_risk.store.snapshot.Snapshot` (every table the
core reads) and builds, lazily and once, what checks need: the area surfaces and scoring
snapshots of a day, the walk graph, the school calendar and per-young-person scoring
contexts. The web app keeps one per worker (:class:`SnapshotCache`, rebuilt when the data or
the day changes); a CLI command builds one for its single question. Both run the same use
cases on it, so the same question gets the same answer through every door.

Area surfaces are fitted for a **day** (00:00 UTC of ``as_of``): a check made at 14:30 and one
made at 09:00 the same day rank a point against the same surface, while links and places are
judged live or expired at the exact ``as_of`` (one that expired at 09:00 no longer counts at
14:30).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.engine import Engine

from geo_risk.config import Policy
from geo_risk.store.snapshot import Snapshot, load_snapshot

log = logging.getLogger(__name__)

_KEY_SQL = text(
    "SELECT "
    "(SELECT max(id) FROM import_run), (SELECT max(id) FROM evidence_review), "
    "(SELECT count(*) FROM incident), (SELECT max(id) FROM incident), "
    "(SELECT count(*) FROM link), (SELECT max(id) FROM link), "
    "(SELECT count(*) FROM place), (SELECT max(id) FROM place), "
    "(SELECT count(*) FROM person), (SELECT count(*) FROM peer_group), "
    "(SELECT count(*) FROM street_segment), (SELECT count(*) FROM school), (SELECT count(*) FROM area)"
)
_CONTEXT_CACHE = 128
_OTHER_DAYS = 4  # surfaces kept for days other than the snapshot's own (checks made for a past date)
KINDS = ("placement", "route")


def data_key(engine: Engine) -> tuple:
    """A cheap fingerprint of the data the snapshot reads: it changes when any of it changes."""
    with engine.connect() as conn:
        return tuple(conn.execute(_KEY_SQL).one())


def day_of(when: dt.datetime) -> dt.datetime:
    """00:00 of ``when``'s day (the moment a day's area surfaces are fitted for)."""
    return when.replace(hour=0, minute=0, second=0, microsecond=0)


class SnapshotData:
    """One snapshot and what is built from it. Lazy parts are built once, under a lock.

    Parameters
    ----------
    snapshot
        The loaded tables.
    policy
        The versioned policy every check runs under.
    as_of
        The snapshot's own day (00:00 UTC); parts for other days are built on demand and a
        few are kept.
    key
        :func:`data_key` of the database when the snapshot was loaded.
    school_holidays
        The school holidays file (``GEO_RISK_SCHOOL_HOLIDAYS``), read on the first route check.
    """

    def __init__(self, snapshot: Snapshot, policy: Policy, as_of: dt.datetime, key: tuple = (), *,
                 school_holidays: Path | None = None, area_of_interest: Path | None = None) -> None:
        self.snapshot = snapshot
        self.policy = policy
        self.school_holidays = school_holidays
        self.area_of_interest = area_of_interest
        self.as_of = day_of(as_of)
        self.key = key
        self._lock = threading.RLock()
        self._lazy: dict[str, Any] = {}
        self._part_locks: dict[str, threading.Lock] = {}
        self._contexts: OrderedDict[tuple[str, str, dt.datetime], Any] = OrderedDict()
        self._other_days: OrderedDict[dt.datetime, None] = OrderedDict()
        self.is_synthetic = _is_synthetic(snapshot)

    @classmethod
    def load(cls, engine: Engine, policy: Policy, as_of: dt.datetime, *,
             school_holidays: Path | None = None, area_of_interest: Path | None = None) -> SnapshotData:
        """Load the snapshot from ``engine`` for ``as_of``'s day."""
        t0 = time.perf_counter()
        key = data_key(engine)
        out = cls(load_snapshot(engine), policy, as_of, key, school_holidays=school_holidays,
                  area_of_interest=area_of_interest)
        log.info("data snapshot loaded in %.0f ms", (time.perf_counter() - t0) * 1000)
        return out

    def _get(self, name: str, build: Callable[[], Any]) -> Any:
        """The lazy part ``name``, built once; a slow build blocks only callers of that same part."""
        value = self._lazy.get(name)
        if value is None:
            with self._lock:
                part_lock = self._part_locks.setdefault(name, threading.Lock())
            with part_lock:
                value = self._lazy.get(name)
                if value is None:
                    t0 = time.perf_counter()
                    value = build()
                    self._lazy[name] = value
                    log.info("built %s in %.0f ms", name.split(":")[0], (time.perf_counter() - t0) * 1000)
        return value

    def memo(self, name: str, build: Callable[[], Any]) -> Any:
        """``build()``, computed once per snapshot for ``name`` (a key naming everything it depends on
        besides the snapshot) and kept with it."""
        return self._get(f"memo:{name}", build)

    def _day_part(self, name: str, day: dt.datetime | None, build: Callable[[dt.datetime], Any]) -> Any:
        """A part built for one day; parts of days other than the snapshot's are kept a few at a time."""
        day = self.as_of if day is None else day_of(day)
        if day != self.as_of:
            with self._lock:
                self._other_days[day] = None
                self._other_days.move_to_end(day)
                while len(self._other_days) > _OTHER_DAYS:
                    old, _ = self._other_days.popitem(last=False)
                    for k in [k for k in self._lazy if k.endswith(f"@{old.isoformat()}")]:
                        self._lazy.pop(k, None)
        return self._get(f"{name}@{day.isoformat()}", lambda: build(day))

    # ---------------------------------------------------------------- what checks need
    @property
    def bounds(self) -> tuple[float, float, float, float] | None:
        """The extent of the areas and streets loaded (EPSG:27700): surfaces rank points within it."""
        def build():
            frames = [f for f in (self.snapshot.areas, self.snapshot.streets) if len(f)]
            if not frames:
                return None
            b = np.array([f.total_bounds for f in frames])
            return (float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max()))

        value = self._get("bounds", lambda: build() or ())
        return value or None

    def surface(self, day: dt.datetime | None = None):
        """The area surface fitted for ``day`` (default: the snapshot's day): the area forecast
        (:func:`geo_risk.surface.forecast.forecast_surface`), next month's expected target incidents
        in the square around a place."""
        from geo_risk.surface.forecast import forecast_surface

        return self._day_part("surface", day, lambda d: forecast_surface(
            self.snapshot.incidents, d, self.policy.surface, bounds=self.bounds))

    def scoring(self, day: dt.datetime | None = None):
        """The placement checks' :class:`~geo_risk.scoring.ScoringSnapshot` for ``day``."""
        from geo_risk.scoring import ScoringSnapshot
        from geo_risk.scoring.area import address_reference

        s = self.snapshot

        def build(d):
            coverage = self.coverage(d)
            postcodes = s.postcodes
            xy = (np.column_stack([postcodes.geometry.x, postcodes.geometry.y]) if postcodes is not None
                  and len(postcodes) else np.zeros((0, 2)))
            return ScoringSnapshot.from_frames(
                people=s.people, groups=s.groups, links=s.links, places=s.places, incidents=s.incidents,
                surface=address_reference(self.surface(d), xy, coverage), coverage=coverage)

        return self._day_part("scoring", day, build)

    @property
    def area_of_interest_geometry(self):
        """The configured area of interest (``GEO_RISK_AREA_OF_INTEREST``) as one geometry, or None.

        A file that cannot be read is the server's problem: its message goes to the log and checks
        fail with a DataSourceError until it is fixed."""
        from geo_risk.errors import DataSourceError, GeoRiskError
        from geo_risk.ingest.boundaries import read_boundaries

        if self.area_of_interest is None:
            return None

        def build():
            try:
                return read_boundaries(self.area_of_interest).gdf.union_all()
            except GeoRiskError as exc:
                log.error("GEO_RISK_AREA_OF_INTEREST: %s", exc)
                msg = "the area of interest file (GEO_RISK_AREA_OF_INTEREST) cannot be used; see the server log"
                raise DataSourceError(msg) from exc

        return self._get("area_of_interest", build)

    def coverage(self, day: dt.datetime | None = None):
        """The area the data cover on ``day`` (:func:`geo_risk.scoring.area.data_coverage`): within the
        policy's ``coverage_buffer_m`` of the incidents in the area surface's horizon, inside the areas loaded
        and inside the configured area of interest."""
        from geo_risk.scoring.area import data_coverage

        s = self.snapshot
        aoi = self.area_of_interest_geometry

        def build(d):
            incidents = s.incidents
            when = pd.to_datetime(incidents["occurred_at"]) if len(incidents) else pd.Series([], dtype="datetime64[ns]")
            start = pd.Timestamp(d) - pd.Timedelta(days=float(self.policy.surface.horizon_days))
            recent = incidents[((when <= pd.Timestamp(d)) & (when > start)).to_numpy()]
            xy = np.column_stack([recent.geometry.x, recent.geometry.y]) if len(recent) else np.zeros((0, 2))
            areas = list(s.areas.geometry) if len(s.areas) else None
            return data_coverage(xy, areas=areas, buffer_m=float(self.policy.scoring.coverage_buffer_m),
                                 area_of_interest=aoi)

        return self._day_part("coverage", day, build)

    @property
    def school_calendar(self):
        """The school holidays (:class:`geo_risk.routing.schoolrun.SchoolCalendar`), or None if not set.

        A file that cannot be used is the server's problem, not the user's: its message (file, line,
        fix; no personal data) goes to the log and route checks fail with a DataSourceError until
        it is fixed."""
        from geo_risk.errors import DataSourceError, GeoRiskError
        from geo_risk.ingest.school_holidays import read_school_holidays

        if self.school_holidays is None:
            return None

        def build():
            try:
                return read_school_holidays(self.school_holidays)
            except GeoRiskError as exc:
                log.error("GEO_RISK_SCHOOL_HOLIDAYS: %s", exc)
                msg = "the school holidays file (GEO_RISK_SCHOOL_HOLIDAYS) cannot be used; see the server log"
                raise DataSourceError(msg) from exc

        return self._get("school_calendar", build)

    def route_scoring(self, day: dt.datetime | None = None):
        """The route checks' scoring snapshot for ``day``: the school-run surface (school days, school
        hours) instead of the all-hours one."""
        from geo_risk.routing.adapters import school_run_surface
        from geo_risk.scoring import ScoringSnapshot

        s = self.snapshot

        def build(d):
            surface = school_run_surface(s.incidents, d, self.policy, bounds=self.bounds,
                                         calendar=self.school_calendar)
            return ScoringSnapshot.from_frames(people=s.people, groups=s.groups, links=s.links, places=s.places,
                                               incidents=s.incidents, surface=surface)

        return self._day_part("route_scoring", day, build)

    @property
    def walk_graph(self):
        from geo_risk.routing import build_walk_graph

        return self._get("walk_graph", lambda: build_walk_graph(
            self.snapshot.streets, sample_step_m=self.policy.routing.sample_step_m))

    def context(self, kind: str, pseudonym: str, as_of: dt.datetime | None = None):
        """The scoring context of one young person for ``kind`` ('placement' or 'route') at ``as_of``
        (default: the snapshot's day), cached. Surfaces are those of ``as_of``'s day."""
        if kind not in KINDS:
            msg = f"kind must be one of {', '.join(KINDS)}, got {kind!r}"
            raise ValueError(msg)
        as_of = as_of or self.as_of
        key = (kind, pseudonym, as_of)
        with self._lock:
            ctx = self._contexts.get(key)
            if ctx is not None:
                self._contexts.move_to_end(key)
                return ctx
        base = self.scoring(as_of) if kind == "placement" else self.route_scoring(as_of)
        ctx = base.context(pseudonym, as_of, self.policy,
                           evidence="as_confirmed" if kind == "placement" else "graded")
        with self._lock:
            self._contexts[key] = ctx
            while len(self._contexts) > _CONTEXT_CACHE:
                self._contexts.popitem(last=False)
        return ctx

    def warm(self) -> None:
        """Build the parts every check needs (run in a background thread after a snapshot loads)."""
        try:
            self.surface()
            self.scoring()
            _ = self.walk_graph
            self.route_scoring()
        except Exception:  # a failed warm-up only means the first request builds it
            log.exception("warming the snapshot's indexes failed; they will be built on first use")

    def people_ids(self) -> pd.DataFrame:
        return self._get("people_ids", lambda: self.snapshot.people[["pseudonym", "is_child"]].copy())


def _is_synthetic(snapshot: Snapshot) -> bool:
    for frame, col in ((snapshot.areas, "name"), (snapshot.schools, "name")):
        if len(frame) and frame[col].astype(str).str.contains("synthetic", case=False).any():
            return True
    return False


class SnapshotCache:
    """The current :class:`SnapshotData` of one process, rebuilt when the data or the day changes.

    A cheap query (:func:`data_key`) is run at most every ``check_seconds``; a new key, or a new
    day on ``clock``, loads a new snapshot. One thread checks and rebuilds while the others keep
    serving the current snapshot.

    Parameters
    ----------
    engine, policy
        The store and the policy.
    clock
        Returns now (naive UTC).
    check_seconds
        How often the data key is checked.
    factory
        Builds the snapshot object (``SnapshotData`` or a subclass adding page-only parts).
    on_load
        Called with each new snapshot (e.g. to warm it in a background thread).
    """

    def __init__(self, *, clock: Callable[[], dt.datetime], check_seconds: Callable[[], float] | float = 30.0,
                 factory: Callable[..., SnapshotData] = SnapshotData, school_holidays: Path | None = None,
                 on_load: Callable[[SnapshotData], None] | None = None,
                 area_of_interest: Path | None = None) -> None:
        self._clock = clock
        self._check_seconds = check_seconds
        self._factory = factory
        self._school_holidays = school_holidays
        self._area_of_interest = area_of_interest
        self._on_load = on_load
        self._lock = threading.Lock()
        self._current: SnapshotData | None = None
        self._checked_at = 0.0

    @property
    def current(self) -> SnapshotData | None:
        """The snapshot loaded last, without checking for changes (None before the first load)."""
        return self._current

    def _interval(self) -> float:
        value = self._check_seconds
        return float(value() if callable(value) else value)

    def get(self, engine: Engine, policy: Policy) -> SnapshotData:
        now = time.monotonic()
        current = self._current
        interval = self._interval()
        today = day_of(self._clock())
        if current is not None and now - self._checked_at < interval and current.as_of == today:
            return current
        if not self._lock.acquire(blocking=current is None):
            return current  # type: ignore[return-value]
        try:
            current = self._current
            if current is not None and time.monotonic() - self._checked_at < interval and current.as_of == today:
                return current
            key = data_key(engine)
            if current is None or current.key != key or current.as_of != today:
                t0 = time.perf_counter()
                current = self._factory(load_snapshot(engine), policy, today, key,
                                        school_holidays=self._school_holidays,
                                        area_of_interest=self._area_of_interest)
                self._current = current
                log.info("data snapshot loaded in %.0f ms", (time.perf_counter() - t0) * 1000)
                if self._on_load is not None:
                    self._on_load(current)
            self._checked_at = time.monotonic()
            return current
        finally:
            self._lock.release()

    def invalidate(self) -> None:
        with self._lock:
            self._checked_at = 0.0
