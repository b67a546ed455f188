"""School-run weighting: incidents in the school travel windows weigh more.

Incidents with a real time of day (``has_time`` True: emergency-department
injuries, partner incidents) that happened on a school day inside one of the
policy's ``school_windows`` get ``school_window_weight``; every other row gets
1. police.uk rows carry only a month (``has_time`` False) and are never
time-weighted: where most of the data is police.uk, the weighting changes
little or nothing, and :func:`time_weighting_note` says so plainly on the
result (how many of the incidents weighed carry a time of day, how many of
those fell on the school run, and that month-only rows could not be weighted).

``occurred_at`` is naive UTC (the data contract); the windows are school clock
times, so times are converted to Europe/London before they are compared (in
summer 07:30 at the school gate is 06:30 UTC), and the school-clock date decides
the day.

A school day is a weekday that is not in the :class:`SchoolCalendar`'s
closures (holidays, INSET days, bank holidays), when one is given. Without a
calendar every weekday counts as a school day, and :func:`school_days_note`
says so for the result. The calendar is data, passed in: read a local
authority's list with :func:`geo_risk.ingest.school_holidays.read_school_holidays`
and give it to :func:`add_time_weight` (or to
:func:`geo_risk.routing.adapters.school_run_surface`, which passes it on);
:func:`with_school_days_note` adds the note to the route result's ``notes``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo_risk.config import RoutingPolicy
from geo_risk.errors import ValidationError

if TYPE_CHECKING:
    from geo_risk.routing.assess import RouteAssessment

log = logging.getLogger(__name__)

SCHOOL_TZ = "Europe/London"
#: How every :func:`school_days_note` begins.
NOTE_START = "School holidays"
NO_CALENDAR_NOTE = (
    "School holidays not supplied: every weekday was counted as a school day when weighting incidents "
    "on the walk to and from school."
)
_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


# --------------------------------------------------------------------------- the calendar


@dataclass(frozen=True)
class Closure:
    """Days schools are closed: a holiday, an INSET day or a bank holiday.

    Parameters
    ----------
    start, end
        First and last day closed (both inclusive; school-clock dates).
    label
        What it is, e.g. ``"October half term"``.
    """

    start: dt.date
    end: dt.date
    label: str = ""

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
                msg = f"Closure.{name} must be a datetime.date, got {type(value).__name__}"
                raise TypeError(msg)
        if self.end < self.start:
            what = f" {self.label!r}" if self.label else ""
            msg = f"closure{what} ends on {self.end} before it starts on {self.start}; swap the two dates"
            raise ValidationError(msg)

    @property
    def days(self) -> int:
        """Number of days closed, weekends included."""
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class SchoolCalendar:
    """The days schools are closed in one local authority: holidays, INSET days, bank holidays.

    Parameters
    ----------
    closures
        The closures, in any order; they may overlap.
    source
        Where they came from (a file name, not a path), for the note on results.
    """

    closures: tuple[Closure, ...] = ()
    source: str = ""

    def __post_init__(self) -> None:
        closures = tuple(self.closures)
        bad = [type(c).__name__ for c in closures if not isinstance(c, Closure)]
        if bad:
            msg = f"SchoolCalendar.closures must hold Closure items, got {', '.join(sorted(set(bad)))}"
            raise TypeError(msg)
        object.__setattr__(self, "closures", closures)

    @classmethod
    def from_ranges(cls, ranges: Iterable[tuple[dt.date, dt.date] | tuple[dt.date, dt.date, str]], *,
                    source: str = "") -> SchoolCalendar:
        """A calendar from ``(start, end)`` or ``(start, end, label)`` tuples."""
        return cls(tuple(Closure(*r) for r in ranges), source=source)

    @property
    def first(self) -> dt.date | None:
        """The first day of the earliest closure (None when there are none)."""
        return min((c.start for c in self.closures), default=None)

    @property
    def last(self) -> dt.date | None:
        """The last day of the latest closure (None when there are none)."""
        return max((c.end for c in self.closures), default=None)

    def closed_spans(self) -> tuple[np.ndarray, np.ndarray]:
        """Sorted, disjoint ``(starts, ends)`` (inclusive, ``datetime64[D]``): overlapping and
        back-to-back closures merged."""
        spans = sorted((c.start, c.end) for c in self.closures)
        merged: list[list[dt.date]] = []
        for start, end in spans:
            if merged and start <= merged[-1][1] + dt.timedelta(days=1):
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        starts = np.array([m[0] for m in merged], dtype="datetime64[D]")
        ends = np.array([m[1] for m in merged], dtype="datetime64[D]")
        return starts, ends

    def is_closed(self, days: np.ndarray | pd.Series | Iterable[dt.date]) -> np.ndarray:
        """Boolean mask: the day falls in a closure. Missing days (NaT) are not closed."""
        values = days if isinstance(days, (pd.Series, pd.Index, np.ndarray)) else list(days)
        d = np.asarray(pd.to_datetime(values), dtype="datetime64[ns]").astype("datetime64[D]")
        out = np.zeros(d.shape, dtype=bool)
        starts, ends = self.closed_spans()
        if not len(starts) or not len(d):
            return out
        known = ~np.isnat(d)
        i = np.searchsorted(starts, d[known], side="right") - 1
        inside = i >= 0
        hit = np.zeros(i.shape, dtype=bool)
        hit[inside] = d[known][inside] <= ends[i[inside]]
        out[known] = hit
        return out

    @property
    def digest(self) -> str:
        """SHA-256 of the closed days: two calendars closing the same days have the same digest,
        whatever their labels, order or overlaps."""
        starts, ends = self.closed_spans()
        text = ";".join(f"{s}/{e}" for s, e in zip(starts.astype(str), ends.astype(str), strict=True))
        return hashlib.sha256(text.encode()).hexdigest()

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready data."""
        return {
            "source": self.source,
            "digest": self.digest,
            "closures": [{"start": c.start.isoformat(), "end": c.end.isoformat(), "label": c.label}
                         for c in self.closures],
        }


def _day(d: dt.date) -> str:
    return f"{d.day} {d:%b %Y}"


def school_days_note(calendar: SchoolCalendar | None, *, period: tuple[dt.date, dt.date] | None = None) -> str:
    """The note a school-run result carries about which days counted as school days.

    Parameters
    ----------
    calendar
        The school holidays the weighting used, or None when none were supplied.
    period
        First and last day of the incidents the check weighs (``as_of`` minus the
        surface horizon, to the day before a midnight ``as_of``): the note says which
        of its weekdays fall outside the span the calendar covers.
    """
    if calendar is None:
        return NO_CALENDAR_NOTE
    source = f" from {calendar.source}" if calendar.source else ""
    first, last = calendar.first, calendar.last
    if first is None or last is None:
        return f"School holidays{source}: none listed, so every weekday was counted as a school day."
    n = len(calendar.closures)
    text = (
        f"School holidays{source} ({n} closure{'s' if n != 1 else ''} from {_day(first)} to {_day(last)}, "
        f"digest {calendar.digest[:12]}): weekdays in them were not counted as school days"
    )
    if period is not None:
        start, end = period
        one = dt.timedelta(days=1)
        outside = []
        if start < first and np.busday_count(start, first) > 0:
            outside.append(f"from {_day(start)} to {_day(first - one)} (before the list starts)")
        if end > last and np.busday_count(last + one, end + one) > 0:
            outside.append(f"from {_day(last + one)} to {_day(end)} (after the list ends)")
        if outside:
            text += f"; weekdays {' and '.join(outside)} were counted as school days"
    return text + "."


def with_school_days_note(result: RouteAssessment, calendar: SchoolCalendar | None, *,
                          horizon_days: int) -> RouteAssessment:
    """``result`` with :func:`school_days_note` added to its ``notes`` (shown under the result).

    Parameters
    ----------
    result
        A route assessment whose surface was weighted with ``calendar``.
    calendar
        The school holidays used, or None.
    horizon_days
        The surface horizon (``policy.surface.horizon_days``): how far back the check weighs incidents.
    """
    as_of = result.as_of
    if isinstance(as_of, dt.datetime):
        # incidents strictly before as_of are weighed: a midnight as_of ends on the day before
        period = ((as_of - dt.timedelta(days=int(horizon_days))).date(), (as_of - dt.timedelta(microseconds=1)).date())
    else:
        period = (as_of - dt.timedelta(days=int(horizon_days)), as_of - dt.timedelta(days=1))
    note = school_days_note(calendar, period=period)
    return dataclasses.replace(result, notes=(*result.notes, note))


# --------------------------------------------------------------------------- windows and weights


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


def _school_clock(occurred_at: pd.Series) -> pd.Series:
    """Naive UTC datetimes -> Europe/London."""
    when = pd.to_datetime(pd.Series(occurred_at))
    if getattr(when.dt, "tz", None) is None:
        when = when.dt.tz_localize("UTC")
    return when.dt.tz_convert(SCHOOL_TZ)


def _school_days(local: pd.Series, calendar: SchoolCalendar | None) -> np.ndarray:
    weekday = (local.dt.day_of_week < 5).to_numpy(dtype=bool, na_value=False)
    if calendar is None:
        return weekday
    days = local.dt.tz_localize(None).dt.normalize().to_numpy()
    return weekday & ~calendar.is_closed(days)


def school_days(occurred_at: pd.Series, calendar: SchoolCalendar | None = None) -> np.ndarray:
    """Boolean mask: the school-clock date is a school day (a weekday outside the calendar's closures).

    Parameters
    ----------
    occurred_at
        Naive UTC datetimes.
    calendar
        School holidays; without them every weekday is a school day.
    """
    return _school_days(_school_clock(occurred_at), calendar)


def _timed_in_windows(local: pd.Series, has_time: pd.Series, policy: RoutingPolicy) -> np.ndarray:
    windows = parse_windows(policy.school_windows)
    minutes = (local.dt.hour * 60 + local.dt.minute).to_numpy(dtype=float, na_value=np.nan)
    timed = pd.Series(has_time).fillna(False).astype(bool).to_numpy() & local.notna().to_numpy()
    inside = np.zeros(len(local), dtype=bool)
    for start, end in windows:
        inside |= (minutes >= start) & (minutes < end)
    return timed & inside


def in_school_window(occurred_at: pd.Series, has_time: pd.Series, policy: RoutingPolicy, *,
                     calendar: SchoolCalendar | None = None) -> np.ndarray:
    """Boolean mask: timed incidents on a school day inside a school travel window (school clock time).

    Parameters
    ----------
    occurred_at
        Naive UTC datetimes.
    has_time
        True where the time of day is real.
    policy
        The routing policy (``school_windows``).
    calendar
        School holidays; without them every weekday is a school day.
    """
    local = _school_clock(occurred_at)
    return _timed_in_windows(local, has_time, policy) & _school_days(local, calendar)


def add_time_weight(incidents: pd.DataFrame, policy: RoutingPolicy, *,
                    calendar: SchoolCalendar | None = None) -> pd.DataFrame:
    """Return a copy of ``incidents`` with a ``time_weight`` column for the surface fit.

    Parameters
    ----------
    incidents
        The data contract's incidents frame (``occurred_at``, ``has_time``).
    policy
        The routing policy (``school_windows``, ``school_window_weight``).
    calendar
        School holidays; without them every weekday is a school day.

    Returns
    -------
    DataFrame or GeoDataFrame
        Same rows, plus ``time_weight``: ``school_window_weight`` for timed
        incidents in a school travel window on a school day, else 1.0.
    """
    missing = [c for c in ("occurred_at", "has_time") if c not in incidents.columns]
    if missing:
        msg = f"incidents frame is missing column(s) {', '.join(missing)} needed for school-run weighting"
        raise ValidationError(msg)
    out = incidents.copy()
    local = _school_clock(out["occurred_at"])
    weekday = _school_days(local, None)
    school = weekday if calendar is None else _school_days(local, calendar)
    in_window = _timed_in_windows(local, out["has_time"], policy)
    mask = in_window & school
    out["time_weight"] = np.where(mask, float(policy.school_window_weight), 1.0)
    if log.isEnabledFor(logging.DEBUG):
        log.debug("school-run weighting: %d of %d incidents in a school travel window on a school day "
                  "(%d more on weekdays that are not school days)",
                  int(mask.sum()), len(out), int((in_window & weekday & ~school).sum()))
    return out


# --------------------------------------------------------------------------- what the weighting did


@dataclass(frozen=True)
class TimeWeighting:
    """What school-run weighting did to the incidents a check weighs.

    Attributes
    ----------
    weighed
        Incidents in the surface's horizon before ``as_of``.
    timed
        Of those, incidents with a time of day (dated partner and emergency-department records).
    on_school_run
        Of those, incidents in a school travel window on a school day (weighted).
    weight
        The weight they were given (``school_window_weight``).
    """

    weighed: int
    timed: int
    on_school_run: int
    weight: float

    @property
    def applied(self) -> bool:
        """Whether any incident was weighted."""
        return self.on_school_run > 0

    @property
    def note(self) -> str:
        """The plain note a route result carries."""
        untimed = self.weighed - self.timed
        if self.timed == 0:
            return (f"School-run time weighting could not apply: none of the {self.weighed} incidents weighed "
                    "carries a time of day (police.uk records give only the month), so every incident counts "
                    "the same whatever the hour it happened.")
        text = (f"School-run time weighting: {self.on_school_run} of the {self.timed} records with a time of day "
                f"(partner and emergency-department records) happened in a school travel window on a school day "
                f"and count {self.weight:g} times")
        if untimed:
            text += (f"; the other {untimed} of the {self.weighed} incidents weighed give no time of day "
                     "(police.uk records give only the month) and could not be weighted")
        return text + "."


def time_weighting(incidents: pd.DataFrame, policy: RoutingPolicy, *, as_of: dt.datetime, horizon_days: int,
                   calendar: SchoolCalendar | None = None) -> TimeWeighting:
    """What :func:`add_time_weight` does to the incidents a check at ``as_of`` weighs.

    Parameters
    ----------
    incidents
        The data contract's incidents frame (``occurred_at``, ``has_time``).
    policy
        The routing policy.
    as_of
        The moment of the check: incidents before it, back to ``horizon_days``, are weighed.
    horizon_days
        The surface horizon (``policy.surface.horizon_days``).
    calendar
        School holidays; without them every weekday is a school day.
    """
    when = pd.to_datetime(incidents["occurred_at"])
    end = pd.Timestamp(as_of)
    inside = ((when < end) & (when >= end - pd.Timedelta(days=int(horizon_days)))).to_numpy(dtype=bool)
    sub = incidents.loc[inside, ["occurred_at", "has_time"]]
    timed = sub["has_time"].fillna(False).astype(bool).to_numpy()
    on_run = in_school_window(sub["occurred_at"], sub["has_time"], policy, calendar=calendar) if len(sub) else timed
    return TimeWeighting(weighed=len(sub), timed=int(timed.sum()), on_school_run=int(np.sum(on_run)),
                         weight=float(policy.school_window_weight))


def with_time_weighting_note(result: RouteAssessment, weighting: TimeWeighting) -> RouteAssessment:
    """``result`` with :attr:`TimeWeighting.note` added to its ``notes``."""
    return dataclasses.replace(result, notes=(*result.notes, weighting.note))
