"""Hand-made incidents for the surface tests."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import points

X0, Y0 = 358_000.0, 173_000.0


def _make_incidents(xy, categories, occurred_at, *, has_time=True, time_weight=None) -> gpd.GeoDataFrame:
    """A GeoDataFrame in EPSG:27700 with the incident data-contract columns."""
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    n = len(xy)
    cats = [categories] * n if isinstance(categories, str) else list(categories)
    if isinstance(occurred_at, (str, pd.Timestamp)):
        occurred_at = [occurred_at] * n
    when = pd.to_datetime(pd.Series(list(occurred_at)))
    data = {
        "incident_id": np.arange(n),
        "external_id": [None] * n,
        "category": cats,
        "source": "test",
        "source_type": "police",
        "occurred_at": when.astype("datetime64[ns]").to_numpy(),
        "has_time": np.broadcast_to(np.asarray(has_time, dtype=bool), (n,)).copy(),
        "precision": "exact",
    }
    if time_weight is not None:
        data["time_weight"] = np.broadcast_to(np.asarray(time_weight, dtype=float), (n,)).copy()
    return gpd.GeoDataFrame(data, geometry=points(xy), crs=27700)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20250401)


@pytest.fixture
def make_incidents():
    """Factory: ``make_incidents(xy, categories, occurred_at, has_time=True, time_weight=None)``."""
    return _make_incidents
