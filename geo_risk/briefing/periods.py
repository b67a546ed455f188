"""Time windows of a briefing, and how month-only incidents are counted honestly.

Incidents come at two time resolutions. **Dated** incidents (``has_time`` True: emergency
department injuries, partner records) are counted in day windows ending at ``as_of``:
``[as_of - N days, as_of)``. **Month-only** incidents (``has_time`` False, e.g. police.uk,
whose ``occurred_at`` is the 1st of the month) cannot be placed in a day window, so:

- the 7-day window counts dated incidents only (``month_windows`` 0);
- the 28- and 90-day windows count the latest 1 and 3 *whole published months* of
  month-only data: the latest month present in the data that ended before ``as_of``
  (police.uk publishes about two months behind, so the months are named in the briefing);
- the comparison period is the ``baseline_days`` (365) before the longest window for dated
  incidents, and the ``baseline_months`` (12) whole months before the longest month window
  for month-only incidents, so the recent windows never overlap their baseline;
- each resolution keeps its own rows in the count table ("dated" / "month only") so that a
  row's rate ratio compares like with like: ``expected = baseline count x window length /
  baseline length``, in days or in months;
- exposure is what the data covers: days before the first dated incident in the snapshot
  and months absent from the month-only data do not count, and the briefing says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo_risk.config import BriefingPolicy
from geo_risk.errors import ValidationError

DATED = "dated"
MONTH_ONLY = "month only"
BASELINE = "baseline"


@dataclass(frozen=True)
class Period:
    """One column of the count table.

    Attributes
    ----------
    key
        ``"7d"``, ``"28d"``, ``"90d"`` or ``"baseline"``.
    label
        Plain words for the column heading.
    dated_start, dated_end
        The day window ``[start, end)`` for dated incidents; None when the period has none.
    months
        ``YYYY-MM`` months of month-only data counted; empty when none.
    dated_exposure_days
        Days of the day window the data covers.
    month_exposure
        Months of ``months`` present in the month-only data.
    """

    key: str
    label: str
    dated_start: pd.Timestamp | None
    dated_end: pd.Timestamp | None
    months: tuple[str, ...]
    dated_exposure_days: float
    month_exposure: int

    def has(self, resolution: str) -> bool:
        """Whether incidents of ``resolution`` are counted in this period."""
        if resolution == DATED:
            return self.dated_start is not None
        return bool(self.months)

    def exposure(self, resolution: str) -> float:
        return self.dated_exposure_days if resolution == DATED else float(self.month_exposure)

    def describe(self) -> str:
        parts = []
        if self.dated_start is not None and self.dated_end is not None:
            end = (self.dated_end - pd.Timedelta(days=1)).date().isoformat()
            parts.append(f"dated incidents {self.dated_start.date().isoformat()} to {end}")
        if self.months:
            span = self.months[0] if len(self.months) == 1 else f"{self.months[0]} to {self.months[-1]}"
            parts.append(f"month-only records for {span} (whole months)")
        if not parts:
            return "nothing: no dated incidents in the data" if self.key.endswith("d") else "no data"
        return "; ".join(parts)


@dataclass(frozen=True)
class Periods:
    """The windows and the baseline, with what the data covers."""

    windows: tuple[Period, ...]
    baseline: Period
    latest_month: str | None
    dated_from: pd.Timestamp | None

    @property
    def all(self) -> tuple[Period, ...]:
        return (*self.windows, self.baseline)


def _month_index(ts: np.ndarray) -> np.ndarray:
    """Months since year 0 for datetime64 values (a plain integer per month)."""
    months = ts.astype("datetime64[M]").astype(np.int64)
    return months


def _month_label(idx: int) -> str:
    return str(np.datetime64(int(idx), "M"))


def define_periods(
    occurred_at: np.ndarray,
    has_time: np.ndarray,
    *,
    as_of: pd.Timestamp,
    policy: BriefingPolicy,
) -> Periods:
    """Windows ending at ``as_of`` and their baseline, from citywide data coverage.

    Parameters
    ----------
    occurred_at
        ``datetime64[ns]`` of every incident in the snapshot (citywide).
    has_time
        False for month-only incidents.
    """
    days = tuple(int(d) for d in policy.windows_days)
    months = tuple(int(m) for m in policy.month_windows)
    if len(days) != len(months):
        msg = (
            f"[briefing] windows_days {list(days)} and month_windows {list(months)} must have the same "
            "length: one number of whole months per day window (0 for dated incidents only)"
        )
        raise ValidationError(msg)
    if list(days) != sorted(days) or list(months) != sorted(months):
        msg = "[briefing] windows_days and month_windows must be in increasing order"
        raise ValidationError(msg)
    as_of = pd.Timestamp(as_of)
    occurred = np.asarray(occurred_at, dtype="datetime64[ns]")
    has_time = np.asarray(has_time, dtype=bool)
    before = occurred < np.datetime64(as_of.to_datetime64())
    dated_times = occurred[has_time & before & ~np.isnat(occurred)]
    dated_from = pd.Timestamp(dated_times.min()).normalize() if dated_times.size else None
    month_times = occurred[~has_time & ~np.isnat(occurred)]
    as_of_month = int(_month_index(np.array([as_of.to_datetime64()]))[0])
    # a month counts once it has ended, i.e. it is before the month of as_of
    month_idx = np.unique(_month_index(month_times)) if month_times.size else np.array([], dtype=np.int64)
    last_complete = as_of_month - 1
    available = month_idx[month_idx <= last_complete]
    latest = int(available.max()) if available.size else None
    available_set = {int(m) for m in available}

    def dated_period(start: pd.Timestamp, end: pd.Timestamp) -> tuple[float, pd.Timestamp, pd.Timestamp]:
        if dated_from is None:
            return 0.0, start, end
        lo = max(start, dated_from)
        covered = max((end - lo) / pd.Timedelta(days=1), 0.0)
        return float(covered), start, end

    windows = []
    for d, m in zip(days, months):
        # without any dated incident in the data, no period counts dated incidents
        start = as_of - pd.Timedelta(days=d) if d > 0 and dated_from is not None else None
        exposure, ds, de = dated_period(start, as_of) if start is not None else (0.0, None, None)
        month_list: tuple[str, ...] = ()
        month_exp = 0
        if m > 0 and latest is not None:
            idx = list(range(latest - m + 1, latest + 1))
            month_list = tuple(_month_label(i) for i in idx)
            month_exp = sum(i in available_set for i in idx)
        windows.append(
            Period(
                key=f"{d}d",
                label=f"last {d} days",
                dated_start=ds,
                dated_end=de,
                months=month_list,
                dated_exposure_days=exposure,
                month_exposure=month_exp,
            )
        )
    longest = max(days)
    base_end = as_of - pd.Timedelta(days=longest)
    base_start = base_end - pd.Timedelta(days=int(policy.baseline_days))
    exposure, bs, be = dated_period(base_start, base_end)
    if dated_from is None:
        bs = be = None
    base_months: tuple[str, ...] = ()
    base_exp = 0
    if latest is not None and policy.baseline_months > 0:
        top = latest - max(months)
        idx = list(range(top - int(policy.baseline_months) + 1, top + 1))
        base_months = tuple(_month_label(i) for i in idx)
        base_exp = sum(i in available_set for i in idx)
    baseline = Period(
        key=BASELINE,
        label=f"the {int(policy.baseline_days)} days before",
        dated_start=bs,
        dated_end=be,
        months=base_months,
        dated_exposure_days=exposure,
        month_exposure=base_exp,
    )
    return Periods(
        windows=tuple(windows),
        baseline=baseline,
        latest_month=_month_label(latest) if latest is not None else None,
        dated_from=dated_from,
    )


def chart_months(periods: Periods, at_least: int) -> tuple[str, ...]:
    """The months of the briefing's chart: every month a column of the table counts, ending at the
    latest published month, and at least ``at_least`` of them (empty without month-only data)."""
    counted = {m for p in periods.all for m in p.months}
    if periods.latest_month is None or not counted:
        return ()
    last = int(np.datetime64(periods.latest_month, "M").astype(np.int64))
    first = min(int(np.datetime64(min(counted), "M").astype(np.int64)), last - max(int(at_least), 1) + 1)
    return tuple(_month_label(i) for i in range(first, last + 1))


def period_masks(occurred_at: np.ndarray, has_time: np.ndarray, periods: Periods) -> np.ndarray:
    """``(n_incidents, n_periods)`` booleans: whether each incident counts in each period."""
    occurred = np.asarray(occurred_at, dtype="datetime64[ns]")
    has_time = np.asarray(has_time, dtype=bool)
    month = _month_index(occurred)
    out = np.zeros((occurred.size, len(periods.all)), dtype=bool)
    for k, p in enumerate(periods.all):
        if p.dated_start is not None and p.dated_end is not None:
            lo = np.datetime64(p.dated_start.to_datetime64())
            hi = np.datetime64(p.dated_end.to_datetime64())
            out[:, k] |= has_time & (occurred >= lo) & (occurred < hi)
        if p.months:
            idx = np.array([np.datetime64(m, "M").astype(np.int64) for m in p.months])
            out[:, k] |= ~has_time & np.isin(month, idx)
    return out
