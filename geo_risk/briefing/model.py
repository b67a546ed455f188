"""The :class:`Briefing` result and its JSON in two tiers (declared in :data:`geo_risk.tiers.BRIEFING`).

The school-user tier carries only what disclosure control publishes: suppressed counts,
rates whose counts are published, area-level shading, the tension level and its reasons
(never the rule's points), conflicts of peer groups with enough members and their places
summarised by area when enough sources report them, live notices. It never holds a point, an
incident id or a person (:func:`~geo_risk.briefing.disclosure.check_school_payload` refuses it
otherwise). The analyst tier adds the true counts and every rate (``raw``), the rule's points,
each conflict's grade, link ids, the place records with coordinates, the conflicts withheld
from the school and why, and (when built with ``include_points``) the incidents in the area.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from geo_risk import tiers
from geo_risk.briefing.conflicts import Conflict
from geo_risk.briefing.counts import Trend
from geo_risk.briefing.disclosure import NOT_APPLICABLE as disclosure_na
from geo_risk.briefing.disclosure import Protected, ProtectedTable, check_school_payload, primary_mark
from geo_risk.briefing.notices import Notice, TensionOverride
from geo_risk.briefing.periods import Periods
from geo_risk.crs import EastNorth
from geo_risk.errors import ValidationError

Tier = Literal["school", "analyst"]
#: 2: the trend counts the count table's month-only records within the buffer (one series, ``all``),
#: over every month the table counts; ``counts.month_only_total`` is what its months add up to.
SCHEMA = "geo-risk/briefing/2"


@dataclass(frozen=True)
class RowKey:
    """A row of the count table: a category at one time resolution."""

    category: str
    resolution: str


@dataclass(frozen=True)
class RateCell:
    """Rate ratio of a count table cell against its baseline (true values; see ``published``)."""

    row: int | None
    period: str
    ratio: float | None
    low: float | None
    high: float | None
    expected: float | None
    published: bool
    reason: str


@dataclass(frozen=True)
class AreaShade:
    """An area (LSOA) touching the school's buffer, with its 12-month count and shade."""

    code: str
    name: str
    shade: int | None


@dataclass(frozen=True)
class Tension:
    """The tension level, how it was reached and any live analyst override."""

    level: str
    computed_level: str
    points: int
    reasons: tuple[str, ...]
    override: TensionOverride | None


@dataclass(frozen=True)
class NoticeView:
    """A live notice as one school sees it."""

    notice: Notice
    acknowledged_at: pd.Timestamp | None


@dataclass(frozen=True)
class Change:
    """One thing that changed since the previous briefing (published values only)."""

    what: str
    before: str
    after: str


@dataclass(frozen=True)
class IncidentPoint:
    """An incident in the area (analyst tier only)."""

    incident_id: int
    category: str
    occurred_at: pd.Timestamp
    has_time: bool
    easting: float
    northing: float


@dataclass(frozen=True)
class Briefing:
    """A school's community-tension briefing at ``as_of``.

    Build it with :func:`geo_risk.briefing.brief_school` or :func:`~geo_risk.briefing.brief_all`;
    serialise it with :meth:`to_dict` / :meth:`to_json` for one tier.
    """

    urn: str
    school_name: str
    phase: str
    school_point: EastNorth
    as_of: pd.Timestamp
    policy_version: str
    buffer_m: float
    area_level: str
    areas: tuple[AreaShade, ...]
    periods: Periods
    rows: tuple[RowKey, ...]
    counts: ProtectedTable
    rates: tuple[RateCell, ...]
    area_table: Protected
    trend: Trend
    tension: Tension
    conflicts: tuple[Conflict, ...]
    notices: tuple[NoticeView, ...]
    changes: tuple[Change, ...]
    notes: tuple[str, ...]
    incident_points: tuple[IncidentPoint, ...] | None = None

    # ------------------------------------------------------------------ table layouts
    # area_table cells: one per area (12-month count), then the area total. The chart's months
    # are cells of the count table's protected vector (``trend``), protected with it.

    def _area_cell(self, k: int) -> int:
        return k

    @property
    def _area_total_cell(self) -> int:
        return len(self.areas)

    def _column_exists(self, c: int) -> bool:
        return any(self.counts.layout.index[r][c] is not None for r in range(self.counts.layout.n_rows))

    # ------------------------------------------------------------------ serialisation

    def to_dict(self, tier: Tier = "school") -> dict[str, Any]:
        """The briefing as plain JSON-ready data for ``tier`` (default: the school-user tier).

        The full (analyst) data is built once and projected for ``tier`` by
        :data:`geo_risk.tiers.BRIEFING`: the school tier keeps published values only (no true
        counts, no rule points, no grades or link ids, no coordinates) and only the conflicts
        and places disclosure control lets a school see.
        """
        if tier not in ("school", "analyst"):
            msg = f"tier must be 'school' or 'analyst', got {tier!r}"
            raise ValidationError(msg)
        out = tiers.project("briefing", tier, self._full(tier))
        if tier == "school":
            check_school_payload(out)
        return out

    def _full(self, tier: str) -> dict[str, Any]:
        """Everything the analyst tier holds (``tier`` names the tier it is being projected for)."""
        threshold = self.counts.protected.threshold
        columns = [p.key for p in self.periods.all]
        count_rows = []
        for r, key in enumerate(self.rows):
            cells = {col: self.counts.cell(r, c) for c, col in enumerate(columns)}
            count_rows.append({"category": key.category, "resolution": key.resolution, "cells": cells})
        prot = self.counts.protected
        month_only_total = self.trend.month_only_total
        counts: dict[str, Any] = {
            "columns": columns,
            "rows": count_rows,
            "total": {
                col: self.counts.total(c) if self._column_exists(c) else disclosure_na for c, col in enumerate(columns)
            },
            # the month-only rows' total, which the chart's months add up to
            "month_only_total": {
                col: disclosure_na if month_only_total[c] is None else prot.shown(month_only_total[c])
                for c, col in enumerate(columns)
            },
        }
        rates = []
        raw_rates = []
        for cell in self.rates:
            entry: dict[str, Any] = {
                "category": "All categories" if cell.row is None else self.rows[cell.row].category,
                "resolution": "all" if cell.row is None else self.rows[cell.row].resolution,
                "window": cell.period,
            }
            values = {"ratio": _num(cell.ratio, 2), "low": _num(cell.low, 2), "high": _num(cell.high, 2),
                      "expected": _num(cell.expected, 1)}
            raw_rates.append(entry | values)
            if cell.published:
                entry.update(values, status="shown")
            else:
                entry.update(dict.fromkeys(values), status="suppressed")
            entry["reason"] = cell.reason if cell.reason and not cell.published else None
            rates.append(entry)
        areas = []
        for k, area in enumerate(self.areas):
            i = self._area_cell(k)
            shown = self.area_table.is_published(i)
            areas.append(
                {
                    "code": area.code,
                    "name": area.name,
                    "count_12m": self.area_table.shown(i),
                    "shade": area.shade if shown else None,
                }
            )
        trend = {
            "records": "month only",
            "buffer_m": self.buffer_m,
            "months": list(self.trend.months),
            "all": [prot.shown(i) for i in self.trend.all_cells],
            "partial": list(self.trend.partial),
            "area_total_12m": self.area_table.shown(self._area_total_cell),
        }
        override = self.tension.override
        tension: dict[str, Any] = {
            "level": self.tension.level,
            "computed_level": self.tension.computed_level,
            "points": self.tension.points,
            "reasons": list(self.tension.reasons),
            "source": "analyst override" if override is not None else "policy rule",
            "override": None,
        }
        if override is not None:
            tension["override"] = {
                "level": override.level,
                "reason": override.reason,
                "set_at": _iso(override.set_at),
                "expires_at": _iso(override.expires_at),
                "set_by": override.set_by,
            }
        conflicts = []
        for conflict in self.conflicts:
            conflicts.append({
                "parties": list(conflict.parties),
                "basis": conflict.basis,
                "evidence_last_seen": _month(conflict.evidence_last_seen),
                "recency": conflict.recency,
                "evidence": "not yet verified" if conflict.weight < 1.0 else "graded",
                "places": [
                    {
                        "group": p.group,
                        "kind": p.kind.replace("_", " "),
                        "area_code": p.area_code,
                        "area_name": p.area_name,
                        "last_seen": _month(p.last_seen),
                        "sources": p.sources,
                        "shown_to_school": p.shown,
                    }
                    for p in conflict.summaries
                ],
                "shown_to_school": conflict.shown_to_school,
                "withheld": conflict.withheld or None,
                "evidence_age_days": conflict.evidence_age_days,
                "best_grade": conflict.best_grade,
                "counts_as": conflict.weight,
                "link_ids": list(conflict.link_ids),
                "place_records": [
                    {
                        "group": place.group,
                        "kind": place.kind.replace("_", " "),
                        "area_code": place.area_code,
                        "area_name": place.area_name,
                        "last_seen": _month(place.last_seen),
                        "place_id": place.place_id,
                        "easting": round(place.easting, 1),
                        "northing": round(place.northing, 1),
                    }
                    for place in conflict.places
                ],
            })
        notices = []
        for view in self.notices:
            n = view.notice
            notices.append(
                {
                    "notice_id": n.notice_id,
                    "title": n.title,
                    "what_happened": n.what_happened,
                    "what_to_do": n.what_to_do,
                    "contact": n.contact,
                    "valid_from": _iso(n.valid_from),
                    "valid_to": _iso(n.valid_to),
                    "acknowledged": view.acknowledged_at is not None,
                    "acknowledged_at": _iso(view.acknowledged_at) if view.acknowledged_at is not None else None,
                }
            )
        periods = [
            {
                "key": p.key,
                "label": p.label,
                "covers": p.describe(),
                "months": list(p.months),
                "dated_from": _iso(p.dated_start) if p.dated_start is not None else None,
                "dated_before": _iso(p.dated_end) if p.dated_end is not None else None,
            }
            for p in self.periods.all
        ]
        out: dict[str, Any] = {
            "schema": SCHEMA,
            "tier": tier,
            "school": {"urn": self.urn, "name": self.school_name, "phase": self.phase},
            "as_of": _iso(self.as_of),
            "policy_version": self.policy_version,
            "area": {
                "buffer_m": self.buffer_m,
                "level": self.area_level,
                "areas": areas,
            },
            "tension": tension,
            "periods": periods,
            "counts": counts,
            "rate_ratios": rates,
            "trend": trend,
            "conflicts": conflicts,
            "notices": notices,
            "changes": [{"what": c.what, "before": c.before, "after": c.after} for c in self.changes],
            "notes": list(self.notes),
            "disclosure": {
                "small_counts": f"Counts of 1 to {threshold - 1} are shown as '{primary_mark(threshold)}'",
                "complementary": "'[c]' hides a further count (5 or more) so that no small count can be worked out",
                "withheld": "'[x]' withholds a count (1 or more) that could otherwise be worked out",
                "rates": "Rates are shown only when the counts they come from are shown",
                "locations": "School briefings show areas, never the places of incidents",
            },
            "raw": {
                "counts": [
                    [self.counts.value(r, c) for c in range(len(columns))] for r in range(len(self.rows))
                ],
                "totals": [prot.values[i] for i in self.counts.layout.total_row[: len(columns)]],
                "areas_12m": [self.area_table.values[self._area_cell(k)] for k in range(len(self.areas))],
                "month_only_totals": [None if i is None else prot.values[i] for i in month_only_total],
                "trend_all": [prot.values[i] for i in self.trend.all_cells],
                "rate_ratios": raw_rates,
            },
            "school_location": {"easting": self.school_point.easting, "northing": self.school_point.northing},
        }
        if self.incident_points is not None:
            out["incidents"] = [
                {
                    "incident_id": p.incident_id,
                    "category": p.category,
                    "occurred_at": _iso(p.occurred_at),
                    "has_time": p.has_time,
                    "easting": round(p.easting, 1),
                    "northing": round(p.northing, 1),
                }
                for p in self.incident_points
            ]
        return out

    def to_json(self, tier: Tier = "school", *, indent: int | None = 2) -> str:
        """Stable JSON (sorted keys) for ``tier``."""
        return json.dumps(self.to_dict(tier), sort_keys=True, indent=indent, ensure_ascii=False)


def _num(value: float | None, digits: int) -> float | str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if math.isinf(value):
        return "inf"
    return round(float(value), digits)


def _iso(ts: pd.Timestamp | None) -> str | None:
    if ts is None or pd.isna(ts):
        return None
    ts = pd.Timestamp(ts)
    if ts == ts.normalize():
        return ts.date().isoformat()
    return ts.isoformat(timespec="minutes")


def _month(ts: pd.Timestamp | None) -> str | None:
    if ts is None or pd.isna(ts):
        return None
    ts = pd.Timestamp(ts)
    return f"{ts.year:04d}-{ts.month:02d}"


def diff_published(previous: Mapping[str, Any], current: Mapping[str, Any]) -> tuple[Change, ...]:
    """What changed between two school-tier briefing dicts, in published values only."""
    changes: list[Change] = []
    if previous.get("school", {}).get("urn") != current.get("school", {}).get("urn"):
        msg = "the previous briefing is for another school"
        raise ValidationError(msg)
    before, after = previous["tension"]["level"], current["tension"]["level"]
    if before != after:
        changes.append(Change("tension level", before, after))
    prev_rows = {(r["category"], r["resolution"]): r["cells"] for r in previous["counts"]["rows"]}
    windows = [c for c in current["counts"]["columns"] if c != "baseline"]
    labels = {p["key"]: p["label"] for p in current["periods"]}
    for row in current["counts"]["rows"]:
        old = prev_rows.get((row["category"], row["resolution"]), {})
        for col in windows:
            a, b = old.get(col, "0"), row["cells"].get(col, "0")
            if a != b:
                changes.append(Change(f"{row['category']} ({row['resolution']}), {labels.get(col, col)}", a, b))
    prev_total = previous["counts"]["total"]
    for col in windows:
        a, b = prev_total.get(col, "0"), current["counts"]["total"].get(col, "0")
        if a != b:
            changes.append(Change(f"all incidents, {labels.get(col, col)}", a, b))
    old_conf = {" v ".join(c["parties"]) for c in previous["conflicts"]}
    new_conf = {" v ".join(c["parties"]) for c in current["conflicts"]}
    for key in sorted(new_conf - old_conf):
        changes.append(Change(f"conflict {key}", "not shown", "active around the area"))
    for key in sorted(old_conf - new_conf):
        changes.append(Change(f"conflict {key}", "active around the area", "no longer shown"))
    old_notes = {n["notice_id"]: n["title"] for n in previous["notices"]}
    new_notes = {n["notice_id"]: n["title"] for n in current["notices"]}
    for nid in sorted(set(new_notes) - set(old_notes)):
        changes.append(Change(f"notice: {new_notes[nid]}", "none", "new"))
    for nid in sorted(set(old_notes) - set(new_notes)):
        changes.append(Change(f"notice: {old_notes[nid]}", "live", "ended"))
    return tuple(changes)
