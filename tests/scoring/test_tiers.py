"""The housing tier carries bands, ranks and plain words, never a score or a factor's value.

A housing officer who probes many addresses could triangulate a place of concern from
continuous numbers (the score, the factors' values), so those stay in the analyst tier.
"""

from __future__ import annotations

import json
import re

import pytest

from geo_risk.scoring import assess_location, rank_placements
from geo_risk.scoring.assessment import FACTOR_LABELS
from tests._tree import keys, numbers
from tests.scoring._world import AS_OF, X0, Y0, conflict

FRESH_A = conflict("L1", "YP-1", "YP-2", evidence_grade="A")
EXPLOITS = {"link_id": "X1", "from_key": "A-1", "to_key": "YP-1", "type": "exploits", "evidence_grade": "A"}
HOUSING_KEYS = {"kind", "child", "point", "as_of", "band", "lifted_by", "factors", "reasons", "freshness",
                "confidence", "policy_version", "inputs_hash", "advisory", "outcome", "flags", "area_band", "child_band"}
NUMBERS = ("score", "value", "raw", "weight", "contribution", "threshold", "nearest_adversary_m",
           "nearest_exploiter_m")


def _assess(world, policy, links, point=(X0, Y0), pct=42.0):
    return assess_location("YP-1", point, AS_OF, policy, area_percentile=pct, **world(links=links))






def test_housing_tier_has_the_band_and_factor_names_but_no_numbers(world, policy):
    a = _assess(world, policy, [FRESH_A, EXPLOITS])
    housing = a.to_dict(audience="housing")
    assert set(housing) == HOUSING_KEYS
    assert not keys(housing) & set(NUMBERS)
    # the factors' names in order of contribution, nothing else
    assert housing["factors"] == [{"name": f.name, "label": FACTOR_LABELS[f.name]} for f in a.factors]
    analyst = a.to_dict(audience="analyst")["factors"]
    assert [f["name"] for f in housing["factors"]] == [f["name"] for f in analyst]  # the same order
    assert housing["factors"][0]["name"] == "conflict_exposure"
    assert housing["band"] == a.band and housing["lifted_by"] == list(a.lifted_by)
    assert housing["confidence"] == a.confidence and housing["inputs_hash"] == a.inputs_hash
    assert housing["policy_version"] == policy.version and housing["freshness"] == a.freshness.to_dict()
    # no number but the address's own point: a score that leaked back would be caught here
    assert numbers(housing, skip=("point",)) == []
    assert f'"score":{a.score}' not in a.to_json()


def test_analyst_tier_keeps_the_score_and_the_factor_values(world, policy):
    a = _assess(world, policy, [FRESH_A, EXPLOITS])
    analyst = a.to_dict(audience="analyst")
    assert analyst["score"] == a.score and a.score > 0
    for f, d in zip(a.factors, analyst["factors"], strict=True):
        assert d["name"] == f.name
        assert d["value"] == round(f.value, 4) and d["contribution"] == round(f.contribution, 2)
        assert {"raw", "weight", "threshold", "lifts_band"} <= set(d)
    assert analyst["nearest_adversary_m"] is not None and analyst["reasons_analyst"]
    assert set(analyst) - HOUSING_KEYS == {"score", "nearest_adversary_m", "nearest_exploiter_m", "reasons_analyst",
                                           "evidence"}


def test_factor_to_dict_defaults_to_the_housing_tier(world, policy):
    a = _assess(world, policy, [FRESH_A])
    f = a.factor("conflict_exposure")
    assert f.to_dict() == {"name": "conflict_exposure", "label": "Conflict exposure"}
    assert f.to_dict(audience="analyst")["value"] == round(f.value, 4)
    with pytest.raises(ValueError, match="audience must be one of"):
        f.to_dict(audience="school")
    with pytest.raises(ValueError, match="audience must be one of"):
        a.to_dict(audience="transport")


@pytest.mark.parametrize(("pct", "words"), [
    (97.0, "among the busiest tenth"),
    (90.0, "among the busiest tenth"),
    (80.0, "among the busiest quarter"),
    (63.0, "busier than half"),
    (7.0, "quieter than half"),
])
def test_housing_reasons_give_the_area_level_in_words_not_its_percentile(world, policy, pct, words):
    a = _assess(world, policy, [FRESH_A], point=(X0 - 800, Y0), pct=pct)
    assert f"Recorded incidents around this address: {words}, compared with the area covered." in a.reasons_housing
    text = " ".join(a.reasons_housing)
    assert f"{pct:.0f}" not in text and "%" not in text and "percentile" not in text
    # the only numbers in the housing wording are distances rounded up to the policy's step (500 m)
    assert all(int(n) % 500 == 0 for n in re.findall(r"\d+", text))
    assert re.findall(r"\d+", text) == re.findall(r"(\d+) m\b", text)
    assert any(re.search(rf"\b{pct:.0f}(st|nd|rd|th) percentile of the area covered", r)
               for r in a.reasons_analyst)  # the analyst keeps it


def test_ranking_still_uses_the_score_but_the_housing_json_does_not_carry_it(world, policy):
    # two Low candidates told apart by their scores only: the quieter is safer
    ranking = rank_placements("YP-1", [(X0 - 3000, Y0), (X0 - 3000, Y0 + 500)], AS_OF, policy,
                              area_percentiles=[30.0, 10.0], **world(links=[]))
    first, second = ranking.candidates
    assert first.assessment.band == second.assessment.band == "Low"
    assert first.assessment.score < second.assessment.score and first.label == "candidate 2"
    housing = json.loads(ranking.to_json())
    assert [c["rank"] for c in housing["candidates"]] == [1, 2]
    assert [c["label"] for c in housing["candidates"]] == ["candidate 2", "candidate 1"]
    assert not keys(housing) & set(NUMBERS)
    assert sorted(numbers(housing, skip=("point",))) == [1.0, 2.0]  # the ranks
    analyst = json.loads(ranking.to_json(audience="analyst"))
    assert [c["assessment"]["score"] for c in analyst["candidates"]] == [first.assessment.score,
                                                                          second.assessment.score]
