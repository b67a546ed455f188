"""How a briefing's count table reads for a head teacher: serious harm first, minor crime last.

Pure presentation of a briefing's published data (:meth:`Briefing.to_dict`): the rows are grouped
(the policy's serious categories, then other incidents that can touch pupils, then property and minor
crime); a column with no value in any row is dropped, and a cell that cannot exist (a month-only record in a 7-day window) is
explained once. Nothing here changes a count or the JSON the ``brief`` command prints.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from geo_risk.briefing.disclosure import NOT_APPLICABLE
from geo_risk.briefing.periods import DATED

# categories that touch pupils directly, after the policy's serious ones (police.uk's names)
CONCERN = ("Drugs", "Public order", "Anti-social behaviour", "Criminal damage and arson", "Theft from the person",
           "Burglary")
GROUPS = ("Violence, weapons and robbery", "Other incidents that can affect pupils", "Property and minor crime")
NOT_APPLICABLE_NOTE = ("n/a: police.uk records give only the month, so they cannot be counted in a 7-day window; "
                       "only records with a date (such as emergency department assault injuries) are")


@dataclass(frozen=True)
class RowGroup:
    """One group of the count table: its heading and rows (as in the briefing's JSON), in reading order."""

    title: str
    rows: tuple[Mapping[str, Any], ...]
    serious: bool


def _rank(category: str, order: Sequence[str]) -> int:
    return order.index(category) if category in order else len(order)


def group_rows(rows: Iterable[Mapping[str, Any]], serious_categories: Sequence[str]) -> tuple[RowGroup, ...]:
    """The count table's rows in three groups (empty groups left out), serious first.

    Within the serious group rows follow the policy's order; within the others, the :data:`CONCERN`
    order, then the rest by name.
    """
    serious = [r for r in rows if r["category"] in serious_categories]
    concern = [r for r in rows if r["category"] in CONCERN and r["category"] not in serious_categories]
    minor = [r for r in rows if r["category"] not in serious_categories and r["category"] not in CONCERN]
    serious.sort(key=lambda r: (_rank(r["category"], serious_categories), r["category"]))
    concern.sort(key=lambda r: (_rank(r["category"], CONCERN), r["category"]))
    minor.sort(key=lambda r: r["category"])
    return tuple(RowGroup(title=t, rows=tuple(g), serious=k == 0)
                 for k, (t, g) in enumerate(zip(GROUPS, (serious, concern, minor), strict=True)) if g)


def shown_columns(counts: Mapping[str, Any]) -> list[str]:
    """The count table's columns that hold a value in some row (a column of "n/a" only is dropped)."""
    return [c for c in counts["columns"] if any(r["cells"][c] != NOT_APPLICABLE for r in counts["rows"])]


def has_not_applicable(counts: Mapping[str, Any], columns: Sequence[str]) -> bool:
    """Whether a shown cell reads "n/a" (then :data:`NOT_APPLICABLE_NOTE` is shown beside the table)."""
    return any(r["cells"][c] == NOT_APPLICABLE for r in counts["rows"] for c in columns)


def has_month_only_row(counts: Mapping[str, Any]) -> bool:
    """Whether the count table shows its month-only records' total as a row of its own: it has dated
    rows too, so its "All categories" row is not what the chart's months add up to."""
    resolutions = {r["resolution"] for r in counts["rows"]}
    return DATED in resolutions and any(v != NOT_APPLICABLE for v in counts.get("month_only_total", {}).values())


def chart_agreement(data: Mapping[str, Any]) -> str:
    """How the chart's months add up to the count table, in one sentence (empty without a chart).

    For example: "The chart counts the same records as the table's month-only rows, within the same
    1,000 m, so the two agree (All categories row): the bar for 2025-02 is the "last 28 days" column;
    the bars for 2024-12 to 2025-02 add up to "last 90 days"; the bars for 2023-12 to 2024-11 add up
    to the comparison period."
    """
    if not data["trend"]["months"]:
        return ""
    parts = []
    for p in data["periods"]:
        months = p["months"]
        if not months:
            continue
        what = "the comparison period" if p["key"] == "baseline" else f"\u201c{p['label']}\u201d"
        if len(months) == 1:
            parts.append(f"the bar for {months[0]} is {what}")
        else:
            parts.append(f"the bars for {months[0]} to {months[-1]} add up to {what}")
    row = "month-only records row" if has_month_only_row(data["counts"]) else "All categories row"
    dated = (" Dated records (such as emergency department injuries) are counted in day windows ending on the briefing's date, "
             "so they are in the table but not the chart.") if any(
        r["resolution"] == DATED for r in data["counts"]["rows"]) else ""
    buffer_m = round(float(data["area"]["buffer_m"]))
    return (f"The chart counts the same records as the table's month-only rows, within the same {buffer_m:,} m, "
            f"so the two agree ({row}): {'; '.join(parts)}.{dated}")
