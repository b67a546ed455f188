"""Relative rate index and its Katz interval (issue 8)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from geo_risk.errors import ValidationError
from geo_risk.fairness.disproportionality import (
    disproportionality,
    katz_interval,
    person_outcomes,
    relative_rate_index,
    worst_band,
)

# Hand-computed example. Group "Black": 30 young people flagged out of a population of
# 1,000; reference "White": 20 out of 2,000.
#   rate_Black = 30/1000 = 0.030, rate_White = 20/2000 = 0.010, RRI = 0.030/0.010 = 3
#   se(ln RRI) = sqrt(1/30 - 1/1000 + 1/20 - 1/2000) = sqrt(0.0818333...) = 0.2860653
#   95 %: exp(ln 3 -/+ 1.959964 * 0.2860653) = exp(1.0986123 -/+ 0.5606770) = [1.71247, 5.25558]
# Group "Asian": 4 out of 500 -> rate 0.008, RRI 0.8,
#   se = sqrt(1/4 - 1/500 + 1/20 - 1/2000) = 0.5454356, CI = [0.27467, 2.33005].
HAND = {"Black": (3.0, 1.71247, 5.25558), "Asian": (0.8, 0.27467, 2.33005)}


def _counts() -> pd.DataFrame:
    return pd.DataFrame({"group": ["White", "Black", "Asian"], "events": [20, 30, 4],
                         "population": [2000, 1000, 500]})


def test_katz_interval_matches_hand_computation():
    rr, low, high = katz_interval(30, 1000, 20, 2000)
    assert float(rr) == pytest.approx(3.0)
    assert float(low) == pytest.approx(1.71247, abs=5e-5)
    assert float(high) == pytest.approx(5.25558, abs=5e-5)


def test_rri_matches_hand_computed_example_and_flags_only_significant():
    ratios = {r.group: r for r in relative_rate_index(_counts(), reference="White", dimension="ethnicity",
                                                       outcome="flagged")}
    for group, (rri, low, high) in HAND.items():
        assert ratios[group].rri == pytest.approx(rri)
        assert ratios[group].ci_low == pytest.approx(low, abs=5e-5)
        assert ratios[group].ci_high == pytest.approx(high, abs=5e-5)
    assert ratios["Black"].significant  # lower bound 1.71 > 1
    assert not ratios["Asian"].significant  # interval spans 1
    assert ratios["Asian"].note.startswith("fewer than 5 events")
    assert ratios["White"].rri == pytest.approx(1.0) and math.isnan(ratios["White"].ci_low)
    assert not ratios["White"].significant and ratios["White"].note == "reference group"
    assert ratios["Black"].rate == pytest.approx(0.03) and ratios["Black"].reference_rate == pytest.approx(0.01)


def test_confidence_level_widens_interval():
    r95 = relative_rate_index(_counts(), reference="White")[1]
    r99 = relative_rate_index(_counts(), reference="White", confidence=0.99)[1]
    assert r99.ci_low < r95.ci_low and r99.ci_high > r95.ci_high
    # z at 99 % is 2.575829: exp(ln 3 - 2.575829 * 0.2860653) = exp(0.361754) = 1.43585
    assert r99.ci_low == pytest.approx(1.43585, abs=5e-5)


def test_zero_events_give_no_interval_and_no_flag():
    counts = pd.DataFrame({"group": ["White", "Mixed"], "events": [20, 0], "population": [2000, 300]})
    mixed = relative_rate_index(counts, reference="White")[1]
    assert mixed.rri == 0.0
    assert math.isnan(mixed.ci_low) and math.isnan(mixed.ci_high)
    assert not mixed.significant
    assert "cannot be estimated" in mixed.note
    no_ref = pd.DataFrame({"group": ["White", "Black"], "events": [0, 5], "population": [2000, 300]})
    black = relative_rate_index(no_ref, reference="White")[1]
    assert math.isnan(black.rri) and not black.significant


def test_unknown_reference_names_the_choices():
    with pytest.raises(ValidationError, match="Asian, Black, White"):
        relative_rate_index(_counts(), reference="Other")


def _people_for_hand_example() -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = []
    n = 0

    def add(group: str, k: int, *, flagged: bool, area: str = "X01000001", child: bool = True) -> None:
        nonlocal n
        for _ in range(k):
            n += 1
            rows.append({"pseudonym": f"YP-{n:04d}", "is_child": child, "cce_concern": flagged, "cse_concern": False,
                         "sex": "Female", "ethnicity": group, "home_area_code": area})

    # Flagged split across two areas; plus people who must not count.
    add("White", 12, flagged=True)
    add("White", 8, flagged=True, area="X01000002")
    add("White", 40, flagged=False)
    add("Black", 30, flagged=True, area="X01000002")
    add("Black", 10, flagged=False)
    add("Asian", 4, flagged=True)
    add("Black", 5, flagged=True, area=None)  # home area unknown
    add("Black", 3, flagged=True, area="X01999999")  # area without denominators
    add("Martian", 2, flagged=True)  # group not in the denominators
    add("Black", 6, flagged=True, child=False)  # adults are not counted
    people = pd.DataFrame(rows)
    population = pd.DataFrame(
        [
            ("X01000001", "ethnicity", "White", 1200), ("X01000002", "ethnicity", "White", 800),
            ("X01000001", "ethnicity", "Black", 400), ("X01000002", "ethnicity", " black ", 600),
            ("X01000001", "ethnicity", "Asian", 500),
            ("X01000001", "sex", "Female", 1500), ("X01000001", "sex", "Male", 1500),
        ],
        columns=["area_code", "dimension", "group", "count"],
    )
    return people, population


def test_disproportionality_from_people_matches_hand_example():
    people, population = _people_for_hand_example()
    outcomes = person_outcomes(people, pd.DataFrame(columns=["child_pseudonym"]),
                               pd.DataFrame(columns=["child_pseudonym", "result"]))
    result = disproportionality(outcomes, population, dimension="ethnicity", outcomes_wanted=["flagged"])
    assert result.reference == "White"  # largest population by default
    ratios = {r.group: r for r in result.ratios if r.area == "all"}
    for group, (rri, low, high) in HAND.items():
        assert ratios[group].rri == pytest.approx(rri)
        assert ratios[group].ci_low == pytest.approx(low, abs=5e-5)
        assert ratios[group].ci_high == pytest.approx(high, abs=5e-5)
    assert ratios["Black"].events == 30 and ratios["Black"].population == 1000
    assert [r.group for r in result.flagged] == ["Black"]
    assert result.excluded_no_area == 8
    assert result.excluded_unknown_group == 2
    assert result.young_people == 60 + 40 + 4


def test_disproportionality_by_area_compares_within_each_area():
    people, population = _people_for_hand_example()
    outcomes = person_outcomes(people, pd.DataFrame(columns=["child_pseudonym"]),
                               pd.DataFrame(columns=["child_pseudonym", "result"]))
    result = disproportionality(outcomes, population, dimension="ethnicity", outcomes_wanted=["flagged"],
                                by_area=True)
    area2 = {r.group: r for r in result.ratios if r.area == "X01000002"}
    # Area X01000002: Black 30/600 = 0.05, White 8/800 = 0.01 -> RRI 5.
    assert area2["Black"].rri == pytest.approx(5.0)
    assert area2["Asian"].population == 0 and area2["Asian"].note == "no population in this group"


def test_outcomes_referred_and_assessed_high():
    people = pd.DataFrame({"pseudonym": ["YP-1", "YP-2", "YP-3"], "cce_concern": [False, True, False],
                           "cse_concern": [False, False, True]})
    referrals = pd.DataFrame({"child_pseudonym": ["YP-1", "YP-1"]})
    assessments = pd.DataFrame({
        "child_pseudonym": ["YP-2", "YP-3", "YP-3"],
        "result": [
            {"candidates": [{"band": "Low"}, {"band": "Very high"}]},  # worst of a ranking counts
            {"band": "Medium"},
            {"routes": {"lowest_risk": {"band": "Medium"}}},
        ],
    })
    out = person_outcomes(people, referrals, assessments)
    assert out["flagged"].tolist() == [False, True, True]
    assert out["referred"].tolist() == [True, False, False]
    assert out["assessed_high"].tolist() == [False, True, False]
    assert worst_band({"a": [{"band": "High"}, {"band": "Low"}]}, ("Low", "Medium", "High", "Very high")) == "High"


def test_sex_dimension_and_explicit_reference():
    people = pd.DataFrame({
        "pseudonym": [f"YP-{i}" for i in range(30)], "is_child": True,
        "cce_concern": [True] * 20 + [False] * 10, "cse_concern": False,
        "sex": ["Male"] * 15 + ["Female"] * 5 + ["Female"] * 10, "ethnicity": None, "home_area_code": "A1",
    })
    population = pd.DataFrame({"area_code": ["A1", "A1"], "dimension": ["sex", "sex"], "group": ["Male", "Female"],
                               "count": [100, 100]})
    out = person_outcomes(people, pd.DataFrame(columns=["child_pseudonym"]),
                          pd.DataFrame(columns=["child_pseudonym", "result"]))
    result = disproportionality(out, population, dimension="sex", outcomes_wanted=["flagged"], reference="female")
    male = next(r for r in result.ratios if r.group == "Male")
    assert result.reference == "Female"
    assert male.rri == pytest.approx(3.0)  # 15/100 over 5/100
    with pytest.raises(ValidationError, match="dimension must be one of"):
        disproportionality(out, population, dimension="religion")
    with pytest.raises(ValidationError, match="no population denominators for ethnicity"):
        disproportionality(out, population, dimension="ethnicity")


def test_frame_export_has_one_row_per_ratio():
    people, population = _people_for_hand_example()
    outcomes = person_outcomes(people, pd.DataFrame(columns=["child_pseudonym"]),
                               pd.DataFrame(columns=["child_pseudonym", "result"]))
    result = disproportionality(outcomes, population, dimension="ethnicity")
    frame = result.to_frame()
    assert len(frame) == 3 * 3  # three outcomes x three groups
    assert set(frame["outcome"]) == {"flagged", "referred", "assessed_high"}
    assert np.isnan(frame.loc[frame["outcome"] == "referred", "rri"]).all()  # no one referred: no index
