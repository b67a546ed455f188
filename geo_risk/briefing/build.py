"""Build briefings for many schools at once.

Everything spatial is done once for all schools: one KD-tree over the incidents answers
"which incidents lie within the buffer of which school" for every school in one query, one
STRtree query finds the areas each buffer touches, one assigns incidents to areas, and one
KD-tree finds the peer groups' places near each school. Counting is ``numpy.bincount`` over
(school, row, period) codes. Only assembling each school's result (and its disclosure
control, which is per table) loops over schools.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree
from scipy.stats import rankdata

from geo_risk.briefing import disclosure
from geo_risk.briefing.conflicts import (
    INDIVIDUALS,
    Conflict,
    ConflictPlace,
    PlaceSummary,
    conflict_pairs,
    group_places,
    member_counts,
    recency_label,
)
from geo_risk.briefing.counts import counts_layout, protect_counts
from geo_risk.briefing.model import (
    AreaShade,
    Briefing,
    IncidentPoint,
    NoticeView,
    RateCell,
    RowKey,
    Tension,
    diff_published,
)
from geo_risk.briefing.notices import Notice, TensionOverride, live_override
from geo_risk.briefing.periods import DATED, MONTH_ONLY, Periods, chart_months, define_periods, period_masks
from geo_risk.briefing.stats import rate_ratio
from geo_risk.config import BriefingPolicy, Policy
from geo_risk.contract import area_codes_touched, briefing_areas, notice_reach
from geo_risk.crs import EastNorth, require_store_crs
from geo_risk.errors import NotFound, ValidationError

log = logging.getLogger(__name__)

_INCIDENT_COLUMNS = ("incident_id", "category", "occurred_at", "has_time", "geometry")
_SCHOOL_COLUMNS = ("urn", "name", "phase", "geometry")
_AREA_COLUMNS = ("code", "name", "level", "version", "geometry")

#: Reasons of the injury rules, the same whatever the count (see :func:`_tension`).
INJURIES_28D = "several assault injuries treated in hospital in the last 28 days, above the usual rate for this area"
INJURIES_7D = "assault injuries treated in hospital in the last 7 days, above the usual rate for this area"


def brief_school(urn: str, schools: gpd.GeoDataFrame, incidents: gpd.GeoDataFrame, areas: gpd.GeoDataFrame,
                 **kwargs: Any) -> Briefing:
    """The briefing of one school; see :func:`brief_all` for the parameters."""
    urn = str(urn)
    _require(schools, _SCHOOL_COLUMNS, "schools")
    one = schools[schools["urn"].astype(str) == urn]
    if one.empty:
        msg = f"no school with URN {urn!r}; check the URN or import the schools first"
        raise NotFound(msg)
    previous = kwargs.pop("previous", None)
    if isinstance(previous, Briefing) or (isinstance(previous, Mapping) and "schema" in previous):
        previous = {urn: previous}
    return brief_all(one, incidents, areas, previous=previous, **kwargs)[urn]


def brief_all(
    schools: gpd.GeoDataFrame,
    incidents: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    *,
    as_of: pd.Timestamp | str,
    policy: Policy,
    links: pd.DataFrame | None = None,
    places: gpd.GeoDataFrame | None = None,
    groups: pd.DataFrame | None = None,
    notices: Iterable[Notice] = (),
    overrides: Iterable[TensionOverride] = (),
    previous: Mapping[str, Briefing | Mapping[str, Any]] | None = None,
    include_points: bool = False,
    live_at: pd.Timestamp | str | None = None,
) -> dict[str, Briefing]:
    """Briefings for every school in ``schools`` at ``as_of``.

    Parameters
    ----------
    schools, incidents, areas
        Data-contract frames in EPSG:27700. ``incidents`` and ``areas`` are citywide: the
        windows, the month-only coverage and the area shading are judged on all of them.
    as_of
        The moment of the briefing (naive UTC); nothing after it is counted.
    policy
        The policy; its ``[briefing]`` section drives everything, its version is recorded.
    links, places, groups
        The peer network (data-contract frames), for conflicts near each school.
    notices
        Notices from the store; those live at ``live_at`` for a school's area are shown.
    overrides
        Analysts' tension overrides; a live one sets the level and is shown.
    previous
        The last briefing of each school (a :class:`Briefing` or its school-tier dict), for
        "what changed".
    include_points
        Keep the incidents in each area for the analyst tier (never in the school tier).
    live_at
        The moment notices and overrides must be live at (default ``as_of``): a briefing of the
        day counts incidents up to 00:00 and still shows a notice posted at 10:00 that day.

    Returns
    -------
    dict
        URN -> :class:`Briefing`, in the order of ``schools``.
    """
    bp = policy.briefing
    as_of = _timestamp(as_of)
    live_at = as_of if live_at is None else _timestamp(live_at)
    _require(schools, _SCHOOL_COLUMNS, "schools")
    _require(incidents, _INCIDENT_COLUMNS, "incidents")
    _require(areas, _AREA_COLUMNS, "areas")
    require_store_crs(schools, "schools")
    require_store_crs(incidents, "incidents")
    require_store_crs(areas, "areas")
    if places is not None and len(places):
        require_store_crs(places, "places")
    urns = schools["urn"].astype(str).to_numpy()
    if len(set(urns)) != len(urns):
        msg = "schools has repeated URNs; give each school once"
        raise ValidationError(msg)
    notices = tuple(notices)
    overrides = tuple(overrides)

    inc = _incident_arrays(incidents, as_of)
    periods = define_periods(inc["occurred"], inc["has_time"], as_of=as_of, policy=bp)
    rows, row_of = _rows(inc["category"], inc["has_time"], bp)
    masks = period_masks(inc["occurred"], inc["has_time"], periods)
    n_s, n_r = len(schools), len(rows)
    school_xy = np.column_stack([schools.geometry.x.to_numpy(), schools.geometry.y.to_numpy()])
    # the chart: month-only records by month, over every month the table counts them
    chart = chart_months(periods, bp.trend_months)
    chart_idx = np.array([np.datetime64(m, "M").astype(np.int64) for m in chart], dtype=np.int64)
    month_masks = ~inc["has_time"][:, None] & (inc["month"][:, None] == chart_idx[None, :])
    published_months = set(np.unique(inc["month"][~inc["has_time"]]).tolist())

    # ---- incidents within each school's buffer: one KD-tree, one query for all schools
    both, s_idx, i_idx = count_within(school_xy, inc["xy"], np.hstack([masks, month_masks]), row_of, n_r,
                                      bp.buffer_m)
    counts, by_month = both[:, :, : masks.shape[1]], both[:, :, masks.shape[1]:]

    # ---- rate ratios for every school, row and window at once
    resolution = np.array([r.resolution for r in rows])
    windows = periods.windows
    base_exp = np.array([periods.baseline.exposure(res) for res in resolution])
    win_exp = np.array([[w.exposure(res) if w.has(res) else 0.0 for w in windows] for res in resolution])
    with np.errstate(divide="ignore", invalid="ignore"):
        t_row = np.where(base_exp[:, None] > 0, win_exp / base_exp[:, None], 0.0)  # (R, W)
    observed = counts[:, :, : len(windows)]
    baseline = counts[:, :, -1]
    ratio, low, high = rate_ratio(observed, np.broadcast_to(baseline[:, :, None], observed.shape),
                                  np.broadcast_to(t_row, observed.shape), confidence=bp.confidence)
    expected = baseline[:, :, None] * t_row[None, :, :]
    has_window = np.array([[w.has(res) for w in windows] for res in resolution])  # (R, W)
    tot_obs = (observed * has_window[None]).sum(axis=1)
    tot_exp = expected.sum(axis=1)
    tot_base = (baseline[:, :, None] * has_window[None]).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_tot = np.where(tot_base > 0, tot_exp / np.maximum(tot_base, 1), 0.0)
    t_ratio, t_low, t_high = rate_ratio(tot_obs, tot_base, np.where(t_tot > 0, t_tot, 0.0), confidence=bp.confidence)

    # ---- tension inputs
    serious = np.isin([r.category for r in rows], list(bp.serious_categories))
    injury = np.isin([r.category for r in rows], list(bp.injury_categories))
    k28 = _window_index(windows, 28)
    k7 = _window_index(windows, 7)
    # each record scores in one rule: injuries have their own (below), so the serious rule
    # counts the other serious categories (else the same injuries score twice)
    ser_obs, ser_low = _window_rate(observed, baseline, t_row, has_window, serious & ~injury, k28,
                                    confidence=bp.confidence)
    inj28, inj28_low = _window_rate(observed, baseline, t_row, has_window, injury, k28, confidence=bp.confidence)
    inj7, inj7_low = _window_rate(observed, baseline, t_row, has_window, injury & (resolution == DATED), k7,
                                 confidence=bp.confidence)

    # ---- areas: which each buffer touches, and the area-level trend
    buffers = briefing_areas(school_xy, bp.buffer_m)
    area_info = _area_tables(areas, buffers, inc, bp, as_of)

    # ---- conflicts near each school
    conflicts_by_school = _conflicts(school_xy, links, places, groups, as_of, bp, area_info)

    # ---- notices for each school
    notices_by_school = _notices(urns, buffers, notices, live_at, area_info)

    nested = [(k, k + 1) for k in range(len(windows) - 1)]
    table_mask = np.column_stack([has_window, np.ones(n_r, dtype=bool)])
    month_only = np.array([r.resolution == MONTH_ONLY for r in rows], dtype=bool)
    layout = counts_layout(table_mask, [r.resolution for r in rows], [p.months for p in periods.all], chart,
                           [int(m) not in published_months for m in chart_idx], nested_columns=nested)
    longest = len(windows) - 1
    notes = _notes(periods, bp)
    out: dict[str, Briefing] = {}
    prev_map = previous or {}
    point_lists = _points_by_school(s_idx, i_idx, masks[:, longest], n_s) if include_points else None
    for s in range(n_s):
        urn = urns[s]
        table = protect_counts(layout, counts[s], by_month[s, month_only].sum(axis=0), threshold=bp.suppress_below)
        rates = _rate_cells(s, table, rows, windows, has_window, ratio, low, high, expected, t_row,
                            t_ratio, t_low, t_high, tot_exp, t_tot, baseline)
        area_table, shades = area_info.protect(s, bp.suppress_below)
        school_conflicts = conflicts_by_school[s]
        recent = [c for c in school_conflicts if _recent_here(c, as_of, bp.conflict_recent_days)]
        views = notices_by_school[s]
        tension = _tension(
            bp,
            ser_obs=int(ser_obs[s]),
            ser_low=float(ser_low[s]),
            inj28=int(inj28[s]),
            inj28_low=float(inj28_low[s]),
            inj7=int(inj7[s]),
            inj7_low=float(inj7_low[s]),
            recent_conflicts=tuple(c.weight for c in recent),
            live_notices=len(views),
            override=live_override(overrides, urn, live_at),
        )
        points = None
        if point_lists is not None:
            points = tuple(
                IncidentPoint(
                    incident_id=int(inc["incident_id"][i]),
                    category=str(inc["category"][i]),
                    occurred_at=pd.Timestamp(inc["occurred"][i]),
                    has_time=bool(inc["has_time"][i]),
                    easting=float(inc["xy"][i, 0]),
                    northing=float(inc["xy"][i, 1]),
                )
                for i in point_lists[s]
            )
        row = schools.iloc[s]
        briefing = Briefing(
            urn=urn,
            school_name=str(row["name"]),
            phase=str(row["phase"]),
            school_point=EastNorth(float(school_xy[s, 0]), float(school_xy[s, 1])),
            as_of=as_of,
            policy_version=policy.version,
            buffer_m=float(bp.buffer_m),
            area_level=bp.area_level,
            areas=shades,
            periods=periods,
            rows=rows,
            counts=table,
            rates=rates,
            area_table=area_table,
            trend=layout.trend,
            tension=tension,
            conflicts=school_conflicts,
            notices=views,
            changes=(),
            notes=notes,
            incident_points=points,
        )
        prev = prev_map.get(urn)
        if prev is not None:
            prev_dict = prev.to_dict("school") if isinstance(prev, Briefing) else prev
            briefing = dataclasses.replace(briefing, changes=diff_published(prev_dict, briefing.to_dict("school")))
        out[urn] = briefing
    log.info("built %d school briefings at %s", len(out), as_of.isoformat())
    return out


# --------------------------------------------------------------------------- helpers


def _timestamp(value: Any) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        msg = f"as_of must be a date or datetime, got {value!r}"
        raise ValidationError(msg) from exc
    if ts is pd.NaT:
        msg = "as_of is required"
        raise ValidationError(msg)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts


def _require(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        msg = f"{what} lacks the column(s) {', '.join(missing)}; see the data contract for {what}"
        raise ValidationError(msg)


def _incident_arrays(incidents: gpd.GeoDataFrame, as_of: pd.Timestamp) -> dict[str, np.ndarray]:
    geom = incidents.geometry
    occurred = pd.to_datetime(incidents["occurred_at"]).to_numpy(dtype="datetime64[ns]")
    ok = ~np.isnat(occurred) & ~geom.is_empty.to_numpy() & geom.notna().to_numpy()
    ok &= occurred < np.datetime64(as_of.to_datetime64())
    dropped = int((~ok).sum())
    if dropped:
        log.debug("briefing: %d incidents are after as_of or lack a time or a point", dropped)
    sub = incidents.loc[ok]
    return {
        "incident_id": sub["incident_id"].to_numpy(),
        "category": sub["category"].astype(str).to_numpy(),
        "occurred": occurred[ok],
        "has_time": sub["has_time"].astype(bool).to_numpy(),
        "xy": np.column_stack([sub.geometry.x.to_numpy(), sub.geometry.y.to_numpy()]),
        "geom": sub.geometry.to_numpy(),
        "month": occurred[ok].astype("datetime64[M]").astype(np.int64),
    }


def _rows(category: np.ndarray, has_time: np.ndarray, bp: BriefingPolicy) -> tuple[tuple[RowKey, ...], np.ndarray]:
    """Rows (category x resolution) present citywide, serious categories first."""
    resolution = np.where(has_time, DATED, MONTH_ONLY)
    frame = pd.DataFrame({"category": category, "resolution": resolution})
    present = frame.drop_duplicates()
    serious_order = {c: k for k, c in enumerate(bp.serious_categories)}
    keys = sorted(
        (RowKey(c, r) for c, r in zip(present["category"], present["resolution"])),
        key=lambda k: (serious_order.get(k.category, len(serious_order)), k.category, k.resolution != DATED),
    )
    index = pd.Series(range(len(keys)), index=pd.MultiIndex.from_tuples([(k.category, k.resolution) for k in keys]))
    row_of = index.reindex(pd.MultiIndex.from_arrays([category, resolution])).to_numpy(dtype=np.int64) if len(
        category
    ) else np.zeros(0, dtype=np.int64)
    return tuple(keys), row_of


def count_within(
    centres: np.ndarray, xy: np.ndarray, masks: np.ndarray, row_of: np.ndarray, n_rows: int, radius: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts ``(n_centres, n_rows, n_periods)`` of points within ``radius`` of each centre.

    One KD-tree over the points that count in any period, one ball query for all centres,
    then ``numpy.bincount`` over (centre, row) codes per period. Also returns the
    (centre, point) pairs.
    """
    n_s, n_p = len(centres), masks.shape[1]
    in_any = np.flatnonzero(masks.any(axis=1))
    s_idx, i_idx = _pairs_within(centres, xy[in_any], radius)
    i_idx = in_any[i_idx]
    counts = np.zeros((n_s, n_rows, n_p), dtype=np.int64)
    code = s_idx * n_rows + row_of[i_idx]
    for p in range(n_p):
        counts[:, :, p] = np.bincount(code, weights=masks[i_idx, p], minlength=n_s * n_rows).reshape(n_s, n_rows)
    return counts, s_idx, i_idx


def _pairs_within(centres: np.ndarray, points: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """(centre index, point index) for every point within ``radius`` of a centre."""
    if len(points) == 0 or len(centres) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    tree = cKDTree(points)
    hits = tree.query_ball_point(centres, r=radius)
    lengths = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
    s_idx = np.repeat(np.arange(len(centres), dtype=np.int64), lengths)
    i_idx = np.concatenate([np.asarray(h, dtype=np.int64) for h in hits]) if lengths.sum() else np.zeros(0, np.int64)
    return s_idx, i_idx


def _window_rate(
    observed: np.ndarray,
    baseline: np.ndarray,
    t_row: np.ndarray,
    has_window: np.ndarray,
    rows: np.ndarray,
    k: int | None,
    *,
    confidence: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Per centre: the count of ``rows`` in window ``k`` and the lower bound of its rate ratio.

    Parameters
    ----------
    observed
        ``(n_centres, n_rows, n_windows)`` counts in the windows.
    baseline
        ``(n_centres, n_rows)`` counts in the comparison period.
    t_row
        ``(n_rows, n_windows)`` window length over comparison length, per row (by its resolution).
    has_window
        ``(n_rows, n_windows)``: whether the row is counted in the window.
    rows
        Boolean mask of the rows to add up.
    k
        The window; None gives zero counts and NaN bounds.

    Returns
    -------
    (count, low)
        ``low`` is NaN where nothing was seen and nothing is usual, or there is no
        comparison data. The exposure ratio of several rows is their own, weighted by their
        comparison counts; where those are all 0 (nothing is usual here) it is the rows'
        mean, so that incidents where there were none in the comparison period are
        compared with a usual rate of 0, not skipped.
    """
    n_s = observed.shape[0]
    if k is None:
        return np.zeros(n_s, dtype=np.int64), np.full(n_s, np.nan)
    use = rows & has_window[:, k]
    obs = observed[:, use, k].sum(axis=1)
    base = baseline[:, use].sum(axis=1)
    expected = (baseline[:, use] * t_row[use, k][None]).sum(axis=1)
    ts = t_row[use, k]
    fallback = float(ts[ts > 0].mean()) if (ts > 0).any() else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(base > 0, expected / np.maximum(base, 1), fallback)
    _, low, _ = rate_ratio(obs, base, t, confidence=confidence)
    return obs, low


def _window_index(windows: tuple, days: int) -> int | None:
    for k, w in enumerate(windows):
        if w.key == f"{days}d":
            return k
    return None


def _points_by_school(s_idx: np.ndarray, i_idx: np.ndarray, in_window: np.ndarray, n_s: int) -> list[np.ndarray]:
    keep = in_window[i_idx]
    s, i = s_idx[keep], i_idx[keep]
    order = np.argsort(s, kind="stable")
    s, i = s[order], i[order]
    bounds = np.searchsorted(s, np.arange(n_s + 1))
    return [i[bounds[k]: bounds[k + 1]] for k in range(n_s)]


def _rate_cells(s, table, rows, windows, has_window, ratio, low, high, expected, t_row,
                t_ratio, t_low, t_high, tot_exp, t_tot, baseline) -> tuple[RateCell, ...]:
    base_col = len(windows)
    cells = []
    for r in range(len(rows)):
        for k, w in enumerate(windows):
            if not has_window[r, k]:
                continue
            reason = ""
            if t_row[r, k] <= 0:
                reason = "no comparison data"
            elif baseline[s, r] == 0:
                reason = "none in the comparison period"
            published = table.is_published(r, k) and table.is_published(r, base_col) and not reason
            if not published and not reason:
                reason = "counts suppressed"
            cells.append(
                RateCell(
                    row=r,
                    period=w.key,
                    ratio=_f(ratio[s, r, k]),
                    low=_f(low[s, r, k]),
                    high=_f(high[s, r, k]),
                    expected=float(expected[s, r, k]),
                    published=published,
                    reason=reason,
                )
            )
    for k, w in enumerate(windows):
        inputs = [table.total_published(k)]
        inputs += [table.is_published(r, base_col) for r in range(len(rows)) if has_window[r, k]]
        reason = "" if t_tot[s, k] > 0 else "no comparison data"
        published = all(inputs) and not reason
        if not published and not reason:
            reason = "counts suppressed"
        cells.append(
            RateCell(
                row=None,
                period=w.key,
                ratio=_f(t_ratio[s, k]),
                low=_f(t_low[s, k]),
                high=_f(t_high[s, k]),
                expected=float(tot_exp[s, k]),
                published=published,
                reason=reason,
            )
        )
    return tuple(cells)


def _recent_here(conflict: Conflict, as_of: pd.Timestamp, days: int) -> bool:
    """Recent evidence of the conflict and recent activity of a party in the area."""
    if conflict.evidence_age_days is None or conflict.evidence_age_days > days:
        return False
    limit = as_of - pd.Timedelta(days=days)
    return any(p.last_seen is not None and p.last_seen >= limit for p in conflict.places)


def _f(x: float) -> float | None:
    x = float(x)
    return None if np.isnan(x) else x


def _tension(
    bp: BriefingPolicy,
    *,
    ser_obs: int,
    ser_low: float,
    inj28: int,
    inj28_low: float,
    inj7: int,
    inj7_low: float,
    recent_conflicts: tuple[float, ...],
    live_notices: int,
    override: TensionOverride | None,
) -> Tension:
    points = 0
    reasons: list[str] = []
    if ser_obs >= bp.min_serious_28d and not np.isnan(ser_low):
        if ser_low > bp.rr_high:
            points += 2
            reasons.append("serious incidents in the last 28 days are well above the usual rate for this area")
        elif ser_low > bp.rr_elevated:
            points += 1
            reasons.append("serious incidents in the last 28 days are above the usual rate for this area")
    # injuries, like serious incidents, count against the area's usual rate: where several
    # a month are usual (a night-time centre), that many is not a change. The school tier
    # shows these reasons beside counts of 1-4 shown as "<5", so a reason's words depend
    # only on which rule fired, never on the count (one injury, none in the past year).
    if inj28 >= bp.injuries_major and inj28_low > bp.rr_elevated:
        points += 2
        reasons.append(INJURIES_28D)
    elif inj7 >= 1 and inj7_low > bp.rr_elevated:
        points += 1
        reasons.append(INJURIES_7D)
    # each conflict counts by its evidence grade (policy conflict_grade_weights): one unverified
    # conflict alone counts less than one, and raises no point; the words say whether reports not
    # yet verified are among them, never how many
    count = float(sum(recent_conflicts))
    unverified = any(weight < 1.0 for weight in recent_conflicts)
    some = " (some reports not yet verified)" if unverified else ""
    if count >= 2 - 1e-9:
        points += 2
        reasons.append(f"conflicts involving peer groups with recent evidence and recent activity in the area{some}")
    elif count >= 1 - 1e-9:
        points += 1
        reasons.append(f"a conflict involving peer groups with recent evidence and recent activity in the area{some}")
    elif recent_conflicts:
        reasons.append("a report of a conflict involving a peer group near the area is not yet verified; it does "
                       "not raise the level on its own")
    if live_notices:
        points += 1
        reasons.append("a live post-incident notice covers this area")
    levels = tuple(bp.levels)
    computed = levels[min(sum(points >= t for t in bp.level_points), len(levels) - 1)]
    if not points:
        reasons.append("no recent serious incidents, injuries, conflicts or notices above the policy's thresholds")
    level = computed
    if override is not None:
        if override.level not in levels:
            msg = f"override level {override.level!r} is not one of {', '.join(levels)}"
            raise ValidationError(msg)
        level = override.level
    return Tension(level=level, computed_level=computed, points=points, reasons=tuple(reasons), override=override)


def _notes(periods: Periods, bp: BriefingPolicy) -> tuple[str, ...]:
    notes = []
    if periods.latest_month is not None:
        notes.append(
            f"Month-only records (such as police.uk) give only the month; the latest whole month in the data is "
            f"{periods.latest_month}. The 28- and 90-day columns count whole months of them, named above; the "
            "7-day column counts dated incidents only."
        )
        base = periods.baseline
        if base.month_exposure < len(base.months):
            notes.append(
                f"The comparison period has {base.month_exposure} of {len(base.months)} months of month-only "
                "data; rate ratios use the months there are."
            )
        notes.append("police.uk places incidents at an approximate point ('on or near'), so counts near the edge "
                     "of the area are approximate.")
    if periods.dated_from is not None:
        base = periods.baseline
        if base.dated_exposure_days < int(bp.baseline_days):
            notes.append(
                f"Dated records start on {periods.dated_from.date().isoformat()}: the comparison period has "
                f"{base.dated_exposure_days:.0f} of {int(bp.baseline_days)} days of them."
            )
    notes.append("Rate ratios compare a window with the usual rate for the same length of time in the comparison "
                 "period; the interval is an exact 95% Poisson interval.")
    return tuple(notes)


# --------------------------------------------------------------------------- areas and trend


@dataclasses.dataclass
class _AreaInfo:
    codes: np.ndarray
    names: np.ndarray
    shade: np.ndarray
    touched: list[np.ndarray]
    all_codes_by_school: list[set[str]]
    area_12m: np.ndarray
    tree: shapely.STRtree | None

    def protect(self, s: int, threshold: int) -> tuple[disclosure.Protected, tuple[AreaShade, ...]]:
        """The 12-month counts of the areas the school's buffer touches, and their total."""
        touched = self.touched[s]
        n_a = len(touched)
        area_counts = self.area_12m[touched]
        values = np.concatenate([area_counts, [area_counts.sum()]]).astype(np.int64)
        constraints = disclosure.Constraints(len(values), ((tuple(range(n_a)), n_a),))
        prot = disclosure.protect(values, constraints, threshold=threshold)
        shades = tuple(
            AreaShade(code=str(self.codes[a]), name=str(self.names[a]), shade=int(self.shade[a]))
            for a in touched
        )
        return prot, shades

    def area_of_points(self, xy: np.ndarray, geoms: np.ndarray | None = None) -> np.ndarray:
        """Index of the area holding each point (-1 if none)."""
        out = np.full(len(xy), -1, dtype=np.int64)
        if self.tree is None or len(xy) == 0:
            return out
        geoms = shapely.points(xy) if geoms is None else geoms
        p_idx, a_idx = self.tree.query(geoms, predicate="intersects")
        first = np.unique(p_idx, return_index=True)[1]
        out[p_idx[first]] = a_idx[first]
        return out


def _area_tables(areas, buffers, inc, bp: BriefingPolicy, as_of: pd.Timestamp) -> _AreaInfo:
    n_s = len(buffers)
    level = areas[areas["level"].astype(str) == bp.area_level]
    if len(level):
        version = max(level["version"].astype(str).unique())
        level = level[level["version"].astype(str) == version]
    geoms = level.geometry.to_numpy()
    # the shading counts the last `trend_months` whole months before as_of
    as_of_month = np.datetime64(as_of.to_datetime64(), "M").astype(np.int64)
    month_idx = np.arange(as_of_month - bp.trend_months, as_of_month)
    n_a, n_m = len(level), len(month_idx)
    if n_a == 0:
        log.warning("no %s areas loaded: briefings will have no area shading", bp.area_level)
        return _AreaInfo(np.array([]), np.array([]), np.array([]), [np.zeros(0, np.int64)] * n_s,
                         area_codes_touched(areas, buffers), np.zeros(0, np.int64), None)
    tree = shapely.STRtree(geoms)
    b_idx, a_idx = tree.query(buffers, predicate="intersects")
    order = np.lexsort((a_idx, b_idx))
    b_idx, a_idx = b_idx[order], a_idx[order]
    bounds = np.searchsorted(b_idx, np.arange(n_s + 1))
    touched = [a_idx[bounds[k]: bounds[k + 1]] for k in range(n_s)]
    # incidents in those months -> area
    pos = inc["month"] - month_idx[0]
    in_trend = (pos >= 0) & (pos < n_m)
    sel = np.flatnonzero(in_trend)
    info = _AreaInfo(
        codes=level["code"].astype(str).to_numpy(),
        names=level["name"].astype(str).to_numpy(),
        shade=np.zeros(n_a, dtype=np.int64),
        touched=touched,
        all_codes_by_school=area_codes_touched(areas, buffers),
        area_12m=np.zeros(n_a, dtype=np.int64),
        tree=tree,
    )
    area_of = info.area_of_points(inc["xy"][sel], geoms=inc["geom"][sel])
    ok = area_of >= 0
    info.area_12m = np.bincount(area_of[ok], minlength=n_a).astype(np.int64)
    # shading: the area's 12-month incidents per km2, in classes of equal numbers of areas citywide
    km2 = np.maximum(shapely.area(geoms) / 1e6, 1e-6)
    density = info.area_12m / km2
    ranks = rankdata(density, method="average")
    info.shade = np.clip(np.ceil(ranks / n_a * bp.shade_classes), 1, bp.shade_classes).astype(np.int64)
    return info


# --------------------------------------------------------------------------- conflicts and notices


def _conflicts(
    school_xy, links, places, groups, as_of, bp: BriefingPolicy, area_info: _AreaInfo
) -> list[tuple[Conflict, ...]]:
    n_s = len(school_xy)
    empty: list[tuple[Conflict, ...]] = [() for _ in range(n_s)]
    if links is None or places is None or len(links) == 0 or len(places) == 0:
        return empty
    pairs = conflict_pairs(links, as_of)
    if not pairs:
        return empty
    gp = group_places(places, links, as_of)
    if gp.empty:
        return empty
    labels: dict[str, str] = {}
    if groups is not None and len(groups):
        labels = dict(zip(groups["code"].astype(str), groups["label"].astype(str)))
    members = member_counts(links, as_of)
    sources_col = gp["source"].astype(str).to_numpy()
    xy = gp[["x", "y"]].to_numpy(dtype=float)
    area_idx = area_info.area_of_points(xy)
    s_idx, p_idx = _pairs_within(school_xy, xy, bp.buffer_m)
    by_school: list[list[int]] = [[] for _ in range(n_s)]
    for s, p in zip(s_idx, p_idx):
        by_school[int(s)].append(int(p))
    group_col = gp["group"].astype(str).to_numpy()
    place_ids = gp["place_id"].astype(str).to_numpy()
    kinds = gp["kind"].astype(str).to_numpy()
    seen_col = pd.to_datetime(gp["last_seen"]).to_numpy()
    place_objs: dict[int, ConflictPlace] = {}

    def place(p: int) -> ConflictPlace:
        if p not in place_objs:
            a = area_idx[p]
            place_objs[p] = ConflictPlace(
                group=labels.get(group_col[p], f"peer group {group_col[p]}"),
                kind=kinds[p],
                area_code=str(area_info.codes[a]) if a >= 0 else None,
                area_name=str(area_info.names[a]) if a >= 0 else None,
                last_seen=None if np.isnat(seen_col[p]) else pd.Timestamp(seen_col[p]),
                place_id=place_ids[p],
                easting=float(xy[p, 0]),
                northing=float(xy[p, 1]),
                source=sources_col[p],
            )
        return place_objs[p]

    out = []
    for s in range(n_s):
        near = sorted(by_school[s], key=lambda p: (group_col[p], place_ids[p]))
        if not near:
            out.append(())
            continue
        groups_here = {group_col[p] for p in near}
        found = []
        for pair in pairs:
            parties = [g for g in (pair.group_a, pair.group_b) if g is not None]
            if not groups_here.intersection(parties):
                continue
            place_list = [place(p) for p in near if group_col[p] in parties]
            age = None if pair.last_seen is None else int((as_of - pair.last_seen) / pd.Timedelta(days=1))
            names = [labels.get(g, f"peer group {g}") for g in parties]
            if pair.group_b is None:
                names.append(INDIVIDUALS)
            small = [labels.get(g, f"peer group {g}") for g in parties
                     if members.get(g, 0) < bp.school_min_group_members]
            withheld = (f"not shown to the school: {', '.join(small)} has fewer than "
                        f"{bp.school_min_group_members} live members") if small else ""
            found.append(
                Conflict(
                    parties=(names[0], names[1]),
                    basis=pair.basis,
                    evidence_last_seen=pair.last_seen,
                    evidence_age_days=age,
                    recency=recency_label(age),
                    best_grade=pair.best_grade,
                    places=tuple(place_list),
                    link_ids=pair.link_ids,
                    weight=float(bp.conflict_grade_weights.get(pair.best_grade, 0.0)),
                    shown_to_school=not small,
                    withheld=withheld,
                    summaries=_summaries(place_list, bp.school_min_place_sources),
                )
            )
        found.sort(key=lambda c: (c.evidence_age_days if c.evidence_age_days is not None else 10**9, c.key))
        out.append(tuple(found))
    return out


def _summaries(places: list[ConflictPlace], min_sources: int) -> tuple[PlaceSummary, ...]:
    """A party's places by group, kind and area, with the number of different sources they rest on."""
    grouped: dict[tuple, list[ConflictPlace]] = {}
    for p in places:
        grouped.setdefault((p.group, p.kind, p.area_code or "", p.area_name or ""), []).append(p)
    out = []
    for (group, kind, code, name), items in sorted(grouped.items()):
        seen = [p.last_seen for p in items if p.last_seen is not None]
        sources = len({p.source for p in items if p.source} or {""})
        out.append(PlaceSummary(group=group, kind=kind, area_code=code or None, area_name=name or None,
                                last_seen=max(seen) if seen else None, sources=sources,
                                shown=sources >= min_sources))
    return tuple(out)


def _notices(urns, buffers, notices: tuple[Notice, ...], as_of, area_info: _AreaInfo) -> list[tuple[NoticeView, ...]]:
    live = [n for n in notices if n.is_live(as_of)]
    hits = notice_reach(live, urns, buffers, area_info.all_codes_by_school)
    out = []
    for s, found in enumerate(hits):
        views = []
        for k in sorted(found, key=lambda k: (live[k].valid_from, live[k].notice_id)):
            ack = live[k].acknowledgement(urns[s])
            views.append(NoticeView(notice=live[k], acknowledged_at=ack.acknowledged_at if ack else None))
        out.append(tuple(views))
    return out
