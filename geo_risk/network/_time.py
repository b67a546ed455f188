"""Dates as float days, so link and place weights are vector arithmetic."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from geo_risk.errors import ValidationError

_EPOCH = np.datetime64("1970-01-01T00:00:00", "ns")
_DAY = np.timedelta64(1, "D")
_PY_EPOCH = dt.datetime(1970, 1, 1)


def as_timestamp(as_of: Any) -> pd.Timestamp:
    """Return ``as_of`` as a naive UTC :class:`pandas.Timestamp`.

    A date (or a string without a time) means midnight at the start of that day.

    Raises
    ------
    ValidationError
        If ``as_of`` is missing or cannot be read as a date.
    """
    if as_of is None or (isinstance(as_of, float) and np.isnan(as_of)):
        msg = "as_of is required: pass the date the assessment is made for, e.g. '2026-11-01'"
        raise ValidationError(msg)
    if isinstance(as_of, dt.date) and not isinstance(as_of, dt.datetime):
        as_of = dt.datetime(as_of.year, as_of.month, as_of.day)
    try:
        ts = pd.Timestamp(as_of)
    except (ValueError, TypeError) as exc:
        msg = f"as_of {as_of!r} is not a date; use YYYY-MM-DD"
        raise ValidationError(msg) from exc
    if ts is pd.NaT:
        msg = "as_of is required: pass the date the assessment is made for, e.g. '2026-11-01'"
        raise ValidationError(msg)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.as_unit("ns")


def timestamp_days(ts: pd.Timestamp) -> float:
    """Days since 1970-01-01 of a naive timestamp."""
    return float((np.datetime64(ts.as_unit("ns").asm8, "ns") - _EPOCH) / _DAY)


def column_days(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A date column as float days since 1970-01-01 (NaN where missing or absent)."""
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    values = pd.to_datetime(frame[column], errors="coerce")
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    arr = values.to_numpy(dtype="datetime64[ns]")
    return (arr - _EPOCH) / _DAY


def days_to_iso(days: float | None, unit: str = "D") -> str | None:
    """Float days since 1970-01-01 back to an ISO date (``unit="s"``: date and time); ``None`` for NaN."""
    if days is None or not np.isfinite(days):
        return None
    stamp = _PY_EPOCH + dt.timedelta(seconds=round(float(days) * 86400))
    if unit == "D":
        return stamp.date().isoformat()
    if unit == "s":
        return stamp.isoformat(timespec="seconds")
    msg = f"unit must be 'D' or 's', got {unit!r}"
    raise ValueError(msg)
