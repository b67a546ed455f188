"""The results of a placement check: frozen, and serialised to JSON the same way every time."""

from __future__ import annotations

import json
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from geo_risk import tiers

AUDIENCES = tiers.tiers_of("placement")
DEFAULT_AUDIENCE = "housing"  # least privilege: every to_dict/to_json defaults to the housing tier

FACTOR_LABELS = MappingProxyType({
    "area_intensity": "Area forecast (percentile among addresses)",
    "conflict_exposure": "Conflict exposure",
    "exploitation_exposure": "Exploitation exposure",
    "exploitation_site_proximity": "Proximity to exploitation sites",
})


def _r(value: float | None, digits: int) -> float | None:
    if value is None:
        return None
    out = round(float(value), digits)
    return 0.0 if out == 0 else out  # no "-0.0"


def round_up_m(distance_m: float | None, step_m: float) -> int | None:
    """A distance rounded up to the next ``step_m`` (at least one step), for every tier below the analyst's.

    ``step_m`` is the policy's ``probing.distance_step_m`` (500 m): shared by the placement check
    (housing tier) and the route check (transport tier), so that no non-analyst wording places
    anyone's places more precisely, and many answers cannot be intersected to do better.
    """
    if distance_m is None:
        return None
    step = float(step_m)
    return int(max(1, -(-float(distance_m) // step)) * step)


def check_audience(audience: str) -> None:
    """Refuse an audience that is not one of :data:`AUDIENCES`."""
    if audience not in AUDIENCES:
        msg = f"audience must be one of {', '.join(AUDIENCES)}, got {audience!r}"
        raise ValueError(msg)


@dataclass(frozen=True)
class Factor:
    """One component of the score.

    Attributes
    ----------
    name
        ``area_intensity``, ``conflict_exposure``, ``exploitation_exposure`` or
        ``exploitation_site_proximity``.
    value
        The component in 0..1 (area: percentile / 100; exposures: ``1 - exp(-raw / scale)``).
    raw
        The percentile (0-100) for the area; the raw exposure for the others.
    weight
        The policy weight of the component.
    contribution
        Points of the 0-100 score this component gives.
    threshold
        The lift threshold of a child-specific component (``None`` for the others).
    lifts_band
        Whether this component reached its threshold and lifted the band to at least High.
    """

    name: str
    value: float
    raw: float
    weight: float
    contribution: float
    threshold: float | None = None
    lifts_band: bool = False

    @property
    def label(self) -> str:
        return FACTOR_LABELS.get(self.name, self.name)

    def to_dict(self, *, audience: str = DEFAULT_AUDIENCE) -> dict[str, Any]:
        """Plain data for ``audience`` (:data:`geo_risk.tiers.PLACEMENT_ASSESSMENT`): the housing tier
        (the default) gets the name and label only.

        Values, weights, contributions and thresholds are continuous numbers that many probed
        addresses could be triangulated with; they are for the analyst tier.
        """
        check_audience(audience)
        return tiers.project("placement_factor", audience, {
            "name": self.name,
            "label": self.label,
            "value": _r(self.value, 4),
            "raw": _r(self.raw, 4),
            "weight": _r(self.weight, 4),
            "contribution": _r(self.contribution, 2),
            "threshold": _r(self.threshold, 4),
            "lifts_band": bool(self.lifts_band),
        })


@dataclass(frozen=True)
class Freshness:
    """How recent the data behind an assessment is (ISO dates, ``None`` when there is none)."""

    latest_incident: str | None
    latest_link: str | None
    latest_place: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "latest_incident": self.latest_incident,
            "latest_link": self.latest_link,
            "latest_place": self.latest_place,
        }


@dataclass(frozen=True)
class Assessment:
    """An advisory placement assessment of one point for one young person.

    Attributes
    ----------
    child
        Pseudonym of the young person.
    point
        ``(easting, northing)`` in EPSG:27700, to 0.1 m.
    as_of
        ISO date-time the assessment is made for.
    score
        0-100, one decimal. Breaks ties within a band; analyst tier only in :meth:`to_dict`.
        ``None`` for a point outside the data's coverage.
    band
        ``Low``, ``Medium``, ``High`` or ``Very high`` (the policy's band names): the worse of
        ``area_band`` and ``child_band``; :data:`geo_risk.contract.CANNOT_ASSESS` outside the
        data's coverage.
    lifted_by
        Names of child-specific factors that lifted the band to at least High.
    factors
        All factors, largest contribution first (the housing tier gets their names in this
        order, without their values).
    nearest_adversary_m, nearest_exploiter_m
        Distance to the nearest place in an adversary's (exploiter's) activity space. Homes
        are never in an activity space, so this is never a distance to a home. Analyst tier
        only: the housing JSON carries no distance to anyone's places at all.
    reasons_analyst
        Reasons with evidence: link, place and entity ids (analysts only).
    reasons_housing
        Plain reasons naming no other person, group or intelligence.
    evidence
        Ids of links and places behind the child-specific factors at this point (homes never listed).
    freshness
        Latest incident, link and place dates behind the assessment.
    confidence
        ``low``, ``medium`` or ``high``.
    policy_version, inputs_hash
        The policy the assessment was made under; SHA-256 of the canonical inputs.
    outcome
        One of :data:`geo_risk.contract.PLACEMENT_OUTCOMES`: ``assessed``; ``consult_analyst``
        (an adversary's or exploiter's home or regular place is within the policy's distance: the
        housing officer consults the analyst before placing here); ``cannot_assess`` (outside
        the area the data cover).
    flags
        Warnings a practitioner must see, e.g. "Unverified concern: verify by 2026-12-04".
    area_band, child_band
        The two bands the band is the worse of: the area's incident level among residential
        addresses, and the risk specific to this young person (``None`` outside the coverage).
    """

    child: str
    point: tuple[float, float]
    as_of: str
    score: float
    band: str
    lifted_by: tuple[str, ...]
    factors: tuple[Factor, ...]
    nearest_adversary_m: float | None
    nearest_exploiter_m: float | None
    reasons_analyst: tuple[str, ...]
    reasons_housing: tuple[str, ...]
    evidence: tuple[str, ...]
    freshness: Freshness
    confidence: str
    policy_version: str
    inputs_hash: str
    kind: str = "placement"
    outcome: str = "assessed"
    flags: tuple[str, ...] = ()
    area_band: str | None = None
    child_band: str | None = None

    def factor(self, name: str) -> Factor:
        """The factor called ``name``."""
        for f in self.factors:
            if f.name == name:
                return f
        raise KeyError(name)

    def to_dict(self, *, audience: str = DEFAULT_AUDIENCE) -> dict[str, Any]:
        """Plain data for JSON; identical for identical assessments.

        The default is the least-privileged tier, ``"housing"``: a caller that needs the
        analyst tier must ask for it with ``audience="analyst"``.

        ``audience="housing"`` gives the band, the factors that lifted it, the factors' names
        in order of contribution, plain reasons, confidence, freshness, policy version and
        inputs hash. It leaves out every continuous number a probing user could triangulate
        a place with: the score, the factors' values, weights and contributions, the analyst
        reasons, the evidence ids and every distance to an adversary's or exploiter's places
        (the housing reasons say "within X m", rounded up to the policy's distance step, and that is all).
        """
        check_audience(audience)
        return tiers.project("placement_assessment", audience, {
            "kind": self.kind,
            "child": self.child,
            "point": [_r(self.point[0], 1), _r(self.point[1], 1)],
            "as_of": self.as_of,
            "band": self.band,
            "lifted_by": list(self.lifted_by),
            "factors": [f.to_dict(audience="analyst") for f in self.factors],
            "reasons": list(self.reasons_housing),
            "outcome": self.outcome,
            "flags": list(self.flags),
            "area_band": self.area_band,
            "child_band": self.child_band,
            "freshness": self.freshness.to_dict(),
            "confidence": self.confidence,
            "policy_version": self.policy_version,
            "inputs_hash": self.inputs_hash,
            "advisory": True,
            "score": _r(self.score, 1),
            "nearest_adversary_m": _r(self.nearest_adversary_m, 1),
            "nearest_exploiter_m": _r(self.nearest_exploiter_m, 1),
            "reasons_analyst": list(self.reasons_analyst),
            "evidence": list(self.evidence),
        })

    def to_json(self, *, audience: str = DEFAULT_AUDIENCE) -> str:
        """Canonical JSON: sorted keys, rounded floats, no whitespace."""
        return json.dumps(self.to_dict(audience=audience), sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class RankedCandidate:
    """One candidate address in a ranking (rank 1 is the safest)."""

    rank: int
    label: str
    assessment: Assessment

    def to_dict(self, *, audience: str = DEFAULT_AUDIENCE) -> dict[str, Any]:
        return {"rank": self.rank, "label": self.label, "assessment": self.assessment.to_dict(audience=audience)}


@dataclass(frozen=True)
class PlacementRanking:
    """Candidates ranked safest first: by band, then score, then the order they were given."""

    child: str
    as_of: str
    policy_version: str
    candidates: tuple[RankedCandidate, ...]

    def to_dict(self, *, audience: str = DEFAULT_AUDIENCE) -> dict[str, Any]:
        """Plain data for ``audience``, as :data:`geo_risk.tiers.PLACEMENT` declares it."""
        check_audience(audience)
        return tiers.project("placement", audience, {
            "child": self.child,
            "as_of": self.as_of,
            "policy_version": self.policy_version,
            "order": "safest first",
            "candidates": [c.to_dict(audience="analyst") for c in self.candidates],
        })

    def to_json(self, *, audience: str = DEFAULT_AUDIENCE) -> str:
        return json.dumps(self.to_dict(audience=audience), sort_keys=True, separators=(",", ":"))
