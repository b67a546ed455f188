"""The school-route check: walks, their risk, and the assisted-transport recommendation.

:func:`assess_route` is pure: the walk graph, the young person's risk along the
streets (``risk_fn``) and the places of concern come in as arguments, a frozen
:class:`RouteAssessment` comes out. It is advisory and says so.

The recommendation
------------------
Each walk's band is the band of its riskiest stretch of ``band_window_m``
(100 m): the score there is ``100 x`` the mean risk density over the stretch.
The lowest-risk walk is chosen by that same measure: the walk in the lowest
band among every walk found within the detour cap, then the one with the least
exposure, then the shortest (:func:`geo_risk.routing.paths.plan_routes`), so no
walk listed within the cap is in a lower band. The case "meets the bar for
assisted transport consideration" when the lowest-risk walk is at or above
``policy.routing.assisted_transport_band`` (``High``): every walk found within
the cap is then at or above the bar, and no walk a young person could
reasonably take stays below it. The reasons say how long the lowest-risk walk
is, its band and where its riskiest stretch is, what it adds to the shortest
walk, whether a lower-risk walk exists beyond the cap, which streets pass near
places of concern, and the policy version.

The statutory walking distance
------------------------------
A child is entitled to free home-to-school transport when the nearest
available walking route is longer than the statutory walking distance (2 miles
under 8, 3 miles from 8; Education Act 1996 s.444(5)), or when no walk is
suitable. The result relates the shortest walk to that distance for the age
band on the referral (:class:`WalkingDistance`), so the officer sees the
distance ground beside the safety ground (the band) in one place. Without an
age band it gives both distances.

What the transport officer sees (``tier="transport"``) names no other person,
peer group or piece of intelligence: a segment of concern reads "segment near
<street name> passes within 200 m of ..." with the kind of concern in general
words and the distance rounded **up to the policy's distance step (500 m)** (as the housing tier of
the placement check does); the transport JSON carries neither the exact
distance nor street-segment ids. Risk reaches the transport tier as bands only
(the policy's bands: each walk's band and each street segment's band); the
continuous numbers behind them -- a walk's score, exposures and search weight,
a segment's mean and peak risk -- are left out, as a user probing many walks
could triangulate a place of concern from them. The analyst tier adds the
exact distance, the segment ids, the references of the places involved and
those numbers. Every ``to_dict`` defaults to the transport tier: the
least-privileged reading is the default.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import shapely
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from geo_risk import tiers
from geo_risk.config import Policy
from geo_risk.contract import AGE_BAND_WORDS, AGE_BANDS
from geo_risk.crs import EastNorth, LatLon, point_to_store
from geo_risk.errors import ValidationError
from geo_risk.routing.graph import Snap, WalkGraph, cut_coords, snap_points
from geo_risk.routing.paths import RoutePlan, Walk, detour_allowance_m, plan_routes
from geo_risk.routing.risk import RiskFn, evaluate_risk, window_peak
from geo_risk.scoring.assessment import round_up_m

log = logging.getLogger(__name__)

Tier = Literal["transport", "analyst"]
TIERS = ("transport", "analyst")
ConcernKind = Literal["adversary_activity", "exploiter_activity", "exploitation_site"]
CONCERN_KINDS = ("adversary_activity", "exploiter_activity", "exploitation_site")

MEETS_BAR = "Meets the bar for assisted transport consideration"
NOT_MEETS_BAR = "Does not meet the bar for assisted transport consideration"
ADVISORY = (
    "Advisory only: this supports, and does not replace, the transport officer's professional judgement "
    "and the authority's own assessment of the walking route."
)
_CONCERN_WORDS = MappingProxyType({
    "adversary_activity": "an area associated with a person or peer group in conflict with this young person",
    "exploiter_activity": "an area associated with someone who may exploit this young person",
    "exploitation_site": "a place associated with the exploitation of young people",
})
_UNNAMED = "an unnamed path"
_MAX_STREETS = 6  # street names listed in one reason
METRES_PER_MILE = 1609.344


DEFAULT_STEP_M = 500.0  # the default policy's probing.distance_step_m


def _metres(distance_m: float, tier: str = "transport", step_m: float = DEFAULT_STEP_M) -> str:
    """A distance in words for ``tier``.

    Transport: rounded up to the next ``step_m`` (the policy's ``probing.distance_step_m``;
    "within 500 m" at least). Analyst: to the metre, but never "0 m" (a place on the street is
    "within 10 m").
    """
    if tier != "analyst":
        return f"{round_up_m(distance_m, step_m)} m"
    return f"{max(distance_m, 10.0):.0f} m" if distance_m < 10.0 else f"{distance_m:.0f} m"


def _check_tier(tier: str) -> None:
    if tier not in TIERS:
        msg = f"tier must be one of {', '.join(TIERS)}, got {tier!r}"
        raise ValidationError(msg)


@dataclass(frozen=True)
class ConcernSite:
    """A place a walk should keep its distance from, for one young person.

    Attributes
    ----------
    kind
        ``"adversary_activity"`` (a place in the activity space of someone in
        conflict with the young person), ``"exploiter_activity"`` (a place of
        someone who may exploit them) or ``"exploitation_site"``.
    geometry
        Point or polygon in EPSG:27700.
    ref
        Analyst-only reference (place id or entity key); never shown to the transport tier.
    """

    kind: ConcernKind
    geometry: BaseGeometry
    ref: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in CONCERN_KINDS:
            msg = f"concern kind must be one of {', '.join(CONCERN_KINDS)}, got {self.kind!r}"
            raise ValidationError(msg)


@dataclass(frozen=True)
class NearSegment:
    """A stretch of a walk along one street that passes close to a place of concern.

    Consecutive street segments of the same street near the same kind of place
    are one stretch.

    Attributes
    ----------
    street
        Street name (or "an unnamed path").
    segment_ids
        The street segments of the stretch, in walking order.
    kind
        Kind of concern (see :class:`ConcernSite`).
    distance_m
        Closest approach, metres (analyst tier only; the transport tier is told
        ``within_m``, rounded up to the next ``step_m``).
    refs
        References of the places involved: analyst tier only, empty otherwise.
    tier
        Whose wording :attr:`text` and :meth:`to_dict` give by default.
    step_m
        The policy's ``probing.distance_step_m``: what the transport tier's distances are rounded up to.
    """

    street: str
    segment_ids: tuple[int, ...]
    kind: ConcernKind
    distance_m: float
    refs: tuple[str, ...] = ()
    tier: str = "transport"
    step_m: float = DEFAULT_STEP_M

    @property
    def within_m(self) -> int:
        """The closest approach rounded up to the next ``step_m``."""
        return int(round_up_m(self.distance_m, self.step_m) or self.step_m)

    @property
    def text(self) -> str:
        """Plain words naming no person, group or intelligence (distance as for :attr:`tier`)."""
        return self.text_for(self.tier)

    def text_for(self, tier: str) -> str:
        """Plain words with the distance as ``tier`` may see it."""
        _check_tier(tier)
        return (
            f"segment near {self.street} passes within {_metres(self.distance_m, tier, self.step_m)} of "
            f"{_CONCERN_WORDS[self.kind]}"
        )

    def to_dict(self, *, tier: str | None = None) -> dict[str, Any]:
        """Plain data for ``tier`` (default: the segment's own): transport gets no ids and no exact distance."""
        tier = self.tier if tier is None else tier
        _check_tier(tier)
        out: dict[str, Any] = {
            "street": self.street,
            "kind": self.kind,
            "within_m": self.within_m,
            "text": self.text_for(tier),
            "segment_ids": [int(i) for i in self.segment_ids],
            "distance_m": round(float(self.distance_m), 1),
        }
        if self.refs:
            out["refs"] = list(self.refs)
        return tiers.project("route_near", tier, out)


@dataclass(frozen=True)
class RouteSegment:
    """One street segment of a walk, with the risk read along it.

    Attributes
    ----------
    segment_id
        The street segment's id.
    street
        Street name (or "an unnamed path").
    highway
        Highway class.
    length_m
        Metres of it walked.
    mean_risk, peak_risk
        Mean and peak risk density along the part walked (0-1 scale); analyst tier only
        in :meth:`to_dict`.
    band
        Band of ``peak_risk`` under the policy's bands (what the transport tier sees).
    """

    segment_id: int
    street: str
    highway: str
    length_m: float
    mean_risk: float
    peak_risk: float
    band: str

    def to_dict(self, *, tier: str = "transport") -> dict[str, Any]:
        """Plain data; the transport tier (the default) gets the band, the analyst tier also the
        street-segment id and the mean and peak risk."""
        _check_tier(tier)
        return tiers.project("route_segment", tier, {
            "street": self.street,
            "highway": self.highway,
            "length_m": round(self.length_m, 1),
            "band": self.band,
            "segment_id": int(self.segment_id),
            "mean_risk": round(self.mean_risk, 6),
            "peak_risk": round(self.peak_risk, 6),
        })


@dataclass(frozen=True)
class Route:
    """One walk offered to the officer.

    Attributes
    ----------
    role
        ``"shortest"``, ``"lowest_risk"`` or ``"alternative"``.
    geometry
        LineString in EPSG:27700 from the origin's joining point to the destination's.
    length_m
        Walking length.
    walk_minutes
        At the policy's walking speed.
    band
        Band of the riskiest ``policy.routing.band_window_m`` stretch.
    score
        0-100 score of that stretch (``100 * mean risk`` over it); analyst tier only in
        :meth:`to_dict`, as are the exposures and ``alpha``.
    mean_exposure
        Exposure per metre walked (risk density averaged along the walk).
    peak_exposure
        Highest risk density read on the walk.
    exposure
        Risk density integrated along the walk (risk-metres).
    detour_m, detour_ratio
        Extra length compared with the shortest walk.
    riskiest_street
        Street of the riskiest stretch.
    alpha
        The risk weight of the search that found the walk.
    segments
        The street segments walked, in order.
    near
        Segments within ``policy.routing.near_distance_m`` of a place of concern (analyst tier), or
        within the larger of that and the policy's distance step (``probing.distance_step_m``, other tiers:
        the distance their words give).
    """

    role: str
    geometry: LineString
    length_m: float
    walk_minutes: float
    band: str
    score: float
    mean_exposure: float
    peak_exposure: float
    exposure: float
    detour_m: float
    detour_ratio: float
    riskiest_street: str
    alpha: float
    segments: tuple[RouteSegment, ...]
    near: tuple[NearSegment, ...]

    def to_dict(self, *, tier: str = "transport") -> dict[str, Any]:
        """Plain data for ``tier``.

        The transport tier (the default) gets the walk, its length, minutes, detour, band and
        segment bands: no score, exposure or search weight, no segment ids and no exact
        distances. The analyst tier gets them all.
        """
        _check_tier(tier)
        coords = np.round(shapely.get_coordinates(self.geometry), 1).tolist()
        return tiers.project("route_walk", tier, {
            "role": self.role,
            "geometry": {"type": "LineString", "coordinates": coords},
            "length_m": round(self.length_m, 1),
            "walk_minutes": round(self.walk_minutes, 1),
            "band": self.band,
            "detour_m": round(self.detour_m, 1),
            "detour_ratio": round(self.detour_ratio, 4),
            "riskiest_street": self.riskiest_street,
            "segments": [s.to_dict(tier="analyst") for s in self.segments],
            "near": [n.to_dict(tier="analyst") | {"text": n.text_for(tier)} for n in self.near],
            "score": round(self.score, 2),
            "mean_exposure": round(self.mean_exposure, 6),
            "peak_exposure": round(self.peak_exposure, 6),
            "exposure": round(self.exposure, 4),
            "alpha": round(self.alpha, 6),
        })


@dataclass(frozen=True)
class Endpoint:
    """Where a walk starts or ends, and how far it is from the street it joins."""

    label: str
    point: EastNorth
    joined: EastNorth
    snap_distance_m: float
    street: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "point": [round(float(self.point.easting), 1), round(float(self.point.northing), 1)],
            "joined": [round(float(self.joined.easting), 1), round(float(self.joined.northing), 1)],
            "snap_distance_m": round(self.snap_distance_m, 1),
            "street": self.street,
        }


def _miles(metres: float) -> str:
    return f"{metres / METRES_PER_MILE:.1f} miles"


@dataclass(frozen=True)
class WalkingDistance:
    """The shortest walk against the statutory walking distance for the child's age band.

    Attributes
    ----------
    age_band
        One of :data:`geo_risk.contract.AGE_BANDS` (from the referral), or None when not given.
    shortest_m
        The shortest walk (the nearest available walking route).
    under_8_m, from_8_m
        The statutory walking distances of the policy.
    """

    age_band: str | None
    shortest_m: float
    under_8_m: float
    from_8_m: float

    def __post_init__(self) -> None:
        if self.age_band is not None and self.age_band not in AGE_BANDS:
            msg = f"age band must be one of {', '.join(AGE_BANDS)}, got {self.age_band!r}"
            raise ValidationError(msg)

    @property
    def limit_m(self) -> float | None:
        """The statutory walking distance for the age band (None when the band is not known)."""
        if self.age_band is None:
            return None
        return self.under_8_m if self.age_band == AGE_BANDS[0] else self.from_8_m

    @property
    def beyond(self) -> bool | None:
        """The shortest walk is longer than the statutory walking distance (None: age band not known)."""
        limit = self.limit_m
        return None if limit is None else bool(self.shortest_m > limit)

    @property
    def text(self) -> str:
        """The distance ground in plain words."""
        walk = f"The shortest walk is {_miles(self.shortest_m)} ({self.shortest_m:.0f} m)"
        if self.age_band is None:
            under, over = self.shortest_m > self.under_8_m, self.shortest_m > self.from_8_m
            where = ("beyond both" if over else "beyond the first but within the second" if under
                     else "within both")
            return (f"{walk}: {where} of the statutory walking distances, {_miles(self.under_8_m)} for a child "
                    f"under 8 and {_miles(self.from_8_m)} from 8. The referral gives no age band: record it to "
                    "settle the distance ground.")
        words = AGE_BAND_WORDS[self.age_band]
        limit = self.limit_m or 0.0
        if self.beyond:
            return (f"{walk}, beyond the statutory walking distance of {_miles(limit)} for a child {words}: "
                    "the distance alone is a ground for free transport to the nearest suitable school, whatever "
                    "the walk's band.")
        return (f"{walk}, within the statutory walking distance of {_miles(limit)} for a child {words}: "
                "the distance is not a ground for free transport; the walk's safety is the ground to weigh.")

    def to_dict(self) -> dict[str, Any]:
        return {
            "age_band": self.age_band,
            "shortest_m": round(self.shortest_m, 1),
            "statutory_m": None if self.limit_m is None else round(self.limit_m, 1),
            "beyond_statutory": self.beyond,
            "text": self.text,
        }


@dataclass(frozen=True)
class Recommendation:
    """The advisory assisted-transport recommendation.

    ``meets_bar`` is the safety ground (the lowest-risk walk within the detour cap is at or above
    the policy's bar); ``walking_distance`` the distance ground. ``reasons`` give both.
    """

    meets_bar: bool
    text: str
    reasons: tuple[str, ...]
    bar_band: str
    policy_version: str
    walking_distance: WalkingDistance | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "meets_bar": self.meets_bar,
            "text": self.text,
            "reasons": list(self.reasons),
            "bar_band": self.bar_band,
            "policy_version": self.policy_version,
            "walking_distance": self.walking_distance.to_dict() if self.walking_distance is not None else None,
        }


@dataclass(frozen=True)
class RouteAssessment:
    """The school-route check for one young person.

    Attributes
    ----------
    child
        The young person's pseudonym.
    as_of
        The date the assessment is made for.
    tier
        ``"transport"`` or ``"analyst"``: what the wording may name.
    origin, destination
        Where the walk starts and ends.
    detour_cap_m
        Longest walk allowed for the lowest-risk walk and the alternatives.
    routes
        Shortest first, then the lowest-risk walk (when different), then alternatives.
    recommendation
        The advisory recommendation, with reasons and the policy version.
    beyond_cap
        The lower-risk walk the policy's alpha found when it is longer than the
        detour cap (role ``"beyond_cap"``; not offered as a walk), else None.
    policy_version, policy_digest
        The policy the assessment was made under.
    advisory
        The advisory notice to show with the result.
    notes
        Plain-text notes on how the check was made, shown under the result at every
        tier (e.g. which weekdays counted as school days, see
        :func:`geo_risk.routing.schoolrun.with_school_days_note`). Every tier sees them,
        so they carry no risk number and name no one.
    """

    child: str
    as_of: datetime
    tier: str
    origin: Endpoint
    destination: Endpoint
    detour_cap_m: float
    routes: tuple[Route, ...]
    recommendation: Recommendation
    policy_version: str
    policy_digest: str
    beyond_cap: Route | None = None
    advisory: str = ADVISORY
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.notes, str):
            msg = "RouteAssessment.notes is a tuple of notes, got one string; pass (note,)"
            raise TypeError(msg)
        notes = tuple(self.notes)
        bad = sorted({type(n).__name__ for n in notes if not isinstance(n, str)})
        if bad:
            msg = f"RouteAssessment.notes must hold strings, got {', '.join(bad)}"
            raise TypeError(msg)
        object.__setattr__(self, "notes", notes)

    @property
    def shortest(self) -> Route:
        """The shortest walk."""
        return next(r for r in self.routes if r.role == "shortest")

    @property
    def lowest_risk(self) -> Route:
        """The lowest-risk walk within the detour cap (the shortest when no other is safer)."""
        return next((r for r in self.routes if r.role == "lowest_risk"), self.shortest)

    @property
    def alternatives(self) -> tuple[Route, ...]:
        """The further Pareto walks."""
        return tuple(r for r in self.routes if r.role == "alternative")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data for :attr:`tier` (:data:`geo_risk.tiers.ROUTE`); the same assessment
        always gives the same dict."""
        return tiers.project("route", self.tier, {
            "kind": "route",
            "child": self.child,
            "as_of": self.as_of.isoformat(),
            "tier": self.tier,
            "crs": "EPSG:27700",
            "origin": self.origin.to_dict(),
            "destination": self.destination.to_dict(),
            "detour_cap_m": round(self.detour_cap_m, 1),
            "routes": [r.to_dict(tier=self.tier) for r in self.routes],
            "recommendation": self.recommendation.to_dict(),
            "beyond_cap": self.beyond_cap.to_dict(tier=self.tier) if self.beyond_cap is not None else None,
            "policy_version": self.policy_version,
            "policy_digest": self.policy_digest,
            "advisory": self.advisory,
            "notes": list(self.notes),
        })

    def to_json(self, *, indent: int | None = None) -> str:
        """Canonical JSON (sorted keys)."""
        return json.dumps(self.to_dict(), sort_keys=True, indent=indent, ensure_ascii=False)


def assess_route(
    child: str,
    origin: EastNorth | LatLon,
    destination: EastNorth | LatLon,
    as_of: datetime,
    policy: Policy,
    *,
    graph: WalkGraph,
    risk_fn: RiskFn,
    concerns: Sequence[ConcernSite] = (),
    tier: Tier = "transport",
    origin_label: str = "home",
    destination_label: str = "school",
    age_band: str | None = None,
) -> RouteAssessment:
    """Assess the walk between two points for one young person.

    Parameters
    ----------
    child
        Pseudonym of the young person (e.g. ``"YP-0042"``).
    origin, destination
        Home and school, as British National Grid or latitude/longitude points.
    as_of
        The date the assessment is made for (recorded; the risk in ``risk_fn``
        should have been computed for it, see :func:`geo_risk.routing.adapters.child_risk_fn`).
    policy
        The versioned policy; ``policy.routing`` and the scoring bands are used.
    graph
        The walk graph of the snapshot, built with ``sample_step_m`` equal to
        ``policy.routing.sample_step_m``.
    risk_fn
        Risk density per metre for this young person at ``(n, 2)`` points, 0-1 scale.
    concerns
        Places to report proximity to: adversaries' activity spaces and exploitation sites.
    tier
        ``"transport"`` (no one named) or ``"analyst"`` (place references included).
    origin_label, destination_label
        Words for the two ends in messages.
    age_band
        The young person's age band from the referral (:data:`geo_risk.contract.AGE_BANDS`):
        which statutory walking distance the shortest walk is compared with. None gives both.

    Returns
    -------
    RouteAssessment

    Raises
    ------
    ValidationError
        If a point is farther than ``policy.routing.snap_max_m`` from every
        walkable street, the tier or bar band is unknown, or the graph was built
        with another sample step.
    """
    rp = policy.routing
    _check_tier(tier)
    bands = tuple(policy.scoring.bands)
    if rp.assisted_transport_band not in bands:
        msg = (
            f"policy routing.assisted_transport_band {rp.assisted_transport_band!r} is not a band; "
            f"use one of {', '.join(bands)}"
        )
        raise ValidationError(msg)
    if not np.isclose(graph.sample_step_m, rp.sample_step_m):
        msg = (
            f"the walk graph samples risk every {graph.sample_step_m:g} m but the policy asks for "
            f"{rp.sample_step_m:g} m; rebuild it with build_walk_graph(streets, "
            f"sample_step_m=policy.routing.sample_step_m)"
        )
        raise ValidationError(msg)
    if not isinstance(child, str) or not child.strip():
        msg = "child must be the young person's pseudonym, e.g. 'YP-0042'"
        raise ValidationError(msg)
    if age_band is not None and age_band not in AGE_BANDS:
        msg = f"age band must be one of {', '.join(AGE_BANDS)}, got {age_band!r}"
        raise ValidationError(msg)

    o_pt, d_pt = point_to_store(origin), point_to_store(destination)
    o_snap, d_snap = snap_points(graph, [o_pt, d_pt], max_distance_m=rp.snap_max_m, labels=[origin_label, destination_label])
    plan = plan_routes(graph, o_snap, d_snap, risk_fn, rp, band_edges=policy.scoring.band_edges)
    log.debug("route check: %d dijkstra runs, corridor of %d edges", plan.runs, plan.corridor_edges)

    concern_tree, concern_list = _concern_index(concerns)
    routes = [_route("shortest", plan.shortest, plan, graph, policy, risk_fn, concern_tree, concern_list, tier)]
    if plan.lowest_risk.key != plan.shortest.key:
        routes.append(_route("lowest_risk", plan.lowest_risk, plan, graph, policy, risk_fn, concern_tree, concern_list, tier))
    for walk in plan.alternatives:
        routes.append(_route("alternative", walk, plan, graph, policy, risk_fn, concern_tree, concern_list, tier))

    unconstrained = None
    if plan.unconstrained is not None:
        unconstrained = _route("beyond_cap", plan.unconstrained, plan, graph, policy, risk_fn, concern_tree, concern_list, tier)
    distance = WalkingDistance(age_band=age_band, shortest_m=plan.shortest.length_m,
                               under_8_m=rp.walking_distance_under_8_m, from_8_m=rp.walking_distance_from_8_m)
    recommendation = _recommend(routes, unconstrained, plan, policy, tier, distance)
    return RouteAssessment(
        child=child,
        as_of=as_of,
        tier=tier,
        origin=_endpoint(origin_label, o_snap, graph),
        destination=_endpoint(destination_label, d_snap, graph),
        detour_cap_m=plan.cap_m,
        routes=tuple(routes),
        recommendation=recommendation,
        policy_version=policy.version,
        policy_digest=policy.digest,  # once per check; the core keeps no cache between calls
        beyond_cap=unconstrained,
    )


# ----------------------------------------------------------------------------- helpers


def band_of(score: float, policy: Policy) -> str:
    """Band of a 0-100 score under the policy's band edges."""
    edges = np.asarray(policy.scoring.band_edges, dtype=float)
    return policy.scoring.bands[int(np.searchsorted(edges, score, side="right"))]


def _street(graph: WalkGraph, edge: int) -> str:
    name = graph.edge_name[edge]
    return name if name else _UNNAMED


def _endpoint(label: str, snap: Snap, graph: WalkGraph) -> Endpoint:
    return Endpoint(
        label=label, point=snap.point, joined=snap.joined, snap_distance_m=snap.distance_m, street=_street(graph, snap.edge)
    )


def _concern_index(concerns: Sequence[ConcernSite]) -> tuple[shapely.STRtree | None, list[ConcernSite]]:
    items = [c for c in concerns if c.geometry is not None and not c.geometry.is_empty]
    if not items:
        return None, []
    return shapely.STRtree([c.geometry for c in items]), items


def _piece_geometries(walk: Walk, graph: WalkGraph) -> np.ndarray:
    """The part of each edge actually walked."""
    geoms = np.array(graph.edge_geometry[walk.edges], dtype=object)
    cum = np.concatenate([[0.0], np.cumsum(walk.piece_length_m)])
    coords = None
    for i in {0, len(geoms) - 1}:
        if abs(walk.piece_length_m[i] - graph.edge_length[walk.edges[i]]) > 1e-6:
            if coords is None:
                coords = shapely.get_coordinates(walk.geometry)
            geoms[i] = LineString(cut_coords(coords, cum[i], cum[i + 1]))
    return geoms


def _route(
    role: str,
    walk: Walk,
    plan: RoutePlan,
    graph: WalkGraph,
    policy: Policy,
    risk_fn: RiskFn,
    tree: shapely.STRtree | None,
    concerns: list[ConcernSite],
    tier: str,
) -> Route:
    rp = policy.routing
    # risk per street segment, from the samples along the walk
    cum = np.concatenate([[0.0], np.cumsum(walk.piece_length_m)])
    n_pieces = walk.edges.size
    which = np.clip(np.searchsorted(cum, walk.samples.position_m, side="right") - 1, 0, n_pieces - 1)
    w = walk.samples.weight_m
    wsum = np.bincount(which, weights=w, minlength=n_pieces)
    mean = np.bincount(which, weights=w * walk.risk, minlength=n_pieces)
    peak = np.zeros(n_pieces)
    np.maximum.at(peak, which, walk.risk)
    empty = wsum <= 0
    if empty.any():
        # pieces shorter than the sample step: read the risk at their middles
        mids = (cum[:-1] + cum[1:])[empty] / 2
        xy = shapely.get_coordinates(shapely.line_interpolate_point(walk.geometry, mids))
        vals = evaluate_risk(risk_fn, xy)
        mean[empty] = vals
        peak[empty] = vals
        wsum[empty] = 1.0
    mean = mean / wsum

    segments = tuple(
        RouteSegment(
            segment_id=int(graph.edge_segment_id[e]),
            street=_street(graph, e),
            highway=str(graph.edge_highway[e]),
            length_m=float(walk.piece_length_m[i]),
            mean_risk=float(mean[i]),
            peak_risk=float(peak[i]),
            band=band_of(100 * float(peak[i]), policy),
        )
        for i, e in enumerate(walk.edges.tolist())
    )

    stretch, start = window_peak(walk.risk, walk.samples.position_m, rp.band_window_m)
    mid = min(start + rp.band_window_m / 2, walk.length_m)
    riskiest = _street(graph, int(walk.edges[min(int(np.searchsorted(cum, mid, side="right")) - 1, n_pieces - 1)]))

    near: list[NearSegment] = []
    if tree is not None:
        pieces = _piece_geometries(walk, graph)
        # the transport tier is told "within <step>": a street is near a place only as its words say, so
        # that the flags of many walks, each a sharp "within / beyond" line, cannot be intersected more
        # finely than the step
        reach = rp.near_distance_m if tier == "analyst" else max(rp.near_distance_m, policy.probing.distance_step_m)
        pi, ci = tree.query(pieces, predicate="dwithin", distance=reach)
        if pi.size:
            dist = shapely.distance(pieces[pi], np.array([concerns[c].geometry for c in ci], dtype=object))
            found: dict[tuple[int, str], tuple[float, set[str]]] = {}
            for p, c, d in zip(pi.tolist(), ci.tolist(), dist.tolist()):
                key = (p, concerns[c].kind)
                best, refs = found.get(key, (np.inf, set()))
                if concerns[c].ref:
                    refs.add(str(concerns[c].ref))
                found[key] = (min(best, d), refs)
            near = _merge_near(found, walk, graph, tier, policy.probing.distance_step_m)
    shortest_m = plan.shortest.length_m
    return Route(
        role=role,
        geometry=walk.geometry,
        length_m=walk.length_m,
        walk_minutes=walk.length_m / rp.walk_speed_m_s / 60.0 if rp.walk_speed_m_s > 0 else float("nan"),
        band=band_of(100 * stretch, policy),
        score=100 * stretch,
        mean_exposure=walk.mean_risk,
        peak_exposure=float(walk.risk.max(initial=0.0)),
        exposure=walk.exposure,
        detour_m=walk.length_m - shortest_m,
        detour_ratio=(walk.length_m - shortest_m) / shortest_m if shortest_m > 0 else 0.0,
        riskiest_street=riskiest,
        alpha=walk.alpha,
        segments=segments,
        near=tuple(near),
    )


def _merge_near(
    found: dict[tuple[int, str], tuple[float, set[str]]], walk: Walk, graph: WalkGraph, tier: str,
    step_m: float = DEFAULT_STEP_M,
) -> list[NearSegment]:
    """One entry per run of consecutive pieces on the same street near the same kind of place."""
    runs: list[dict[str, Any]] = []
    last: dict[str, dict[str, Any]] = {}
    for (p, kind), (d, refs) in sorted(found.items()):
        e = int(walk.edges[p])
        street = _street(graph, e)
        prev = last.get(kind)
        if prev is not None and prev["street"] == street and prev["last"] == p - 1:
            prev["ids"].append(int(graph.edge_segment_id[e]))
            prev["d"] = min(prev["d"], d)
            prev["refs"] |= refs
            prev["last"] = p
            continue
        run = {"first": p, "last": p, "kind": kind, "street": street, "ids": [int(graph.edge_segment_id[e])],
               "d": d, "refs": set(refs)}
        runs.append(run)
        last[kind] = run
    return [
        NearSegment(
            street=r["street"],
            segment_ids=tuple(dict.fromkeys(r["ids"])),
            kind=r["kind"],
            distance_m=float(r["d"]),
            refs=tuple(sorted(r["refs"])) if tier == "analyst" else (),
            tier=tier,
            step_m=step_m,
        )
        for r in sorted(runs, key=lambda r: (r["first"], r["kind"]))
    ]


def _streets_list(near: Sequence[NearSegment], kind: str) -> list[str]:
    seen: list[str] = []
    for n in near:
        if n.kind == kind and n.street not in seen:
            seen.append(n.street)
    return seen


def _recommend(
    routes: list[Route], beyond: Route | None, plan: RoutePlan, policy: Policy, tier: str,
    distance: WalkingDistance | None = None,
) -> Recommendation:
    rp = policy.routing
    bands = list(policy.scoring.bands)
    bar = rp.assisted_transport_band
    bar_rank = bands.index(bar)
    shortest = routes[0]
    lowest = next((r for r in routes if r.role == "lowest_risk"), shortest)
    # the lowest-risk walk is the lowest band found within the cap (geo_risk.routing.paths): no
    # walk listed is in a lower one, so the bar is read from it
    meets = bands.index(lowest.band) >= bar_rank
    allowance = detour_allowance_m(shortest.length_m, rp)
    window = f"{rp.band_window_m:.0f} m"

    reasons = [
        (
            f"The lowest-risk walk within the detour cap is {lowest.length_m:.0f} m "
            f"(about {lowest.walk_minutes:.0f} min) "
            f"and is {lowest.band} at its riskiest {window} stretch, near {lowest.riskiest_street}; "
            "no walk found within the detour cap is in a lower band."
        )
    ]
    if lowest is shortest:
        reasons.append("No lower-risk walk was found within the detour cap: the lowest-risk walk is the shortest.")
    elif lowest.detour_m >= 1.0:
        reasons.append(
            f"The shortest walk ({shortest.length_m:.0f} m) is {shortest.band}; the lowest-risk walk adds "
            f"{lowest.detour_m:.0f} m ({100 * lowest.detour_ratio:.0f} %)."
        )
    else:
        reasons.append(
            f"The shortest walk ({shortest.length_m:.0f} m) is {shortest.band}; the lowest-risk walk is as long "
            "and passes less risk on the way."
        )
    if beyond is not None:
        if bands.index(beyond.band) < bands.index(lowest.band):
            reasons.append(
                f"A walk in a lower band ({beyond.band}) exists but is {beyond.detour_m:.0f} m longer than the "
                f"shortest, beyond the detour cap of {allowance:.0f} m."
            )
        else:
            reasons.append(
                f"A walk with less risk on the way (also {beyond.band}) exists but is {beyond.detour_m:.0f} m "
                f"longer than the shortest, beyond the detour cap of {allowance:.0f} m."
            )
    for kind, words in _CONCERN_WORDS.items():
        streets = _streets_list(lowest.near, kind)
        if streets:
            closest = min(n.distance_m for n in lowest.near if n.kind == kind)
            named = ", ".join(streets[:_MAX_STREETS])
            if len(streets) > _MAX_STREETS:
                named += f" and {len(streets) - _MAX_STREETS} other street(s)"
            reasons.append(f"The lowest-risk walk passes within {_metres(closest, tier, policy.probing.distance_step_m)} of {words}: near {named}.")
    if meets:
        reasons.append(
            f"Safety: every walk found within the detour cap ({allowance:.0f} m over the shortest) is {bar} or "
            f"above, the policy's bar for assisted transport; the lowest-risk of them is {lowest.band}."
        )
    else:
        reasons.append(
            f"Safety: the lowest-risk walk within the detour cap is {lowest.band}, below {bar}, "
            f"the policy's bar for assisted transport."
        )
    if distance is not None:
        reasons.append(f"Distance: {distance.text}")
    reasons.append(f"Policy version {policy.version}.")
    return Recommendation(
        meets_bar=bool(meets),
        text=MEETS_BAR if meets else NOT_MEETS_BAR,
        reasons=tuple(reasons),
        bar_band=bar,
        policy_version=policy.version,
        walking_distance=distance,
    )
