"""Every audience projection (geo_risk.tiers) is walked: no tier below the analyst's carries a
continuous risk number, and each result kind's analyst tier keeps what the lower tiers keep."""

from __future__ import annotations

import dataclasses

import pytest

from geo_risk import tiers
from geo_risk.scoring.assessment import Assessment, Factor, Freshness, PlacementRanking, RankedCandidate
from tests._tree import keys, numbers

# Keys that carry a continuous risk number (or an exact distance to someone's places) in any result.
RISK_NUMBER_KEYS = {"score", "value", "raw", "weight", "contribution", "threshold", "nearest_adversary_m",
                    "nearest_exploiter_m", "mean_exposure", "peak_exposure", "exposure", "alpha", "mean_risk",
                    "peak_risk", "distance_m", "rate_ratio", "ci_low", "ci_high", "percentile"}
# Numbers a lower tier may carry: the rank, and the candidate point the user gave.
ALLOWED_NUMBERS = ("rank", "point")
CANARY = 87.65


def _spec_keys(spec) -> set[str]:
    out = set()
    for key, sub in spec.items():
        out.add(key)
        if isinstance(sub, list):
            out |= _spec_keys(sub[0])
        elif sub is not tiers.KEEP:
            out |= _spec_keys(sub)
    return out


@pytest.mark.parametrize(("kind", "tier"), [(k, t) for k, p in tiers.PROJECTIONS.items() for t in p])
def test_no_lower_tier_declares_a_risk_number(kind, tier):
    declared = _spec_keys(tiers.PROJECTIONS[kind][tier])
    if tier == "analyst":
        assert declared  # the analyst tier is declared too
        return
    assert not declared & RISK_NUMBER_KEYS, f"{kind}/{tier} carries {sorted(declared & RISK_NUMBER_KEYS)}"
    assert declared <= _spec_keys(tiers.PROJECTIONS[kind]["analyst"])


def _ranking() -> PlacementRanking:
    factor = Factor(name="conflict_exposure", value=CANARY / 100, raw=CANARY, weight=CANARY, contribution=CANARY,
                    threshold=CANARY / 100, lifts_band=True)
    a = Assessment(child="YP-1", point=(600000.0, 860000.0), as_of="2026-11-20T12:00:00", score=CANARY, band="High",
                   lifted_by=("conflict_exposure",), factors=(factor,), nearest_adversary_m=CANARY,
                   nearest_exploiter_m=CANARY, reasons_analyst=("near place P1",), reasons_housing=("within 100 m",),
                   evidence=("P1",), freshness=Freshness("2026-11-01", None, None), confidence="high",
                   policy_version="p", inputs_hash="h")
    return PlacementRanking(child="YP-1", as_of=a.as_of, policy_version="p",
                            candidates=(RankedCandidate(1, "ZZ1 1AA", a),
                                        RankedCandidate(2, "ZZ1 1AB", dataclasses.replace(a, band="Very high"))))


RESULTS = {"placement": lambda: _ranking().to_dict(audience="analyst"),
           "placement_assessment": lambda: _ranking().candidates[0].assessment.to_dict(audience="analyst"),
           "placement_factor": lambda: _ranking().candidates[0].assessment.factors[0].to_dict(audience="analyst")}


def test_every_projection_has_a_result_to_walk():
    assert set(RESULTS) == set(tiers.PROJECTIONS)


@pytest.mark.parametrize(("kind", "tier"), [(k, t) for k, p in tiers.PROJECTIONS.items() for t in p])
def test_projected_results_carry_no_risk_number_below_the_analyst(kind, tier):
    full = RESULTS[kind]()
    assert CANARY in numbers(full) or CANARY / 100 in numbers(full)  # the walker sees them in the full result
    shown = tiers.project(kind, tier, full)
    if tier == "analyst":
        assert shown == full
        return
    assert not keys(shown) & RISK_NUMBER_KEYS
    assert not {CANARY, CANARY / 100} & set(numbers(shown, skip=ALLOWED_NUMBERS))


def test_a_projection_refuses_a_result_missing_a_declared_field_and_an_unknown_tier():
    full = _ranking().to_dict(audience="analyst")
    del full["candidates"][0]["assessment"]["band"]
    with pytest.raises(ValueError, match="band"):
        tiers.project("placement", "housing", full)
    partial = tiers.project("placement", "housing", full, partial=True)
    assert "band" not in partial["candidates"][0]["assessment"]
    with pytest.raises(ValueError, match="school"):
        tiers.project("placement", "school", full)


def test_a_field_no_projection_names_reaches_no_tier():
    full = _ranking().to_dict(audience="analyst")
    full["candidates"][0]["assessment"]["new_number"] = CANARY
    for tier in tiers.tiers_of("placement"):
        assert "new_number" not in keys(tiers.project("placement", tier, full))
