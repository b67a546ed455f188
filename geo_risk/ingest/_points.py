"""Point columns shared by the CSV importers: find them, parse them, place them.

Accepted coordinate columns (case-insensitive), in this order of preference:
``Easting``/``Northing`` or ``x``/``y`` (British National Grid metres, EPSG:27700), then
``Longitude``/``Latitude`` or ``lon``/``lat`` (degrees, WGS84).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo_risk.crs import in_gb, lonlat_in_gb, lonlat_to_en
from geo_risk.ingest._files import Problems, in_area, lonlat_swap_check, parse_numbers
from geo_risk.ingest._report import OUT_OF_AREA, REJECTED

EN_PAIRS = [("easting", "northing"), ("x", "y"), ("east", "north")]
LONLAT_PAIRS = [("longitude", "latitude"), ("lon", "lat"), ("lng", "lat"), ("long", "lat")]

REASON_NO_COORDS = "no coordinates"
REASON_OUTSIDE_GB = "outside Great Britain"
REASON_OUTSIDE_AREA = "outside the area of interest"


def find_columns(columns: list[str], *names: str) -> str | None:
    """The first column whose name matches one of ``names`` (case and spaces ignored)."""
    norm = {str(c).strip().lower().replace(" ", "_"): c for c in columns}
    for n in names:
        if n in norm:
            return norm[n]
    return None


def find_coordinate_columns(columns: list[str]) -> tuple[str, str, str] | None:
    """``("en", easting_col, northing_col)``, ``("lonlat", lon_col, lat_col)`` or None."""
    for a, b in EN_PAIRS:
        ca, cb = find_columns(columns, a), find_columns(columns, b)
        if ca is not None and cb is not None:
            return "en", ca, cb
    for a, b in LONLAT_PAIRS:
        ca, cb = find_columns(columns, a), find_columns(columns, b)
        if ca is not None and cb is not None:
            return "lonlat", ca, cb
    return None


def parse_points(
    df: pd.DataFrame, rows: np.ndarray, problems: Problems, spec: tuple[str, str, str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse coordinate columns to easting/northing (NaN where both cells are empty).

    Returns ``(x, y, bad)`` where ``bad`` marks rows with a problem recorded in ``problems``.
    """
    kind, ca, cb = spec
    a = parse_numbers(df[ca], rows, problems, ca)
    b = parse_numbers(df[cb], rows, problems, cb)
    bad = np.zeros(len(df), dtype=bool)
    half = np.isnan(a) ^ np.isnan(b)
    # a value that failed to parse is NaN too: only flag a half-empty pair when both cells were text-valid
    a_empty = (df[ca].astype(str).str.strip() == "").to_numpy()
    b_empty = (df[cb].astype(str).str.strip() == "").to_numpy()
    half_empty = half & (a_empty ^ b_empty)
    problems.add(rows[half_empty], f"only one of {ca}/{cb} is given; give both or leave both empty")
    bad |= half_empty
    bad |= (~a_empty & np.isnan(a)) | (~b_empty & np.isnan(b))
    if kind == "en":
        ok = np.isfinite(a) & np.isfinite(b)
        degrees = ok & (np.abs(a) <= 180) & (np.abs(b) <= 90) & (np.abs(a) < 100) & (b > 40)
        if degrees.any():
            problems.add(
                rows[degrees],
                f"{ca}/{cb} look like longitude/latitude degrees, not British National Grid metres; "
                f"rename the columns to Longitude/Latitude",
            )
            bad |= degrees
        negative = ok & ~degrees & ((a < 0) | (b < 0))
        problems.add(rows[negative], f"{ca}/{cb} must be positive British National Grid metres")
        bad |= negative
        x, y = a.copy(), b.copy()
    else:
        swapped = lonlat_swap_check(a, b, rows, problems, lon_col=ca, lat_col=cb)
        bad |= swapped
        x = np.full(len(df), np.nan)
        y = np.full(len(df), np.nan)
        ok = np.isfinite(a) & np.isfinite(b) & ~bad
        zeroed = ok & (a == 0) & (b == 0)
        ok &= ~zeroed
        inside = ok & lonlat_in_gb(a, b)
        if ok.any():
            x[ok], y[ok] = lonlat_to_en(a[ok], b[ok])
        # points outside GB's lon/lat envelope: a finite easting far outside the grid, so that
        # classify_points reports them out of area (far-away points project badly)
        far = ok & ~inside
        x[far] = -1e9
        y[far] = -1e9
    x[bad] = np.nan
    y[bad] = np.nan
    return x, y, bad


def classify_points(
    x: np.ndarray,
    y: np.ndarray,
    status: np.ndarray,
    reason: np.ndarray,
    area: object,
    *,
    missing_ok: np.ndarray | None = None,
) -> None:
    """Mark rows without a point as rejected and rows outside GB / the area as out of area (in place).

    Rows already not OK are left as they are. ``missing_ok`` marks rows whose missing point
    is handled elsewhere (e.g. resolved from a postcode later).
    """
    live = status == 0
    missing = live & ~(np.isfinite(x) & np.isfinite(y))
    if missing_ok is not None:
        missing &= ~missing_ok
    status[missing] = REJECTED
    reason[missing] = REASON_NO_COORDS
    located = (status == 0) & np.isfinite(x) & np.isfinite(y)
    zero = located & (x == 0) & (y == 0)
    status[zero] = REJECTED
    reason[zero] = REASON_NO_COORDS
    located &= ~zero
    outside = located & ~in_gb(x, y)
    status[outside] = OUT_OF_AREA
    reason[outside] = REASON_OUTSIDE_GB
    if area is not None:
        located &= ~outside
        out = located & ~in_area(x, y, area)
        status[out] = OUT_OF_AREA
        reason[out] = REASON_OUTSIDE_AREA
