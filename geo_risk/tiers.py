"""What each audience tier is given of each result, declared once.

A tier is what one kind of user may see: the ``analyst`` everything, the ``housing`` officer
a placement check's bands, ranks and plain words, the ``transport`` officer a route check's
bands and plain words, the ``school`` user a briefing's levels and disclosure-controlled
counts. A user who probes many addresses or walks could triangulate a place from continuous
risk numbers (a score, a factor's value, an exact distance to someone's places), so no tier
below the analyst's carries one.

Each result kind has one projection per tier it may be shown to: a tree of the keys kept, where
a key maps to :data:`KEEP` (the value as it is), :data:`MAYBE` (the same, for a key some results
leave out), a nested projection (a dict) or a one-item list holding one (a list of dicts). :func:`project` applies it to the
result's full (analyst) data; a key the projection names that the data lacks is an error, so
a renamed field cannot silently vanish from a tier, and a key it does not name is dropped, so
a new field reaches no tier until it is declared here.

The results' own ``to_dict(audience=...)`` and the service layer's use cases project through
this module; nothing else filters a result's keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

KEEP = True
MAYBE = "maybe"  # kept as it is when the result has it (a key some results leave out)
TIERS = ("analyst", "housing", "transport", "school")

Spec = Mapping[str, Any]


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
# plain ones (distances rounded up to the next 100 m, no one named); ``outcome`` says whether to
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
# made for (the analyst's exact, the transport officer's rounded up to the next 100 m); these say
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

PROJECTIONS = MappingProxyType({
    "placement": PLACEMENT,
    "placement_factor": MappingProxyType(_FACTOR),
    "placement_assessment": PLACEMENT_ASSESSMENT,
    "route": ROUTE,
    "route_walk": ROUTE_WALK,
    "route_segment": MappingProxyType(_SEGMENT),
    "route_near": MappingProxyType(_NEAR),
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
            if partial or sub == MAYBE:
                continue
            msg = f"{where}: the result has no {key!r}, which its projection names"
            raise ValueError(msg)
        value = data[key]
        if sub is KEEP or sub == MAYBE or value is None:
            out[key] = value
        elif isinstance(sub, list):
            out[key] = [_apply(sub[0], item, f"{where}.{key}[]", partial) for item in value]
        else:
            out[key] = _apply(sub, value, f"{where}.{key}", partial)
    return out
