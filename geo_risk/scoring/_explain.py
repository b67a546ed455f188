"""Reasons, evidence and confidence for one assessed point.

Two tiers of reasons:

- **analyst**: names the adversaries, exploiters, links and places behind each factor, with
  grades and dates. A home is never named or placed, even here ("a place not displayed").
- **housing**: names no other person, group, link or piece of intelligence, gives
  distances rounded up to the next 100 m, e.g. "Within 300 m of an area associated with a
  group in active conflict with this young person.", and the area's incident level in words
  ("among the busiest quarter of the area covered"), never its percentile: no continuous
  number reaches the housing tier.

Every "nearest" distance and "within X m" wording is measured to non-home places only:
homes are never part of an activity field (see :mod:`geo_risk.network.activity`), so no
distance here can be used to locate anyone's home.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Protocol

import numpy as np
import pandas as pd

from geo_risk.config import Policy
from geo_risk.contract import GRADES
from geo_risk.network import ExposureField, FieldValues
from geo_risk.network._time import days_to_iso, timestamp_days
from geo_risk.network.exposure import Exposure
from geo_risk.scoring.assessment import Freshness, _up_to_100

NOTICE = 0.05  # components below this are not explained (and do not drive confidence)
SHARE = 0.05  # owners and places giving less than this share of a component are not listed
TOP = 3

_ROUTE_TEXT = MappingProxyType({
    "direct": "direct conflict",
    "group": "conflict with the young person's peer group or its members",
    "associate": "conflict of a close associate",
})
_CONFIDENCE = ("low", "medium", "high")


class ExplainContext(Protocol):
    """What the explainer reads of one young person's scoring context
    (:class:`geo_risk.scoring.context.ScoringContext` is one)."""

    snapshot: Any  # network, places, surface_fingerprint
    as_of: pd.Timestamp
    policy: Policy
    exposure: Exposure
    conflict: ExposureField
    exploitation: ExposureField
    sites: ExposureField
    freshness: Freshness
    incidents_in_horizon: int
    latest_incident_days: float
    knows_network: bool


@dataclass(frozen=True)
class PointView:
    """What the explainer needs to know about one scored point."""

    index: int
    xy: tuple[float, float]
    values: dict[str, float]
    percentile: float
    lifted: tuple[str, ...]
    band: str


@dataclass(frozen=True)
class Explained:
    analyst: tuple[str, ...]
    housing: tuple[str, ...]
    evidence: tuple[str, ...]
    confidence: str


def pair_slice(values: FieldValues, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Field-place indices and contributions for point ``k`` (pairs are sorted by point)."""
    i, j, c = values.pairs
    lo, hi = np.searchsorted(i, k, side="left"), np.searchsorted(i, k, side="right")
    return j[lo:hi], c[lo:hi]


@dataclass(frozen=True)
class _Contributors:
    owners: list[tuple[Any, float]]  # (Adversary | Exploiter, share), strongest first, top few
    link_ids: set[str]
    place_rows: set[int]
    nearest_row: int
    nearest_m: float
    nearest_owner: Any


def _contributors(field: ExposureField, fv: FieldValues, k: int, owner_objs: tuple[Any, ...]) -> _Contributors:
    j, c = pair_slice(fv, k)
    total = float(fv.total[k])
    significant = c >= SHARE * total if total > 0 else np.zeros(len(c), dtype=bool)
    place_rows = {int(r) for r in field.rows[j[significant]]}
    link_ids = {str(v) for v in field.via[j[significant]] if v}
    shares = fv.by_owner[k] / total if total > 0 else np.zeros(len(owner_objs))
    strong = np.flatnonzero(shares >= SHARE)
    strong = strong[np.lexsort((strong, -shares[strong]))]  # largest share first, ties by owner order
    owners = []
    for m in strong.tolist():
        link_ids.update(owner_objs[m].path)
        if len(owners) < TOP:
            owners.append((owner_objs[m], float(shares[m])))
    nearest = int(fv.nearest[k])
    return _Contributors(
        owners=owners,
        link_ids=link_ids,
        place_rows=place_rows,
        nearest_row=int(field.rows[nearest]) if nearest >= 0 else -1,
        nearest_m=float(fv.nearest_m[k]),
        nearest_owner=owner_objs[int(field.owner[nearest])] if nearest >= 0 else None,
    )


def explain(ctx: ExplainContext, point: PointView, cv: FieldValues, xv: FieldValues, sv: FieldValues) -> Explained:
    """Reasons in two tiers, evidence ids and confidence for one point."""
    k = point.index
    sp = ctx.policy.scoring
    places = ctx.snapshot.places
    network = ctx.snapshot.network
    t = timestamp_days(ctx.as_of)

    def link_text(link_id: str) -> str:
        row = network.row_of[link_id]
        ev = network.evidence
        seen = days_to_iso(ev.last_seen[row]) or "undated"
        return f"{link_id} [{network.link_type[row]}, grade {GRADES[int(ev.grade[row])]}, last seen {seen}]"

    def place_text(row: int) -> str:
        if places.kind[row] == "home":
            return "a place not displayed"
        ev = places.evidence
        seen = days_to_iso(ev.last_seen[row]) or "undated"
        return f"{places.place_ids[row]} [{places.kind[row]}, grade {GRADES[int(ev.grade[row])]}, last seen {seen}]"

    analyst: list[str] = []
    housing: list[str] = []
    links: set[str] = set()
    place_rows: set[int] = set()
    child_specific = False

    # -- conflict
    value = point.values["conflict_exposure"]
    if value >= NOTICE and ctx.exposure.adversaries:
        child_specific = True
        who = _contributors(ctx.conflict, cv, k, ctx.exposure.adversaries)
        links |= who.link_ids
        place_rows |= who.place_rows
        lift = (
            f"; at or above the lift threshold {sp.conflict_lift_threshold:.2f}, so the band is at least High"
            if "conflict_exposure" in point.lifted
            else ""
        )
        analyst.append(f"Conflict exposure {value:.2f} (raw {cv.total[k]:.3f}){lift}.")
        for adv, share in who.owners:
            path = " > ".join(link_text(lid) for lid in adv.path)
            analyst.append(
                f"  {share:.0%} from {adv.entity_kind} {adv.key} ({_ROUTE_TEXT[adv.route]}, weight {adv.weight:.2f};"
                f" {path})."
            )
        if who.nearest_owner is not None:
            analyst.append(
                f"  Nearest adversary place: {place_text(who.nearest_row)}, {who.nearest_m:.0f} m away, of"
                f" {who.nearest_owner.entity_kind} {who.nearest_owner.key}."
            )
        top = who.owners[0][0] if who.owners else who.nearest_owner
        party = "a group" if top.entity_kind == "group" else "people"
        relation = (
            "in active conflict with this young person"
            if top.route == "direct"
            else "in conflict with people close to this young person"
        )
        housing.append(f"Within {_up_to_100(who.nearest_m)} m of an area associated with {party} {relation}.")

    # -- exploitation
    value = point.values["exploitation_exposure"]
    if value >= NOTICE and ctx.exposure.exploiters:
        child_specific = True
        who = _contributors(ctx.exploitation, xv, k, ctx.exposure.exploiters)
        links |= who.link_ids
        place_rows |= who.place_rows
        lift = (
            f"; at or above the lift threshold {sp.exploitation_lift_threshold:.2f}, so the band is at least High"
            if "exploitation_exposure" in point.lifted
            else ""
        )
        analyst.append(f"Exploitation exposure {value:.2f} (raw {xv.total[k]:.3f}){lift}.")
        for exp, share in who.owners:
            path = " > ".join(link_text(lid) for lid in exp.path)
            analyst.append(f"  {share:.0%} from {exp.entity_kind} {exp.key} (weight {exp.weight:.2f}; {path}).")
        if who.nearest_owner is not None:
            analyst.append(
                f"  Nearest exploiter place: {place_text(who.nearest_row)}, {who.nearest_m:.0f} m away, of"
                f" {who.nearest_owner.entity_kind} {who.nearest_owner.key}."
            )
        housing.append(
            f"Within {_up_to_100(who.nearest_m)} m of an area associated with people who may seek to exploit"
            " this young person."
        )

    # -- other exploitation sites
    value = point.values["exploitation_site_proximity"]
    if value >= NOTICE:
        j, c = pair_slice(sv, k)
        order = np.lexsort((j, -c))[:TOP]
        analyst.append(f"Proximity to exploitation sites {value:.2f} (raw {sv.total[k]:.3f}).")
        for m in order:
            row = int(ctx.sites.rows[j[m]])
            d = float(np.hypot(*(places.xy[row] - np.asarray(point.xy))))
            analyst.append(f"  Exploitation site {place_text(row)}, {d:.0f} m away.")
        place_rows |= {int(r) for r in ctx.sites.rows[j[c >= SHARE * sv.total[k]]]}
        housing.append(
            f"Within {_up_to_100(float(sv.nearest_m[k]))} m of a place associated with the exploitation of"
            " young people."
        )

    # -- area
    pct = point.percentile
    source = ctx.snapshot.surface_fingerprint
    latest = ctx.freshness.latest_incident
    detail = f"surface {source[:12]}, " if source else ""
    analyst.append(
        f"Area intensity at the {pct:.0f}th citywide percentile ({detail}latest incident {latest or 'none'},"
        f" {ctx.incidents_in_horizon} incidents in the horizon)."
    )
    housing.append(f"Recorded incidents around this address: {area_words(pct)}.")

    if point.lifted:
        housing.append(
            "Rated at least High because of risks specific to this young person, whatever the level of"
            " incidents in the area."
        )
    if not child_specific:
        housing.append(
            "No conflict or exploitation risk specific to this young person is known near this address;"
            " this reflects the information held, not a guarantee."
        )

    confidence = _confidence(ctx, links, place_rows, child_specific, t)
    evidence = sorted(links) + sorted(
        str(places.place_ids[r]) for r in place_rows if places.kind[r] != "home"
    )
    return Explained(tuple(analyst), tuple(housing), tuple(evidence), confidence)


_AREA_WORDS = (  # (lowest percentile, words), busiest first
    (90.0, "among the busiest tenth of the area covered"),
    (75.0, "among the busiest quarter of the area covered"),
    (50.0, "busier than half of the area covered"),
    (0.0, "quieter than half of the area covered"),
)


def area_words(percentile: float) -> str:
    """The area-intensity percentile in coarse words for the housing tier (no number)."""
    for lowest, words in _AREA_WORDS:
        if percentile >= lowest:
            return words
    return _AREA_WORDS[-1][1]


def _confidence(ctx: ExplainContext, links: set[str], place_rows: set[int], child_specific: bool, t: float) -> str:
    sp = ctx.policy.scoring
    if child_specific and links:
        network = ctx.snapshot.network
        rows = np.array([network.row_of[lid] for lid in links], dtype=np.int64)
        best = int(network.evidence.grade[rows].min())
        level = 2 if best <= 1 else (1 if best == 2 else 0)
        newest = float(np.nanmax(network.evidence.last_seen[rows])) if len(rows) else np.nan
        if not np.isfinite(newest) or t - newest > float(sp.confidence_stale_days):
            level -= 1
        if len(links) + len(place_rows) < 3:
            level -= 1
    else:
        level = 2
        latest = ctx.latest_incident_days
        if not np.isfinite(latest) or t - latest > float(sp.incident_stale_days):
            level -= 1
        if ctx.incidents_in_horizon < int(sp.confidence_min_incidents):
            level -= 1
        if not ctx.knows_network:
            level = min(level, 1)
    return _CONFIDENCE[max(0, min(2, level))]
