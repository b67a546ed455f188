"""Reasons, evidence and confidence for one assessed point.

Two tiers of reasons:

- **analyst**: names the adversaries, exploiters, links and places behind each factor, with
  grades and dates. A home is never named or placed, even here ("a place not displayed").
- **housing**: names no other person, group, link or piece of intelligence, gives
  distances rounded up to the policy's step (``probing.distance_step_m``, 500 m), e.g. "Within
  500 m of an area associated with a group in active conflict with this young person.", and the area's incident level in words
  ("among the busiest quarter, compared with the residential addresses ..."), never its
  percentile: no continuous number reaches the housing tier. The only other numbers are the
  dates of a retaliation window's end and of an unverified concern's "verify by".

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
from geo_risk.scoring.assessment import Freshness, round_up_m
from geo_risk.wording import LINK_WORDS, PLACE_WORDS

NOTICE = 0.05  # components below this are not explained (and do not drive confidence)
SHARE = 0.05  # owners and places giving less than this share of a component are not listed
TOP = 3

_ROUTE_TEXT = MappingProxyType({
    "direct": "direct conflict",
    "group": "conflict with the young person's peer group or its members",
    "associate": "conflict of a close associate",
    "retaliation": "retaliation window after a new incident involving the young person's own peer group",
})
CONSULT = ("Consult the analyst before placing here: information held about risks specific to this young person"
           " applies to this address.")
CANNOT = "Cannot assess: outside the data's coverage."
NOTHING_KNOWN = ("No conflict or exploitation risk specific to this young person is known near this address;"
                 " this reflects the information held, not a guarantee.")
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
    consult: Any  # ConsultPlaces | None
    retaliation: ExposureField | None
    retaliation_owners: tuple[Any, ...]
    retaliation_until: tuple[str, ...]
    trusted: Any  # field name -> per-place mask: place, membership link and owner's path all verified


def trusted_places(field: ExposureField, owners: tuple[Any, ...], network: Any, places: Any,
                   unverified_grades: Any) -> np.ndarray:
    """For each place of ``field``: its own grade, the membership link it came through and every link
    on its owner's path are verified (not in ``unverified_grades``, and graded at all)."""
    bad = np.isin(np.asarray(GRADES), list(unverified_grades))

    def ok_grade(codes: np.ndarray) -> np.ndarray:
        codes = np.asarray(codes, dtype=np.int64)
        return (codes >= 0) & ~bad[np.clip(codes, 0, len(GRADES) - 1)]

    if not len(field.rows):
        return np.zeros(0, dtype=bool)
    link_ok = ok_grade(network.evidence.grade).tolist()  # by link row, once
    row_of = network.row_of

    def ok_links(ids: Any) -> bool:
        return all(link_ok[row_of[i]] for i in ids)

    owner_ok = np.array([ok_links(o.path) for o in owners], dtype=bool)
    via = np.asarray(field.via, dtype=object)
    via_ok = np.ones(len(via), dtype=bool)
    for v in {str(x) for x in via if x}:
        via_ok[via == v] = ok_links((v,))
    return owner_ok[field.owner] & ok_grade(places.evidence.grade[field.rows]) & via_ok


@dataclass(frozen=True)
class PointView:
    """What the explainer needs to know about one scored point."""

    index: int
    xy: tuple[float, float]
    values: dict[str, float]
    percentile: float
    lifted: tuple[str, ...]
    band: str
    area_band: str = ""
    child_band: str = ""
    consult: tuple[int, ...] = ()  # indices into the context's consult places within the policy's distance
    covered: bool = True


@dataclass(frozen=True)
class Explained:
    analyst: tuple[str, ...]
    housing: tuple[str, ...]
    evidence: tuple[str, ...]
    confidence: str
    flags: tuple[str, ...] = ()


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


def explain(ctx: ExplainContext, point: PointView, cv: FieldValues, xv: FieldValues, sv: FieldValues,
            rv: FieldValues | None = None) -> Explained:
    """Reasons in two tiers, evidence ids, flags and confidence for one point.

    The housing reasons never contradict each other: "nothing known" is said only when no
    child-specific reason, no consult and no exploitation site is; a point outside the data's
    coverage gets that one reason and nothing about the area or the network.
    """
    k = point.index
    sp = ctx.policy.scoring
    places = ctx.snapshot.places
    network = ctx.snapshot.network
    t = timestamp_days(ctx.as_of)
    unverified = np.isin(np.asarray(GRADES), list(sp.unverified_grades))  # by grade code
    step_m = ctx.policy.probing.distance_step_m

    def _coarse(distance_m: float) -> int | None:
        return round_up_m(distance_m, step_m)

    if not point.covered:
        coverage = ctx.snapshot.coverage
        where = coverage.description if coverage is not None else "the data loaded"
        text = (f"{CANNOT} This address is outside the area the incident and network data cover ({where}), so it"
                " cannot be banded: this is not a low risk. Ask the analyst, or check that the right data are loaded.")
        return Explained((text,), (text,), (), "low")

    def link_text(link_id: str) -> str:
        row = network.row_of[link_id]
        ev = network.evidence
        seen = days_to_iso(ev.last_seen[row]) or "undated"
        kind = LINK_WORDS.get(str(network.link_type[row]), str(network.link_type[row]))
        return f"link {link_id} ({kind}, evidence grade {GRADES[int(ev.grade[row])]}, last seen {seen})"

    def place_text(row: int) -> str:
        if places.kind[row] == "home":
            return "a place not displayed"
        ev = places.evidence
        seen = days_to_iso(ev.last_seen[row]) or "undated"
        kind = PLACE_WORDS.get(str(places.kind[row]), str(places.kind[row]))
        return f"place {places.place_ids[row]} ({kind}, evidence grade {GRADES[int(ev.grade[row])]}, last seen {seen})"

    def grade_unverified(grade_code: int) -> bool:
        return grade_code < 0 or bool(unverified[grade_code])

    def path_verified(path: tuple[str, ...]) -> bool:
        return not any(grade_unverified(int(network.evidence.grade[network.row_of[lid]])) for lid in path)

    def verified_share(name: str, fv: FieldValues) -> float:
        """Share of the exposure at point k whose place, membership link and path are all verified."""
        j, c = pair_slice(fv, k)
        total = float(c.sum())
        if total <= 0:
            return 1.0
        return float(c[ctx.trusted[name][j]].sum()) / total

    analyst: list[str] = []
    housing: list[str] = []
    links: set[str] = set()
    place_rows: set[int] = set()
    child_specific = False
    weak: list[str] = []  # which child-specific concerns rest mostly on unverified evidence

    # -- consult the analyst: an adversary's or exploiter's home or regular place is near
    consult = ctx.consult
    if point.consult and consult is not None:
        child_specific = True
        owners = sorted({int(consult.owner[i]) for i in point.consult})
        verified_any = False
        analyst.append(
            f"Consult the analyst: within the policy's {sp.consult_distance_m:.0f} m of a home or regular place of"
            f" {len(owners)} adversary or exploiter(s); the housing tier is told only to consult the analyst."
        )
        for m in owners[:TOP]:
            who = consult.owners[m]
            rows = [int(consult.rows[i]) for i in point.consult if int(consult.owner[i]) == m]
            kinds = sorted({"home (not displayed)" if places.kind[r] == "home" else str(places.kind[r]) for r in rows})
            grades = "".join(sorted({GRADES[int(places.evidence.grade[r])] for r in rows}))
            route = _ROUTE_TEXT.get(getattr(who, "route", ""), "exploitation")
            path = " > ".join(link_text(lid) for lid in who.path)
            analyst.append(f"  {who.entity_kind} {who.key} ({route}; {path}): {', '.join(kinds)}, grade {grades}.")
            links.update(who.path)
            place_rows.update(r for r in rows if places.kind[r] != "home")
            if path_verified(who.path) and any(not grade_unverified(int(places.evidence.grade[r])) for r in rows):
                verified_any = True
        if not verified_any:
            weak.append("consult")
        housing.append(CONSULT)

    # -- conflict (adversaries' activity spaces, and a retaliation window)
    value = point.values["conflict_exposure"]
    retaliating = rv is not None and float(rv.total[k]) > 0 and ctx.retaliation_owners
    if value >= NOTICE and (ctx.exposure.adversaries or retaliating):
        child_specific = True
        total = float(cv.total[k]) + (float(rv.total[k]) if rv is not None else 0.0)
        analyst.append(f"Conflict exposure {value:.2f} (raw {total:.3f}); its band alone: {_band_of(value, sp)}.")
        nearest_m = np.inf
        shares = []
        if ctx.exposure.adversaries and cv.total[k] > 0:
            who = _contributors(ctx.conflict, cv, k, ctx.exposure.adversaries)
            links |= who.link_ids
            place_rows |= who.place_rows
            for adv, share in who.owners:
                path = " > ".join(link_text(lid) for lid in adv.path)
                analyst.append(
                    f"  {share * cv.total[k] / total:.0%} from {adv.entity_kind} {adv.key} ({_ROUTE_TEXT[adv.route]},"
                    f" weight {adv.weight:.2f}; {path})."
                )
            if who.nearest_owner is not None:
                analyst.append(
                    f"  Nearest adversary place: {place_text(who.nearest_row)}, {who.nearest_m:.0f} m away, of"
                    f" {who.nearest_owner.entity_kind} {who.nearest_owner.key}."
                )
                nearest_m = who.nearest_m
            top = who.owners[0][0] if who.owners else who.nearest_owner
            party = "a group" if top.entity_kind == "group" else "people"
            relation = (
                "in active conflict with this young person"
                if top.route == "direct"
                else "in conflict with people close to this young person"
            )
            housing.append(f"Within {_coarse(nearest_m)} m of an area associated with {party} {relation}.")
            shares.append((float(cv.total[k]), verified_share("conflict", cv)))
        if retaliating:
            who = _contributors(ctx.retaliation, rv, k, ctx.retaliation_owners)
            links |= who.link_ids
            place_rows |= who.place_rows
            until = max(ctx.retaliation_until)
            for adv, share in who.owners:
                analyst.append(
                    f"  {share * rv.total[k] / total:.0%} from the places of {adv.entity_kind} {adv.key}"
                    f" ({_ROUTE_TEXT['retaliation']}, until {until}; weight {adv.weight:.2f})."
                )
            housing.append(
                f"Within {_coarse(float(rv.nearest_m[k]))} m of an area where retaliation against this young"
                f" person's peer group may follow a recent serious incident (until {until})."
            )
            shares.append((float(rv.total[k]), verified_share("retaliation", rv)))
        weight = sum(w for w, _ in shares)
        if weight > 0 and sum(w * v for w, v in shares) / weight < 0.5:
            weak.append("conflict")

    # -- exploitation
    value = point.values["exploitation_exposure"]
    if value >= NOTICE and ctx.exposure.exploiters:
        child_specific = True
        who = _contributors(ctx.exploitation, xv, k, ctx.exposure.exploiters)
        links |= who.link_ids
        place_rows |= who.place_rows
        analyst.append(
            f"Exploitation exposure {value:.2f} (raw {xv.total[k]:.3f}); its band alone: {_band_of(value, sp)}."
        )
        for exp, share in who.owners:
            path = " > ".join(link_text(lid) for lid in exp.path)
            analyst.append(f"  {share:.0%} from {exp.entity_kind} {exp.key} (weight {exp.weight:.2f}; {path}).")
        if who.nearest_owner is not None:
            analyst.append(
                f"  Nearest exploiter place: {place_text(who.nearest_row)}, {who.nearest_m:.0f} m away, of"
                f" {who.nearest_owner.entity_kind} {who.nearest_owner.key}."
            )
        housing.append(
            f"Within {_coarse(who.nearest_m)} m of an area associated with people who may seek to exploit"
            " this young person."
        )
        if verified_share("exploitation", xv) < 0.5:
            weak.append("exploitation")

    # -- other exploitation sites
    value = point.values["exploitation_site_proximity"]
    site = value >= NOTICE
    if site:
        j, c = pair_slice(sv, k)
        order = np.lexsort((j, -c))[:TOP]
        analyst.append(f"Proximity to exploitation sites {value:.2f} (raw {sv.total[k]:.3f}); at least Medium.")
        for m in order:
            row = int(ctx.sites.rows[j[m]])
            d = float(np.hypot(*(places.xy[row] - np.asarray(point.xy))))
            analyst.append(f"  Exploitation site {place_text(row)}, {d:.0f} m away.")
        place_rows |= {int(r) for r in ctx.sites.rows[j[c >= SHARE * sv.total[k]]]}
        housing.append(
            f"Within {_coarse(float(sv.nearest_m[k]))} m of a place associated with the exploitation of"
            " young people (not known to be linked to this young person's own network), so at least Medium."
        )

    # -- area
    pct = point.percentile
    source = ctx.snapshot.surface_fingerprint
    latest = ctx.freshness.latest_incident
    reference = ctx.snapshot.area_reference
    count = getattr(ctx.snapshot.surface, "values", ())
    detail = f"surface {source[:12]}, " if source else ""
    detail += f"{len(count):,} addresses, " if len(count) else ""
    model = getattr(ctx.snapshot.surface, "surface", ctx.snapshot.surface)
    side = getattr(model, "cell_m", None)
    quantity = (f"Area forecast (incidents expected next month in the {side:g} m square)" if side
                else "Area intensity")
    analyst.append(
        f"{quantity} at the {_ordinal(round(pct))} percentile of {reference} ({detail}latest incident {latest or 'none'},"
        f" {ctx.incidents_in_horizon} incidents in the horizon); area band {point.area_band}."
    )
    housing.append(f"Recorded incidents around this address: {area_words(pct)}, compared with {reference}.")

    # -- how the band was reached
    housing.append(
        f"Band {point.band}: the worse of the risk specific to this young person here ({point.child_band}) and the"
        f" area's incident level ({point.area_band})" + (", raised to at least Medium by the exploitation site nearby."
                                                          if site and point.band != point.area_band
                                                          and point.band != point.child_band else ".")
    )
    analyst.append(housing[-1])
    if not child_specific and not site:
        housing.append(NOTHING_KNOWN)

    # -- unverified concerns: a visible flag and a date, never a smaller risk
    flags: list[str] = []
    if weak:
        due = days_to_iso(t + float(sp.verify_within_days)) or ""
        flags.append(f"Unverified concern: verify by {due[:10]}.")
        analyst.append(
            f"Unverified concern ({', '.join(weak)}): it rests mostly on evidence graded"
            f" {', '.join(sp.unverified_grades)}, weighed as if confirmed; verify by {due[:10]}."
        )
        housing.insert(0, f"Unverified concern: verify by {due[:10]}. Information about a risk to this young person"
                          " here has not been checked yet; it is counted as if true until it is.")

    confidence = _confidence(ctx, links, place_rows, child_specific, t, bool(weak))
    evidence = sorted(links) + sorted(
        str(places.place_ids[r]) for r in place_rows if places.kind[r] != "home"
    )
    return Explained(tuple(analyst), tuple(housing), tuple(evidence), confidence, tuple(flags))


def _ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th ... 11th, 12th, 13th ... 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _band_of(value: float, sp: Any) -> str:
    """The child-specific band of one exposure value alone."""
    idx = int(np.searchsorted(np.asarray(sp.child_band_edges, dtype=float), value, side="right"))
    return str(sp.bands[idx])


_AREA_WORDS = (  # (lowest percentile, words), busiest first
    (90.0, "among the busiest tenth"),
    (75.0, "among the busiest quarter"),
    (50.0, "busier than half"),
    (0.0, "quieter than half"),
)


def area_words(percentile: float) -> str:
    """The area-intensity percentile in coarse words for the housing tier (no number)."""
    for lowest, words in _AREA_WORDS:
        if percentile >= lowest:
            return words
    return _AREA_WORDS[-1][1]


def _confidence(ctx: ExplainContext, links: set[str], place_rows: set[int], child_specific: bool, t: float,
                weak: bool = False) -> str:
    """Confidence of one assessment: never "high" when nothing specific is known, low for an unverified concern."""
    sp = ctx.policy.scoring
    if weak:
        return "low"
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
        # Nothing specific known is not evidence of safety: at most medium.
        level = 1
        latest = ctx.latest_incident_days
        if not np.isfinite(latest) or t - latest > float(sp.incident_stale_days):
            level -= 1
        if ctx.incidents_in_horizon < int(sp.confidence_min_incidents):
            level -= 1
    return _CONFIDENCE[max(0, min(2, level))]
