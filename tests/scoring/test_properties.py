"""Properties of placement scores that must hold for any evidence (issue 4)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo_risk.config import Policy
from geo_risk.scoring import ScoringSnapshot
from tests._network_frames import groups_frame, links_frame, people_frame, places_frame
from tests.scoring._world import AS_OF, PEOPLE, PLACES, X0, Y0, conflict

POLICY = Policy.default()
GRADES = st.sampled_from("ABCDE")
AGES = st.floats(min_value=0, max_value=900, allow_nan=False)
OFFSETS = st.floats(min_value=-1500, max_value=1500, allow_nan=False)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _context(links):
    snapshot = ScoringSnapshot.from_frames(
        people=people_frame(PEOPLE),
        groups=groups_frame(["G1"]),
        links=links_frame(links, as_of=AS_OF),
        places=places_frame(PLACES, as_of=AS_OF),
    )
    return snapshot.context("YP-1", AS_OF, POLICY)


@SETTINGS
@given(grade=GRADES, age=AGES, dx=OFFSETS, dy=OFFSETS, pct=st.floats(0, 100))
def test_scores_are_bounded_and_the_band_is_the_worse_of_area_and_child_bands(grade, age, dx, dy, pct):
    ctx = _context([conflict("L1", "YP-1", "YP-2", evidence_grade=grade, age_days=age)])
    (a,) = ctx.assess(np.array([[X0 + dx, Y0 + dy]]), area_percentile=[pct])
    assert 0.0 <= a.score <= 100.0
    assert all(0.0 <= f.value <= 1.0 for f in a.factors)
    assert abs(sum(f.contribution for f in a.factors) - a.score) < 0.051
    contributions = [f.contribution for f in a.factors]
    assert contributions == sorted(contributions, reverse=True)
    bands = list(POLICY.scoring.bands)
    high = POLICY.scoring.child_band_edges[1]
    if a.factor("conflict_exposure").value >= high:
        assert a.band in ("High", "Very high")
    else:
        assert a.lifted_by == ()
    # the band is the worse of the two, and never better than either
    assert bands.index(a.band) == max(bands.index(a.area_band), bands.index(a.child_band))


@SETTINGS
@given(grade=GRADES, age=AGES, older=st.floats(min_value=1, max_value=400), dx=OFFSETS)
def test_older_evidence_never_raises_the_score(grade, age, older, dx):
    point = np.array([[X0 + dx, Y0]])
    fresh = _context([conflict("L1", "YP-1", "YP-2", evidence_grade=grade, age_days=age)])
    stale = _context([conflict("L1", "YP-1", "YP-2", evidence_grade=grade, age_days=age + older)])
    a = fresh.assess(point, area_percentile=[30.0])[0]
    b = stale.assess(point, area_percentile=[30.0])[0]
    assert b.factor("conflict_exposure").raw <= a.factor("conflict_exposure").raw
    assert b.score <= a.score


@SETTINGS
@given(better=st.sampled_from("ABCD"), age=AGES, dx=OFFSETS)
def test_better_grades_never_weigh_less(better, age, dx):
    worse = "ABCDE"["ABCDE".index(better) + 1]
    point = np.array([[X0 + dx, Y0]])
    a = _context([conflict("L1", "YP-1", "YP-2", evidence_grade=better, age_days=age)])
    b = _context([conflict("L1", "YP-1", "YP-2", evidence_grade=worse, age_days=age)])
    assert (
        b.assess(point, area_percentile=[0.0])[0].factor("conflict_exposure").raw
        <= a.assess(point, area_percentile=[0.0])[0].factor("conflict_exposure").raw
    )


@SETTINGS
@given(xs=st.lists(st.tuples(OFFSETS, OFFSETS), min_size=1, max_size=12))
def test_scoring_many_points_at_once_equals_one_at_a_time(xs):
    ctx = _context(
        [
            conflict("L1", "YP-1", "YP-2", evidence_grade="B", age_days=40),
            {"link_id": "X1", "from_key": "A-1", "to_key": "YP-1", "type": "exploits", "age_days": 10},
        ]
    )
    pts = np.array([[X0 + dx, Y0 + dy] for dx, dy in xs])
    pct = np.linspace(0, 100, len(pts))
    together = ctx.assess(pts, area_percentile=pct)
    alone = [ctx.assess(pts[i : i + 1], area_percentile=pct[i : i + 1])[0] for i in range(len(pts))]
    assert [a.to_json(audience="analyst") for a in together] == [a.to_json(audience="analyst") for a in alone]
