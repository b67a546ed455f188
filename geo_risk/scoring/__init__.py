"""Location assessment: components -> score, band, factors, reasons, confidence and an inputs hash.

Build once per data snapshot, then once per young person and date::

    snapshot = ScoringSnapshot.from_frames(people=..., groups=..., links=..., places=..., incidents=...,
                                           surface=forecast_surface(incidents, as_of, policy.surface))
    context = snapshot.context("YP-0042", as_of, policy)
    ranking = rank_placements("YP-0042", candidates, as_of, policy, context=context)

Scores are advisory. See :mod:`geo_risk.scoring.context` for how a point is scored.
"""

from geo_risk.scoring._explain import area_words
from geo_risk.scoring.assessment import Assessment, Factor, Freshness, PlacementRanking, RankedCandidate
from geo_risk.scoring.context import (
    ScoringContext,
    ScoringSnapshot,
    fit_area_surface,
    surface_fingerprint,
    validate_points,
)
from geo_risk.scoring.placement import Candidate, assess_location, rank_placements

__all__ = [
    "Assessment",
    "Candidate",
    "Factor",
    "Freshness",
    "PlacementRanking",
    "RankedCandidate",
    "ScoringContext",
    "ScoringSnapshot",
    "area_words",
    "assess_location",
    "fit_area_surface",
    "rank_placements",
    "surface_fingerprint",
    "validate_points",
]
