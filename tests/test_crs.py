"""CRS helpers: never guess a CRS, store in 27700, serve in 4326."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from geo_risk.crs import EastNorth, LatLon, in_gb, point_to_store, to_serve, to_store
from geo_risk.errors import CRSError, ValidationError


def test_to_store_refuses_missing_crs():
    gdf = gpd.GeoDataFrame(geometry=[Point(-2.59, 51.45)])
    with pytest.raises(CRSError, match="set_crs"):
        to_store(gdf)


def test_round_trip_bristol():
    gdf = gpd.GeoDataFrame(geometry=[Point(-2.5879, 51.4545)], crs="EPSG:4326")
    bng = to_store(gdf)
    assert bng.crs.to_epsg() == 27700
    x, y = bng.geometry.iloc[0].x, bng.geometry.iloc[0].y
    assert 358_000 < x < 360_000 and 172_000 < y < 174_000
    back = to_serve(bng)
    assert back.geometry.iloc[0].distance(Point(-2.5879, 51.4545)) < 1e-7


def test_in_gb_mask():
    mask = in_gb(np.array([358000, -5, 358000, np.nan]), np.array([173000, 173000, 2_000_000, 1]))
    assert mask.tolist() == [True, False, False, False]


def test_latlon_validation():
    with pytest.raises(TypeError):
        LatLon("51", -2.5)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="swapped"):
        LatLon(-200.0, 51.0)
    with pytest.raises(ValidationError, match="finite"):
        EastNorth(float("nan"), 1.0)


def test_point_to_store_rejects_outside_gb():
    assert point_to_store(LatLon(51.4545, -2.5879)).easting == pytest.approx(358_900, abs=1500)
    with pytest.raises(ValidationError, match="outside Great Britain"):
        point_to_store(EastNorth(900_000.0, 100.0))
