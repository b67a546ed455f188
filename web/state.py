"""The app's data snapshot, built once and rebuilt when data changes.

A cheap query (max ids and counts of the tables the snapshot reads, plus the evidence
review counter) gives a *data key*; it is checked at most every
``GEO_RISK_DATA_CHECK_SECONDS`` per worker, and a new key (or a new day, since
surfaces decay with time) builds a new :class:`AppData`. Indexes that only some pages
need (area surfaces, the walk graph, base-map layers, per-young-person scoring
contexts) are built lazily on first use and kept with the snapshot.
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

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import Engine

from geo_risk.config import Policy
from geo_risk.crs import to_serve
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


def data_key(engine: Engine) -> tuple:
    with engine.connect() as conn:
        return tuple(conn.execute(_KEY_SQL).one())


class AppData:
    """One snapshot and what is built from it. Lazy parts are built once, under a lock."""

    def __init__(self, snapshot: Snapshot, policy: Policy, as_of: dt.datetime, key: tuple, *,
                 school_holidays: Path | None = None) -> None:
        self.snapshot = snapshot
        self.policy = policy
        self.school_holidays = school_holidays  # GEO_RISK_SCHOOL_HOLIDAYS, read on the first route check
        self.as_of = as_of  # the day checks are made for (midnight UTC)
        self.key = key
        self._lock = threading.RLock()
        self._lazy: dict[str, Any] = {}
        self._part_locks: dict[str, threading.Lock] = {}
        self._contexts: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self.is_synthetic = _is_synthetic(snapshot)

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

    # ---------------------------------------------------------------- scoring and routing
    @property
    def surface(self):
        from geo_risk.surface.intensity import IntensitySurface

        return self._get("surface", lambda: IntensitySurface(self.policy.surface).fit(
            self.snapshot.incidents, self.as_of, bounds=self.bounds))

    @property
    def scoring(self):
        from geo_risk.scoring import ScoringSnapshot

        s = self.snapshot
        return self._get("scoring", lambda: ScoringSnapshot.from_frames(
            people=s.people, groups=s.groups, links=s.links, places=s.places, incidents=s.incidents,
            surface=self.surface))

    @property
    def school_calendar(self):
        """The school holidays (:class:`geo_risk.routing.schoolrun.SchoolCalendar`), or None if not set.

        A file that cannot be used is the server's problem, not the user's: its message (file, line,
        fix; no personal data) goes to the log and route checks answer 503 until it is fixed."""
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

    @property
    def route_scoring(self):
        from geo_risk.routing.adapters import school_run_surface
        from geo_risk.scoring import ScoringSnapshot

        s = self.snapshot

        def build():
            surface = school_run_surface(s.incidents, self.as_of, self.policy, bounds=self.bounds,
                                         calendar=self.school_calendar)
            return ScoringSnapshot.from_frames(people=s.people, groups=s.groups, links=s.links, places=s.places,
                                               incidents=s.incidents, surface=surface)

        return self._get("route_scoring", build)

    @property
    def walk_graph(self):
        from geo_risk.routing import build_walk_graph

        return self._get("walk_graph", lambda: build_walk_graph(
            self.snapshot.streets, sample_step_m=self.policy.routing.sample_step_m))

    def context(self, kind: str, pseudonym: str, as_of: dt.datetime | None = None):
        """The scoring context of one young person for ``kind`` ('placement' or 'route') at ``as_of``
        (default: the snapshot's day), cached. The area surfaces are fitted once per day."""
        as_of = as_of or self.as_of
        key = (kind, pseudonym, as_of)
        with self._lock:
            ctx = self._contexts.get(key)
            if ctx is not None:
                self._contexts.move_to_end(key)
                return ctx
        base = self.scoring if kind == "placement" else self.route_scoring
        ctx = base.context(pseudonym, as_of, self.policy)
        with self._lock:
            self._contexts[key] = ctx
            while len(self._contexts) > _CONTEXT_CACHE:
                self._contexts.popitem(last=False)
        return ctx

    # ---------------------------------------------------------------- map layers
    @property
    def bounds(self) -> tuple[float, float, float, float] | None:
        def build():
            frames = [f for f in (self.snapshot.areas, self.snapshot.streets) if len(f)]
            if not frames:
                return None
            b = np.array([f.total_bounds for f in frames])
            return (float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max()))

        value = self._get("bounds", lambda: build() or ())
        return value or None

    @property
    def streets_serve(self) -> gpd.GeoDataFrame:
        """Street lines simplified to ~3 m and in EPSG:4326, for the base map."""
        def build():
            st = self.snapshot.streets[["highway", "name", "geometry"]].copy()
            st["geometry"] = st.geometry.simplify(3.0)
            return to_serve(st)

        return self._get("streets_serve", build)

    def area_layer(self, level: str) -> gpd.GeoDataFrame:
        """Boundaries of one level (newest version), simplified to ~10 m, in EPSG:4326."""
        def build():
            areas = self.snapshot.areas
            areas = areas[areas["level"] == level]
            if len(areas):
                newest = max(areas["version"].astype(str).unique())
                areas = areas[areas["version"].astype(str) == newest]
            out = areas[["code", "name", "geometry"]].copy()
            out["geometry"] = out.geometry.simplify(10.0)
            return to_serve(out)

        return self._get(f"areas_{level}", build)

    def boundary_level(self) -> str | None:
        """The finest area level loaded that the maps shade (LSOA if present)."""
        levels = set(self.snapshot.areas["level"].astype(str)) if len(self.snapshot.areas) else set()
        for level in ("lsoa", "ward", "msoa", "oa", "lad"):
            if level in levels:
                return level
        return None

    def backtest_table(self) -> list[dict[str, Any]]:
        """Rolling back-test of the area model against the baselines (cached with the snapshot)."""
        def build():
            from geo_risk.surface.evaluate import backtest, summarise

            inc = self.snapshot.incidents
            areas = self.snapshot.areas
            if len(inc) < 50 or not len(areas):
                return []
            boundary = shapely.union_all(areas.geometry.values)
            table = backtest(inc, boundary, policy=self.policy.surface)
            return summarise(table).to_dict("records")

        return self._get("backtest", lambda: build() or [{}])

    def street_index(self):
        """The base map's streets, merged per 500 m square and street class, serialised once.

        One MultiLineString per (square, class) keeps pages small: a view carries a few
        hundred features instead of thousands of segments.
        """
        from web.maps import MAJOR_HIGHWAYS, PATH_HIGHWAYS, FeatureIndex, street_class_style

        def build():
            st = self.streets_serve
            if not len(st):
                return FeatureIndex(st)
            hw = st["highway"].astype(str)
            cls = np.where(hw.isin(MAJOR_HIGHWAYS), "major", np.where(hw.isin(PATH_HIGHWAYS), "path", "minor"))
            xy = shapely.get_coordinates(self.snapshot.streets.geometry.centroid)
            tiles = np.floor(xy / 500.0).astype(np.int64)
            keys = pd.DataFrame({"i": tiles[:, 0], "j": tiles[:, 1], "cls": cls})
            group = keys.groupby(["i", "j", "cls"], sort=True).ngroup().to_numpy()
            order = np.argsort(group, kind="stable")
            merged = shapely.multilinestrings(st.geometry.values[order], indices=group[order])
            first = np.unique(group[order], return_index=True)[1]
            classes = cls[order][first]
            out = gpd.GeoDataFrame({"cls": classes}, geometry=merged, crs=st.crs)
            return FeatureIndex(out, style=lambda rec: street_class_style(rec["cls"]),
                                minor=(classes != "major"))

        return self._get("street_index", build)

    def area_index(self):
        """The base map's boundaries (finest level loaded), serialised once; None without boundaries."""
        from web.maps import FeatureIndex

        level = self.boundary_level()
        if level is None:
            return None
        return self._get("area_index", lambda: FeatureIndex(self.area_layer(level), tip="name"))

    def briefing(self, urn: str, *, tier: str = "school", overrides: tuple = ()):
        """A school's briefing page for the day, built once per snapshot, school, tier and overrides."""
        from web import briefings

        key = repr((urn, tier, tuple((o.level, str(o.set_at), str(o.expires_at), o.reason) for o in overrides)))
        return self._get(f"briefing:{key}", lambda: briefings.build(self, urn, tier=tier, overrides=overrides))

    def tension_table(self) -> list[dict[str, Any]]:
        """Every school's tension level from one :func:`geo_risk.briefing.brief_all` pass (cached)."""
        def build():
            from geo_risk.briefing import brief_all

            snap = self.snapshot
            if not len(snap.schools):
                return []
            all_ = brief_all(snap.schools, snap.incidents, snap.areas, as_of=self.as_of, policy=self.policy,
                             links=snap.links, places=snap.places, groups=snap.groups)
            levels = list(self.policy.briefing.levels)
            rows = [{"urn": urn, "name": b.school_name, "phase": b.phase, "level": b.tension.level,
                     "reasons": list(b.tension.reasons), "rank": levels.index(b.tension.level)
                     if b.tension.level in levels else -1} for urn, b in all_.items()]
            return sorted(rows, key=lambda r: (-r["rank"], r["name"]))

        return self._get("tension_table", lambda: build() or [{}])

    def warm(self) -> None:
        """Build the parts every check needs (run in a background thread after a snapshot loads)."""
        try:
            for part in ("surface", "scoring", "walk_graph", "route_scoring"):
                getattr(self, part)
            self.street_index()
            self.area_index()
        except Exception:  # a failed warm-up only means the first request builds it
            log.exception("warming the snapshot's indexes failed; they will be built on first use")

    def people_ids(self) -> pd.DataFrame:
        return self._get("people_ids", lambda: self.snapshot.people[["pseudonym", "is_child"]].copy())


def _is_synthetic(snapshot: Snapshot) -> bool:
    for frame, col in ((snapshot.areas, "name"), (snapshot.schools, "name")):
        if len(frame) and frame[col].astype(str).str.contains("synthetic", case=False).any():
            return True
    return False


class DataState:
    """Holds the current :class:`AppData` of one worker."""

    def __init__(self, app: Flask) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._current: AppData | None = None
        self._checked_at = 0.0
        self._synthetic: tuple[bool, float] | None = None

    def get(self, engine: Engine, policy: Policy) -> AppData:
        now = time.monotonic()
        current = self._current
        interval = float(self._app.config["GEO_RISK_DATA_CHECK_SECONDS"])
        clock = self._app.config["GEO_RISK_CLOCK"]
        today = clock().replace(hour=0, minute=0, second=0, microsecond=0)
        if current is not None and now - self._checked_at < interval and current.as_of == today:
            return current
        # One thread checks (and rebuilds); the others keep serving the current snapshot meanwhile.
        if not self._lock.acquire(blocking=current is None):
            return current  # type: ignore[return-value]
        try:
            current = self._current
            if current is not None and time.monotonic() - self._checked_at < interval and current.as_of == today:
                return current
            key = data_key(engine)
            if current is None or current.key != key or current.as_of != today:
                t0 = time.perf_counter()
                settings = self._app.config.get("GEO_RISK_SETTINGS")
                current = AppData(load_snapshot(engine), policy, today, key,
                                  school_holidays=getattr(settings, "school_holidays", None))
                self._current = current
                log.info("data snapshot loaded in %.0f ms", (time.perf_counter() - t0) * 1000)
                if self._app.config.get("GEO_RISK_WARM_UP", True):
                    threading.Thread(target=current.warm, name="geo-risk-warm-up", daemon=True).start()
            self._checked_at = time.monotonic()
            return current
        finally:
            self._lock.release()

    def peek_synthetic(self, engine: Engine) -> bool:
        """Whether the data is the synthetic city, without loading the snapshot (cached a minute)."""
        current = self._current
        if current is not None:
            return current.is_synthetic
        now = time.monotonic()
        cached = self._synthetic
        if cached is not None and now - cached[1] < 60:
            return cached[0]
        with engine.connect() as conn:
            flag = conn.execute(text(
                "SELECT (SELECT count(*) FROM (SELECT 1 FROM area WHERE lower(name) LIKE '%synthetic%' LIMIT 1) a) + "
                "(SELECT count(*) FROM (SELECT 1 FROM school WHERE lower(name) LIKE '%synthetic%' LIMIT 1) s)"
            )).scalar_one()
        self._synthetic = (bool(flag), now)
        return bool(flag)

    def invalidate(self) -> None:
        with self._lock:
            self._checked_at = 0.0
