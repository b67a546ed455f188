"""School-run weighting: incidents in the school travel windows weigh more.

Incidents with a real time of day (``has_time`` True: emergency-department
injuries, partner incidents) that happened on a weekday inside one of the
policy's ``school_windows`` get ``school_window_weight``; every other row gets
1. police.uk rows carry only a month (``has_time`` False) and are never
time-weighted.

``occurred_at`` is naive UTC (the data contract); the windows are school clock
times, so times are converted to Europe/London before they are compared (in
summer 07:30 at the school gate is 06:30 UTC). School holidays are not known
to the system, so every weekday counts as a school day.
"""

from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd

from geo_risk.config import RoutingPolicy
from geo_risk.errors import ValidationError

log = logging.getLogger(__name__)

SCHOOL_TZ = "Europe/London"
_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_windows(windows: tuple[str, ...] | list[str]) -> list[tuple[int, int]]:
    """Parse ``"HH:MM-HH:MM"`` windows into (start, end) minutes after midnight.

    Raises
    ------
    ValidationError
        Naming every malformed window.
    """
    out: list[tuple[int, int]] = []
    bad: list[str] = []
    for text in windows:
        m = _WINDOW.match(str(text))
        if not m:
            bad.append(repr(text))
            continue
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if not (h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60 and start < end):
            bad.append(repr(text))
            continue
        out.append((start, end))
    if bad:
        msg = (
            f"policy routing.school_windows has malformed window(s) {', '.join(bad)}; "
            "write each as \"HH:MM-HH:MM\" with the start before the end, e.g. \"07:30-09:15\""
        )
        raise ValidationError(msg)
    return out


def in_school_window(occurred_at: pd.Series, has_time: pd.Series, policy: RoutingPolicy) -> np.ndarray:
    """Boolean mask: timed incidents on a weekday inside a school travel window (school clock time).

    Parameters
    ----------
    occurred_at
        Naive UTC datetimes.
    has_time
        True where the time of day is real.
    policy
        The routing policy (``school_windows``).
    """
    windows = parse_windows(policy.school_windows)
    when = pd.to_datetime(occurred_at)
    if getattr(when.dt, "tz", None) is None:
        when = when.dt.tz_localize("UTC")
    local = when.dt.tz_convert(SCHOOL_TZ)
    minutes = (local.dt.hour * 60 + local.dt.minute).to_numpy()
    weekday = (local.dt.day_of_week < 5).to_numpy()
    timed = has_time.fillna(False).astype(bool).to_numpy() & when.notna().to_numpy()
    inside = np.zeros(len(occurred_at), dtype=bool)
    for start, end in windows:
        inside |= (minutes >= start) & (minutes < end)
    return timed & weekday & inside


def add_time_weight(incidents: pd.DataFrame, policy: RoutingPolicy) -> pd.DataFrame:
    """Return a copy of ``incidents`` with a ``time_weight`` column for the surface fit.

    Parameters
    ----------
    incidents
        The data contract's incidents frame (``occurred_at``, ``has_time``).
    policy
        The routing policy (``school_windows``, ``school_window_weight``).

    Returns
    -------
    DataFrame or GeoDataFrame
        Same rows, plus ``time_weight``: ``school_window_weight`` for timed
        incidents in a school travel window on a weekday, else 1.0.
    """
    missing = [c for c in ("occurred_at", "has_time") if c not in incidents.columns]
    if missing:
        msg = f"incidents frame is missing column(s) {', '.join(missing)} needed for school-run weighting"
        raise ValidationError(msg)
    out = incidents.copy()
    mask = in_school_window(out["occurred_at"], out["has_time"], policy)
    out["time_weight"] = np.where(mask, float(policy.school_window_weight), 1.0)
    log.debug("school-run weighting: %d of %d incidents in a school travel window", int(mask.sum()), len(out))
    return out
