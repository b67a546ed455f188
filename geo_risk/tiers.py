"""What each audience tier is given of each result, declared once.

A tier is what one kind of user may see: the ``analyst`` everything, the ``housing`` officer
a placement check's bands, ranks and plain words, the ``transport`` officer a route check's
bands and plain words, the ``school`` user a briefing's levels and disclosure-controlled
counts. A user who probes many addresses or walks could triangulate a place from continuous
risk numbers (a score, a factor's value, an exact distance to someone's places), so no tier
below the analyst's carries one.

Each result kind has one projection per tier it may be shown to: a tree of the keys kept, where
a key maps to :data:`KEEP` (the value as it is), :data:`MAYBE` (the same, for a key some results
leave out), a nested projection (a dict), a one-item list holding one (a list of dicts) or a
:class:`Where` (a list of dicts of which the tier is given only the items the result marks
with a flag, e.g. the conflicts disclosure control lets a school see). :func:`project` applies it to the
result's full (analyst) data; a key the projection names that the data lacks is an error, so
a renamed field cannot silently vanish from a tier, and a key it does not name is dropped, so
a new field reaches no tier until it is declared here.

The results' own ``to_dict(audience=...)`` and the service layer's use cases project through
this module; nothing else filters a result's keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

KEEP = True
MAYBE = "maybe"  # kept as it is when the result has it (a key some results leave out)
TIERS = ("analyst", "housing", "transport", "school")  # the school tier is a briefing's

Spec = Mapping[str, Any]


@dataclass(frozen=True)
class Where:
    """A list of dicts a tier is given only the items of whose ``flag`` is true, each through ``spec``
    (the flag itself is kept only if ``spec`` names it)."""

    flag: str
    spec: Spec


def _keep(*names: str, **nested: Any) -> Spec:
    """A projection keeping ``names`` as they are and ``nested`` through their own projections."""
    out: dict[str, Any] = dict.fromkeys(names, KEEP)
    out.update(nested)
    return MappingProxyType(out)


# --------------------------------------------------------------------------- placement check
# A factor: the housing tier gets its name and label (in order of contribution), never its numbers.
_FACTOR = {
    "analyst": _keep("name", "label", "value", "raw", "weight", "contribution", "threshold", "lifts_band"),
    "housing": _keep("name", "label"),
}
_ASSESSMENT_COMMON = ("kind", "child", "point", "as_of", "band", "lifted_by", "reasons", "freshness", "confidence",
                      "policy_version", "inputs_hash", "advisory", "outcome", "flags", "area_band", "child_band")
# One candidate address's assessment. ``point`` is the candidate the user gave; ``reasons`` are the
# plain ones (distances rounded up to the policy's probing.distance_step_m, no one named); ``outcome`` says whether to
# consult the analyst first (naming no place, person or distance) or that the point is outside the
# data's coverage; ``flags`` are warnings such as an unverified concern's "verify by" date; the two
# component bands are coarse words, never numbers.
PLACEMENT_ASSESSMENT = MappingProxyType({
    "analyst": _keep(*_ASSESSMENT_COMMON, "score", "nearest_adversary_m", "nearest_exploiter_m", "reasons_analyst",
                     "evidence", factors=[_FACTOR["analyst"]]),
    "housing": _keep(*_ASSESSMENT_COMMON, factors=[_FACTOR["housing"]]),
})
# A placement check: candidates safest first.
PLACEMENT = MappingProxyType({
    tier: _keep("child", "as_of", "policy_version", "order",
                candidates=[_keep("rank", "label", assessment=PLACEMENT_ASSESSMENT[tier])])
    for tier in PLACEMENT_ASSESSMENT
})

# --------------------------------------------------------------------------- route check
# The wording of a route check ("passes within 200 m of ...") is written for the tier the check was
# made for (the analyst's exact, the transport officer's rounded up to probing.distance_step_m); these say
# which fields of it each tier is given.
_SEGMENT = {
    "analyst": _keep("street", "highway", "length_m", "band", "segment_id", "mean_risk", "peak_risk"),
    "transport": _keep("street", "highway", "length_m", "band"),
}
_NEAR = {
    "analyst": _keep("street", "kind", "within_m", "text", "segment_ids", "distance_m", refs=MAYBE),
    "transport": _keep("street", "kind", "within_m", "text"),
}
_WALK_COMMON = ("role", "geometry", "length_m", "walk_minutes", "band", "detour_m", "detour_ratio", "riskiest_street")
ROUTE_WALK = MappingProxyType({
    "analyst": _keep(*_WALK_COMMON, "score", "mean_exposure", "peak_exposure", "exposure", "alpha",
                     segments=[_SEGMENT["analyst"]], near=[_NEAR["analyst"]]),
    "transport": _keep(*_WALK_COMMON, segments=[_SEGMENT["transport"]], near=[_NEAR["transport"]]),
})
# A route check: the walks, the advisory recommendation, how the check was made.
ROUTE = MappingProxyType({
    tier: _keep("kind", "child", "as_of", "tier", "crs", "origin", "destination", "detour_cap_m", "recommendation",
                "policy_version", "policy_digest", "advisory", "notes", routes=[ROUTE_WALK[tier]],
                beyond_cap=ROUTE_WALK[tier])
    for tier in ROUTE_WALK
})

# --------------------------------------------------------------------------- school briefing
# The school tier: published counts and rates, area shading, the level and its plain reasons
# (never the rule's points), the conflicts disclosure control lets a school see (peer groups with
# enough live members) with their places by area where enough sources report them, live notices.
# The analyst tier adds the true counts and rates (``raw``), the points, grades and link ids, the
# place records with coordinates, what is withheld from the school and why, the school's point
# and (when asked for) the incidents. A rate ratio of published counts is a published statistic
# of the area, not a risk number of anyone.
_BRIEFING_COMMON = ("schema", "tier", "school", "as_of", "policy_version", "area", "periods", "counts", "trend",
                    "notices", "changes", "notes", "disclosure")
_RATE = _keep("category", "resolution", "window", "ratio", "low", "high", "expected", "status", "reason")
_OVERRIDE = {"analyst": _keep("level", "reason", "set_at", "expires_at", "set_by"),
             "school": _keep("level", "reason", "set_at", "expires_at")}
_TENSION = {"analyst": _keep("level", "computed_level", "points", "reasons", "source", override=_OVERRIDE["analyst"]),
            "school": _keep("level", "computed_level", "reasons", "source", override=_OVERRIDE["school"])}
_CONFLICT_PLACE = {
    "analyst": _keep("group", "kind", "area_code", "area_name", "last_seen", "sources", "shown_to_school"),
    "school": _keep("group", "kind", "area_code", "area_name", "last_seen"),
}
_CONFLICT_COMMON = ("parties", "basis", "evidence_last_seen", "recency", "evidence")
_CONFLICT = {
    "analyst": _keep(*_CONFLICT_COMMON, "shown_to_school", "withheld", "evidence_age_days", "best_grade", "counts_as",
                     "link_ids", places=[_CONFLICT_PLACE["analyst"]],
                     place_records=[_keep("group", "kind", "area_code", "area_name", "last_seen", "place_id",
                                          "easting", "northing")]),
    "school": _keep(*_CONFLICT_COMMON, places=Where("shown_to_school", _CONFLICT_PLACE["school"])),
}
BRIEFING = MappingProxyType({
    "analyst": _keep(*_BRIEFING_COMMON, "raw", "school_location", tension=_TENSION["analyst"],
                     rate_ratios=[_RATE], conflicts=[_CONFLICT["analyst"]], incidents=MAYBE),
    "school": _keep(*_BRIEFING_COMMON, tension=_TENSION["school"], rate_ratios=[_RATE],
                    conflicts=Where("shown_to_school", _CONFLICT["school"])),
})

PROJECTIONS = MappingProxyType({
    "placement": PLACEMENT,
    "placement_factor": MappingProxyType(_FACTOR),
    "placement_assessment": PLACEMENT_ASSESSMENT,
    "route": ROUTE,
    "route_walk": ROUTE_WALK,
    "route_segment": MappingProxyType(_SEGMENT),
    "route_near": MappingProxyType(_NEAR),
    "briefing": BRIEFING,
    "briefing_tension": MappingProxyType(_TENSION),
    "briefing_conflict": MappingProxyType(_CONFLICT),
})


def tiers_of(kind: str) -> tuple[str, ...]:
    """The tiers a result ``kind`` may be shown to."""
    return tuple(_projections(kind))


def check_tier(kind: str, tier: str) -> None:
    """Refuse a ``tier`` that result ``kind`` has no projection for (a programming error)."""
    allowed = _projections(kind)
    if tier not in allowed:
        msg = f"a {kind.replace('_', ' ')} result is shown to the {', '.join(allowed)} tiers, not {tier!r}"
        raise ValueError(msg)


def project(kind: str, tier: str, data: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """``data`` (a result's full, analyst-tier dict) as ``tier`` may see it.

    ``partial=True`` leaves out a named key that ``data`` lacks instead of refusing it (for results
    saved under an older schema, which lack fields added since).

    Raises
    ------
    ValueError
        If ``kind`` or ``tier`` is unknown, or ``data`` lacks a key the projection names.
    """
    check_tier(kind, tier)
    return _apply(_projections(kind)[tier], data, kind, partial)


def _projections(kind: str) -> Mapping[str, Spec]:
    try:
        return PROJECTIONS[kind]
    except KeyError:
        msg = f"no projection for {kind!r}; known: {', '.join(PROJECTIONS)}"
        raise ValueError(msg) from None


def _apply(spec: Spec, data: Mapping[str, Any], where: str, partial: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, sub in spec.items():
        if key not in data:
            if partial or (isinstance(sub, str) and sub == MAYBE):
                continue
            msg = f"{where}: the result has no {key!r}, which its projection names"
            raise ValueError(msg)
        value = data[key]
        if sub is KEEP or (isinstance(sub, str) and sub == MAYBE) or value is None:
            out[key] = value
        elif isinstance(sub, Where):
            out[key] = [_apply(sub.spec, item, f"{where}.{key}[]", partial) for item in value if item.get(sub.flag)]
        elif isinstance(sub, list):
            out[key] = [_apply(sub[0], item, f"{where}.{key}[]", partial) for item in value]
        else:
            out[key] = _apply(sub, value, f"{where}.{key}", partial)
    return out
