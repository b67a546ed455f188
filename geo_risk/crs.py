"""Coordinate reference systems: store in EPSG:27700, serve in EPSG:4326.

A GeoDataFrame without a CRS is refused, never guessed. Reprojection to
EPSG:4326 happens only at the edges (web and rendered maps).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely
from pyproj import CRS, Transformer

from geo_risk.errors import CRSError, ValidationError

if TYPE_CHECKING:
    import geopandas as gpd

STORE_CRS = CRS.from_epsg(27700)
SERVE_CRS = CRS.from_epsg(4326)
STORE_SRID = 27700

# British National Grid extent of Great Britain (metres), a little generous so
# that Shetland and the Scilly Isles are inside.
GB_BOUNDS = (0.0, 0.0, 700_000.0, 1_300_000.0)
# Longitude / latitude envelope of Great Britain.
GB_LONLAT_BOUNDS = (-8.75, 49.8, 1.85, 60.95)

_TO_STORE = Transformer.from_crs(SERVE_CRS, STORE_CRS, always_xy=True)
_TO_SERVE = Transformer.from_crs(STORE_CRS, SERVE_CRS, always_xy=True)

# The island of Ireland (Northern Ireland and the Republic), drawn through the sea around it:
# the North Channel between Rathlin / Fair Head / the Ards peninsula and Kintyre / the Rhins of
# Galloway, the Irish Sea west of Anglesey and Pembrokeshire, south of Islay. It lies inside
# Great Britain's longitude/latitude envelope and projects onto the grid's extent, but British
# National Grid (EPSG:27700) is defined for Great Britain only: points here are not stored.
IRELAND_LONLAT = shapely.Polygon(
    [(-11.0, 51.0), (-6.0, 51.8), (-5.6, 53.3), (-5.3, 54.0), (-5.3, 54.75), (-5.95, 55.25),
     (-6.1, 55.36), (-7.0, 55.5), (-11.0, 55.5)]
)


def _check_numbers(obj: object, names: tuple[str, ...]) -> None:
    """``TypeError`` for a non-number, :class:`ValidationError` for NaN or infinity."""
    for name in names:
        value = getattr(obj, name)
        if not isinstance(value, (int, float, np.floating, np.integer)) or isinstance(value, bool):
            msg = f"{name} must be a number, got {type(value).__name__}"
            raise TypeError(msg)
        if not np.isfinite(value):
            msg = f"{name} must be finite, got {value!r}"
            raise ValidationError(msg)


@dataclass(frozen=True)
class EastNorth:
    """A point in EPSG:27700 (metres)."""

    easting: float
    northing: float

    def __post_init__(self) -> None:
        _check_numbers(self, ("easting", "northing"))


@dataclass(frozen=True)
class LatLon:
    """A point in EPSG:4326, latitude first as on a map."""

    lat: float
    lon: float

    def __post_init__(self) -> None:
        _check_numbers(self, ("lat", "lon"))
        if not -90 <= self.lat <= 90:
            msg = f"latitude {self.lat} is outside -90..90; are latitude and longitude swapped?"
            raise ValidationError(msg)
        if not -180 <= self.lon <= 180:
            msg = f"longitude {self.lon} is outside -180..180"
            raise ValidationError(msg)


def is_projected(crs: object) -> bool:
    """Return True if ``crs`` is a projected (metric) CRS."""
    if crs is None:
        return False
    return CRS.from_user_input(crs).is_projected


def to_store(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Reproject ``gdf`` to EPSG:27700.

    Raises
    ------
    CRSError
        If ``gdf`` has no CRS. Label it first with ``GeoDataFrame.set_crs`` if
        you know what it is; geo-risk never guesses.
    """
    if gdf.crs is None:
        msg = (
            "the data has no coordinate reference system; geo-risk never guesses one. "
            "Label it with GeoDataFrame.set_crs(...) (e.g. 'EPSG:4326' for longitude/latitude, "
            "'EPSG:27700' for British National Grid) and try again"
        )
        raise CRSError(msg)
    if CRS.from_user_input(gdf.crs).equals(STORE_CRS):
        return gdf
    return gdf.to_crs(STORE_CRS)


def to_serve(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Reproject ``gdf`` to EPSG:4326 for display; refuses data without a CRS."""
    if gdf.crs is None:
        msg = "the data has no coordinate reference system; set it with GeoDataFrame.set_crs(...)"
        raise CRSError(msg)
    if CRS.from_user_input(gdf.crs).equals(SERVE_CRS):
        return gdf
    return gdf.to_crs(SERVE_CRS)


def require_store_crs(gdf: gpd.GeoDataFrame, what: str = "data") -> None:
    """Raise :class:`CRSError` unless ``gdf`` is labelled EPSG:27700."""
    if gdf.crs is None or not CRS.from_user_input(gdf.crs).equals(STORE_CRS):
        msg = f"{what} must be in EPSG:27700 (got {gdf.crs!r}); use geo_risk.crs.to_store() first"
        raise CRSError(msg)


def lonlat_to_en(lon: np.ndarray | float, lat: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Transform longitude/latitude arrays to easting/northing (EPSG:27700)."""
    x, y = _TO_STORE.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x), np.asarray(y)


def en_to_lonlat(x: np.ndarray | float, y: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Transform easting/northing arrays (EPSG:27700) to longitude/latitude."""
    lon, lat = _TO_SERVE.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.asarray(lon), np.asarray(lat)


def in_gb(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Boolean mask of easting/northing pairs inside the Great Britain grid extent, Ireland excluded."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    xmin, ymin, xmax, ymax = GB_BOUNDS
    inside = np.isfinite(x) & np.isfinite(y) & (x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax)
    if inside.any():
        inside[inside] = ~shapely.contains_xy(_ireland_en(), x[inside], y[inside])
    return inside


def lonlat_in_ireland(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Boolean mask of longitude/latitude pairs on the island of Ireland (outside British National Grid)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    out = np.zeros(lon.shape, dtype=bool)
    finite = np.isfinite(lon) & np.isfinite(lat)
    out[finite] = shapely.contains_xy(IRELAND_LONLAT, lon[finite], lat[finite])
    return out


@functools.cache
def _ireland_en() -> shapely.Polygon:
    """:data:`IRELAND_LONLAT` in EPSG:27700 (its edges densified first, so they stay in the sea)."""
    ring = np.asarray(shapely.segmentize(IRELAND_LONLAT, 0.05).exterior.coords)
    x, y = _TO_STORE.transform(ring[:, 0], ring[:, 1])
    polygon = shapely.Polygon(np.column_stack([x, y]))
    shapely.prepare(polygon)
    return polygon


def lonlat_in_gb(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Boolean mask of longitude/latitude pairs inside Great Britain's envelope, Ireland excluded."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    xmin, ymin, xmax, ymax = GB_LONLAT_BOUNDS
    inside = np.isfinite(lon) & np.isfinite(lat) & (lon >= xmin) & (lon <= xmax) & (lat >= ymin) & (lat <= ymax)
    return inside & ~lonlat_in_ireland(lon, lat)


def point_to_store(point: EastNorth | LatLon) -> EastNorth:
    """Return ``point`` as an :class:`EastNorth`, checking it lies in Great Britain."""
    if isinstance(point, LatLon):
        x, y = lonlat_to_en(point.lon, point.lat)
        point = EastNorth(float(x), float(y))
    if not isinstance(point, EastNorth):
        msg = f"expected EastNorth or LatLon, got {type(point).__name__}"
        raise TypeError(msg)
    if not in_gb(np.array([point.easting]), np.array([point.northing]))[0]:
        msg = (
            f"point ({point.easting:.0f}, {point.northing:.0f}) is outside Great Britain; "
            "coordinates must be British National Grid easting, northing in metres"
        )
        raise ValidationError(msg)
    return point
