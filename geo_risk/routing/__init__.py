"""School travel routes: the walk graph, lowest-risk walks and the assisted-transport recommendation.

The core is pure: build a :class:`WalkGraph` once per data snapshot with
:func:`build_walk_graph`, then call :func:`assess_route` with the young
person's risk along the streets (a ``risk_fn``, see
:func:`geo_risk.routing.adapters.child_risk_fn`) for each check.
"""

from geo_risk.routing.adapters import child_concern_sites, child_risk_fn, school_run_surface
from geo_risk.routing.assess import (
    ADVISORY,
    MEETS_BAR,
    NOT_MEETS_BAR,
    ConcernSite,
    Endpoint,
    NearSegment,
    Recommendation,
    Route,
    RouteAssessment,
    RouteSegment,
    WalkingDistance,
    assess_route,
    band_of,
)
from geo_risk.routing.graph import Snap, WalkGraph, build_walk_graph, snap_points
from geo_risk.routing.paths import RoutePlan, Walk, detour_allowance_m, plan_routes
from geo_risk.routing.risk import RiskFn, edge_risk, sample_line
from geo_risk.routing.schoolrun import add_time_weight, in_school_window

__all__ = [
    "ADVISORY",
    "MEETS_BAR",
    "NOT_MEETS_BAR",
    "ConcernSite",
    "Endpoint",
    "NearSegment",
    "Recommendation",
    "RiskFn",
    "Route",
    "RouteAssessment",
    "RoutePlan",
    "RouteSegment",
    "Snap",
    "Walk",
    "WalkGraph",
    "WalkingDistance",
    "add_time_weight",
    "assess_route",
    "band_of",
    "build_walk_graph",
    "child_concern_sites",
    "child_risk_fn",
    "detour_allowance_m",
    "edge_risk",
    "in_school_window",
    "plan_routes",
    "sample_line",
    "school_run_surface",
    "snap_points",
]
