"""The placement check: is this address risky for this young person, and which candidate is safest?"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_risk.config import Policy
from geo_risk.crs import EastNorth
from geo_risk.errors import ValidationError
from geo_risk.network._time import as_timestamp
from geo_risk.scoring.assessment import Assessment, PlacementRanking, RankedCandidate
from geo_risk.scoring.context import AreaModel, ScoringContext, ScoringSnapshot, policy_digest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Candidate:
    """A candidate address: a label (e.g. the postcode) and its point in EPSG:27700."""

    label: str
    point: EastNorth


def assess_location(
    child: str,
    point: EastNorth | tuple[float, float],
    as_of: Any,
    policy: Policy,
    *,
    context: ScoringContext | None = None,
    snapshot: ScoringSnapshot | None = None,
    people: pd.DataFrame | None = None,
    groups: pd.DataFrame | None = None,
    links: pd.DataFrame | None = None,
    places: gpd.GeoDataFrame | None = None,
    incidents: pd.DataFrame | None = None,
    surface: AreaModel | None = None,
    area_percentile: float | None = None,
) -> Assessment:
    """Assess one point for one young person.

    Pass a prebuilt ``context`` (fastest; one per young person and ``as_of``), or a
    ``snapshot``, or the snapshot's frames (``people``, ``groups``, ``links``, ``places``,
    optionally ``incidents``) with a fitted ``surface``.

    Parameters
    ----------
    child
        The young person's pseudonym.
    point
        The candidate point: an :class:`~geo_risk.crs.EastNorth` or ``(easting, northing)`` in EPSG:27700.
    as_of
        The date the assessment is made for.
    policy
        The versioned policy.
    area_percentile
        Citywide area-intensity percentile (0-100) at the point, instead of a surface.

    Returns
    -------
    Assessment
    """
    ctx = _resolve_context(
        child, as_of, policy, context, snapshot, people, groups, links, places, incidents, surface
    )
    xy = np.asarray([_xy(point)], dtype=float)
    pct = None if area_percentile is None else [area_percentile]
    return ctx.assess(xy, area_percentile=pct)[0]


def check_candidate_count(n: int, policy: Policy) -> None:
    """Refuse a placement check of no candidates or of more than ``policy.scoring.max_candidates``.

    The one statement of the limit: :func:`rank_placements` applies it, and the service layer
    applies it before it resolves any postcode.

    Raises
    ------
    ValidationError
        Saying how many were given and what the limit is.
    """
    limit = int(policy.scoring.max_candidates)
    if n <= 0:
        msg = "give at least one candidate address (a postcode or a point)"
        raise ValidationError(msg)
    if n > limit:
        msg = (
            f"{n} candidates given; a placement check takes at most {limit}. "
            "Shortlist the addresses, or split them into several checks"
        )
        raise ValidationError(msg)


def rank_placements(
    child: str,
    candidates: Sequence[Candidate | EastNorth | tuple[float, float]],
    as_of: Any,
    policy: Policy,
    *,
    context: ScoringContext | None = None,
    snapshot: ScoringSnapshot | None = None,
    people: pd.DataFrame | None = None,
    groups: pd.DataFrame | None = None,
    links: pd.DataFrame | None = None,
    places: gpd.GeoDataFrame | None = None,
    incidents: pd.DataFrame | None = None,
    surface: AreaModel | None = None,
    area_percentiles: Sequence[float] | np.ndarray | None = None,
) -> PlacementRanking:
    """Assess up to ``policy.scoring.max_candidates`` candidates and rank them **safest first**.

    Order (:func:`rank_key`): band (Low first), then the child-specific band, then score (lowest
    first), then the order the candidates were given; points outside the data's coverage last.
    Rank 1 is the safest candidate. Inputs are as for :func:`assess_location`.

    Raises
    ------
    ValidationError
        With no candidates, or more than ``max_candidates`` (default 50).
    """
    check_candidate_count(len(candidates), policy)
    ctx = _resolve_context(
        child, as_of, policy, context, snapshot, people, groups, links, places, incidents, surface
    )
    labels = [c.label if isinstance(c, Candidate) else f"candidate {i + 1}" for i, c in enumerate(candidates)]
    xy = np.asarray([_xy(c.point if isinstance(c, Candidate) else c) for c in candidates], dtype=float)
    assessments = ctx.assess(xy, area_percentile=area_percentiles)
    order = sorted(range(len(assessments)), key=lambda i: rank_key(assessments[i], policy, i))
    ranked = tuple(
        RankedCandidate(rank=r + 1, label=labels[i], assessment=assessments[i]) for r, i in enumerate(order)
    )
    return PlacementRanking(
        child=ctx.child, as_of=ctx.as_of.isoformat(), policy_version=policy.version, candidates=ranked
    )


def rank_key(assessment: Assessment, policy: Policy, given: int) -> tuple:
    """Safest first: by band; within a band, a lower child-specific band first (a quiet area never
    makes up for a risk specific to the young person); then by score, then as given. A point the
    data do not cover comes after every point they do."""
    bands = list(policy.scoring.bands)
    if assessment.band not in bands:
        return (len(bands), len(bands), 0.0, given)
    child = bands.index(assessment.child_band) if assessment.child_band in bands else 0
    return (bands.index(assessment.band), child, assessment.score or 0.0, given)


def _xy(point: Any) -> tuple[float, float]:
    if isinstance(point, EastNorth):
        return (float(point.easting), float(point.northing))
    try:
        x, y = point
        return (float(x), float(y))
    except (TypeError, ValueError) as exc:
        msg = f"a candidate point must be EastNorth or (easting, northing), got {point!r}"
        raise TypeError(msg) from exc


def _resolve_context(
    child: str,
    as_of: Any,
    policy: Policy,
    context: ScoringContext | None,
    snapshot: ScoringSnapshot | None,
    people: pd.DataFrame | None,
    groups: pd.DataFrame | None,
    links: pd.DataFrame | None,
    places: gpd.GeoDataFrame | None,
    incidents: pd.DataFrame | None,
    surface: AreaModel | None,
) -> ScoringContext:
    as_of = as_timestamp(as_of)
    if context is not None:
        same_policy = context.policy is policy or context.policy_digest == policy_digest(policy)
        if context.child != str(child) or context.as_of != as_of or not same_policy:
            msg = "the scoring context was built for another young person, date or policy; build one for this check"
            raise ValueError(msg)
        if context.evidence_mode != "as_confirmed":
            msg = ("a placement check weighs every evidence grade as confirmed; build its context with "
                   "snapshot.context(child, as_of, policy, evidence='as_confirmed')")
            raise ValueError(msg)
        return context
    if snapshot is None:
        parts = {"people": people, "groups": groups, "links": links, "places": places}
        missing = [name for name, frame in parts.items() if frame is None]
        if missing:
            msg = f"pass context=, snapshot=, or the snapshot frames; missing: {', '.join(missing)}"
            raise TypeError(msg)
        snapshot = ScoringSnapshot.from_frames(
            people=people, groups=groups, links=links, places=places, incidents=incidents, surface=surface
        )
    return ScoringContext.build(snapshot, child, as_of, policy, evidence="as_confirmed")
