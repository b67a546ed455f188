"""The app's data snapshot: the use cases' :class:`geo_risk.service.SnapshotData` plus page-only parts.

The snapshot is kept per worker by a :class:`geo_risk.service.SnapshotCache`: a cheap query
(:func:`geo_risk.service.snapshot.data_key`) is checked at most every
``GEO_RISK_DATA_CHECK_SECONDS``, and a new key (or a new day, since surfaces decay with time)
builds a new :class:`AppData`. What checks need (surfaces, the walk graph, scoring contexts) is
built by the service layer; base-map layers, the back-test table and briefing pages are built
here, lazily on first use, and kept with the snapshot.
"""

from __future__ import annotations

import logging
import threading
import time
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
from geo_risk.service.snapshot import SnapshotCache, SnapshotData

log = logging.getLogger(__name__)


class AppData(SnapshotData):
    """The snapshot the use cases run on (:class:`geo_risk.service.SnapshotData`) plus what only pages
    need: base-map layers, the back-test table and school briefing pages, built lazily and kept with it."""

    # ---------------------------------------------------------------- map layers
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
        """Rolling back-test of the area forecast (the policy's targets and harm weights) against the
        baselines and ceilings, mean over test months with intervals (cached with the snapshot)."""
        def build():
            from geo_risk.surface.evaluate import backtest
            from geo_risk.surface.forecast import forecast_scorer

            inc = self.snapshot.incidents
            areas = self.snapshot.areas
            if len(inc) < 50 or not len(areas):
                return []
            sp = self.policy.surface
            boundary = shapely.union_all(areas.geometry.values)
            result = backtest(inc, boundary, model=forecast_scorer(sp), cell_m=float(sp.support_m or 250.0),
                              targets=sp.forecast_targets, harm_weights=sp.forecast_harm_weights, n_boot=200)
            rows = result.summary.to_dict("records")
            diffs = {(d["method"], d["coverage"]): d for d in result.differences.to_dict("records")}
            months = result.months
            for row in rows:
                d = diffs.get((row["method"], row["coverage"]))
                if d is not None:
                    row.update(pai_diff=d["pai_diff"], pai_diff_lo=d["pai_diff_lo"], pai_diff_hi=d["pai_diff_hi"])
                row.update(cell_m=result.cell_m, n_cells=result.n_cells, first_month=months[0],
                           last_month=months[-1], n_months=len(months), harm=bool(result.harm_weights))
            return rows

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

    def label_index(self) -> dict:
        """The base map's names (schools; streets once per 300 m square), serialised once per kind."""
        from web.maps import FeatureIndex, label_points

        def build():
            found = label_points(self.snapshot.streets, self.snapshot.schools)
            return {kind: FeatureIndex(to_serve(frame) if len(frame) else frame, props=("_name", "_kind"))
                    for kind, frame in found.items()}

        return self._get("label_index", build)

    def area_index(self):
        """The base map's boundaries (finest level loaded), serialised once; None without boundaries."""
        from web.maps import FeatureIndex

        level = self.boundary_level()
        if level is None:
            return None
        return self._get("area_index", lambda: FeatureIndex(self.area_layer(level), tip="name"))

    def briefing_page(self, checked):
        """The page parts (map shading, marker, chart) of a school briefing, built once per briefing."""
        from web import briefings

        return self._get(f"briefing_page:{checked.key}", lambda: briefings.build(self, checked))

    def warm(self) -> None:
        """Build the parts every check and the base map need (run in a background thread after a load)."""
        super().warm()
        try:
            self.street_index()
            self.area_index()
            self.label_index()
        except Exception:  # a failed warm-up only means the first request builds it
            log.exception("warming the base map's layers failed; they will be built on first use")


class DataState:
    """Holds the current :class:`AppData` of one worker (a :class:`geo_risk.service.SnapshotCache`)."""

    def __init__(self, app: Flask) -> None:
        self._app = app
        settings = app.config.get("GEO_RISK_SETTINGS")

        def on_load(current: SnapshotData) -> None:
            if app.config.get("GEO_RISK_WARM_UP", True):
                threading.Thread(target=current.warm, name="geo-risk-warm-up", daemon=True).start()

        self._cache = SnapshotCache(clock=lambda: app.config["GEO_RISK_CLOCK"](),
                                    check_seconds=lambda: float(app.config["GEO_RISK_DATA_CHECK_SECONDS"]),
                                    factory=AppData, school_holidays=getattr(settings, "school_holidays", None),
                                    area_of_interest=getattr(settings, "area_of_interest", None), on_load=on_load)
        self._synthetic: tuple[bool, float] | None = None

    def get(self, engine: Engine, policy: Policy) -> AppData:
        return self._cache.get(engine, policy)  # type: ignore[return-value]

    def peek_synthetic(self, engine: Engine) -> bool:
        """Whether the data is the synthetic city, without loading the snapshot (cached a minute)."""
        current = self._cache.current
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
        self._cache.invalidate()
