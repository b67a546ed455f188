"""Back-testing: hit rate and PAI by hand, fair ties, the rolling origin (issue 4)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geo_risk.config import SurfacePolicy
from geo_risk.errors import ValidationError
from geo_risk.surface.evaluate import (
    METHODS,
    backtest,
    boundary_grid,
    capture,
    hit_rate_pai,
    lsoa_area_grid,
    pei,
    summarise,
)

X0, Y0 = 358_000.0, 173_000.0
VIOLENCE = "Violence and sexual offences"


def test_hit_rate_and_pai_by_hand():
    scores = np.array([3.0, 2.0, 2.0, 1.0, 0.0])
    targets = np.array([1, 0, 2, 0, 1])
    # coverage 40 % of 5 cells = 2 cells: the 3 (1 target) plus one of the two tied 2s,
    # which hold 0 and 2 targets: expected capture 1 + (0 + 2) / 2 = 2 of 4 targets.
    assert capture(scores, targets, 2) == pytest.approx(2.0)
    hit, pai, k = hit_rate_pai(scores, targets, 0.4)
    assert k == 2
    assert hit == pytest.approx(0.5)
    assert pai == pytest.approx(0.5 / 0.4)
    # 20 %: one cell, no tie
    hit, pai, k = hit_rate_pai(scores, targets, 0.2)
    assert (k, hit, pai) == (1, pytest.approx(0.25), pytest.approx(1.25))
    # 100 %: everything
    assert hit_rate_pai(scores, targets, 1.0)[:2] == (pytest.approx(1.0), pytest.approx(1.0))


def test_ties_never_favour_a_method(rng):
    targets = rng.poisson(1.0, size=1000)
    flat = np.zeros(1000)
    for cov in (0.01, 0.05, 0.1):
        hit, pai, k = hit_rate_pai(flat, targets, cov)
        assert pai == pytest.approx(1.0)
        assert hit == pytest.approx(k / 1000)
    # expected capture equals the mean of many random tie-breaks
    scores = rng.integers(0, 3, size=200).astype(float)
    t = rng.poisson(2.0, size=200)
    k = 37
    draws = []
    for _ in range(3000):
        order = np.lexsort((rng.random(200), -scores))
        draws.append(t[order[:k]].sum())
    assert capture(scores, t, k) == pytest.approx(np.mean(draws), rel=0.01)


def test_flagged_area_is_exactly_k_cells():
    scores = np.array([5.0, 5.0, 5.0, 1.0])
    targets = np.array([3.0, 0.0, 0.0, 9.0])
    # one slot among three tied cells: a third of the first cell's targets
    assert capture(scores, targets, 1) == pytest.approx(1.0)
    with pytest.raises(ValidationError):
        capture(scores, targets, 5)


def test_boundary_grid_keeps_cells_whose_centre_is_inside():
    grid = boundary_grid(box(X0, Y0, X0 + 1000, Y0 + 500), 250.0)
    assert (grid.nx, grid.ny, grid.n_cells) == (4, 2, 8)
    tri = boundary_grid(box(X0, Y0, X0 + 1000, Y0 + 1000).difference(box(X0, Y0, X0 + 500, Y0 + 500)), 250.0)
    assert tri.n_cells == 12
    xy = np.array([[X0 + 10, Y0 + 10], [X0 + 900, Y0 + 900], [X0 + 901, Y0 + 901], [X0 - 5, Y0]])
    counts = tri.counts(xy)
    assert counts.sum() == 2  # the first point's cell is outside the L shape, the last is off the grid


def _hotspot_months(make_incidents, rng, months=("2025-01", "2025-02", "2025-03", "2025-04")):
    """Incidents that recur at a few fixed hot spots each month, plus background noise."""
    hot = np.array([[X0 + 300, Y0 + 300], [X0 + 1700, Y0 + 1200], [X0 + 900, Y0 + 1800]])
    frames = []
    for m in months:
        n_hot = rng.poisson(15, size=len(hot))
        pts = [np.repeat(hot[i : i + 1], n_hot[i], axis=0) for i in range(len(hot))]
        pts.append(rng.uniform([X0, Y0], [X0 + 2000, Y0 + 2000], size=(20, 2)))
        xy = np.vstack(pts)
        cats = rng.choice([VIOLENCE, "Robbery", "Anti-social behaviour"], size=len(xy))
        frames.append(make_incidents(xy, cats, pd.Timestamp(f"{m}-01"), has_time=False))
    return pd.concat(frames, ignore_index=True)


def test_backtest_rolls_over_months_and_finds_hot_spots(make_incidents, rng):
    inc = _hotspot_months(make_incidents, rng)
    area = box(X0, Y0, X0 + 2000, Y0 + 2000)
    policy = SurfacePolicy(bandwidth_m=50.0, half_life_days=90.0, cell_m=25.0, category_weights={VIOLENCE: 1.0})
    table = backtest(inc, area, policy=policy, cell_m=250.0, coverages=(0.05, 0.1), n_boot=50).table
    assert sorted(table["month"].unique()) == ["2025-02", "2025-03", "2025-04"]
    assert set(table["method"]) == set(METHODS)
    assert (table["n_cells"] == 64).all()
    assert (table["k_cells"].isin([3, 6])).all()
    means = summarise(table).set_index(["method", "coverage"])
    # 3 of 64 cells hold most targets: every method that remembers them has a PAI well above 1
    for method in METHODS:
        if method == "perfect":
            continue
        assert means.loc[(method, 0.05), "pai"] > 5
    assert ((table["hit_rate"] >= 0) & (table["hit_rate"] <= 1)).all()


def test_backtest_needs_a_month_of_history(make_incidents, rng):
    inc = _hotspot_months(make_incidents, rng, months=("2023-01",))
    with pytest.raises(ValidationError, match="at least 1 month"):
        backtest(inc, box(X0, Y0, X0 + 2000, Y0 + 2000), policy=SurfacePolicy(cell_m=25.0))
    two = _hotspot_months(make_incidents, rng, months=("2023-01", "2023-02"))
    with pytest.raises(ValidationError, match="fewer than 3 month"):
        backtest(two, box(X0, Y0, X0 + 2000, Y0 + 2000), policy=SurfacePolicy(cell_m=25.0), history=3,
                 test_months=["2023-02"])


def test_backtest_does_not_see_the_test_month(make_incidents, rng):
    # the test month's hot spot is somewhere the training months never were
    train = make_incidents(np.array([[X0 + 100, Y0 + 100]] * 30), VIOLENCE, pd.Timestamp("2025-01-01"))
    test = make_incidents(np.array([[X0 + 1900, Y0 + 1900]] * 30), VIOLENCE, pd.Timestamp("2025-02-01"))
    inc = pd.concat([train, test], ignore_index=True)
    policy = SurfacePolicy(bandwidth_m=50.0, cell_m=25.0, category_weights={VIOLENCE: 1.0})
    table = backtest(inc, box(X0, Y0, X0 + 2000, Y0 + 2000), policy=policy, coverages=(0.05,)).table
    model = table[table["method"] == "model"].iloc[0]
    assert model["hit_rate"] == 0.0
    # the long-run ceiling knows only the other months: the test month's cell is only among the
    # 63 tied empty cells sharing 2 of the 3 flagged slots; perfect foresight finds it
    by = table.set_index("method")
    assert by.loc["long_run", "hit_rate"] == pytest.approx(2 / 63)
    assert by.loc["perfect", "hit_rate"] == 1.0
    assert by.loc["perfect", "pei"] == 1.0


def test_pei_is_capture_over_the_best_capture():
    scores = np.array([3.0, 2.0, 1.0, 0.0])
    targets = np.array([1, 0, 5, 2])
    # 2 of 4 cells: the model flags 1 + 0 targets, the best two cells hold 5 + 2
    assert pei(scores, targets, 0.5) == pytest.approx(1 / 7)
    assert pei(targets.astype(float), targets, 0.5) == pytest.approx(1.0)


def _month_at(make_incidents, month, xy, category=VIOLENCE):
    return make_incidents(np.asarray(xy, dtype=float), category, pd.Timestamp(f"{month}-01"), has_time=False)


def test_history_limits_what_the_baselines_see_and_the_long_run_knows_the_future(make_incidents):
    a, b, c = [X0 + 125, Y0 + 125], [X0 + 625, Y0 + 625], [X0 + 1125, Y0 + 1125]
    inc = pd.concat(
        [
            _month_at(make_incidents, "2025-01", [a] * 9),  # an old hot spot
            _month_at(make_incidents, "2025-02", [b] * 2),
            _month_at(make_incidents, "2025-03", [b] * 3 + [c]),
            _month_at(make_incidents, "2025-04", [c] * 5),  # after the test month
        ],
        ignore_index=True,
    )
    area = box(X0, Y0, X0 + 2000, Y0 + 2000)
    policy = SurfacePolicy(bandwidth_m=50.0, cell_m=25.0, category_weights={VIOLENCE: 1.0})
    k1 = (1 / 64,)  # one cell
    full = backtest(inc, area, policy=policy, coverages=k1, test_months=["2025-03"], n_boot=0).table
    short = backtest(inc, area, policy=policy, coverages=k1, test_months=["2025-03"], history=1, n_boot=0).table
    f, s = full.set_index("method"), short.set_index("method")
    # all months before March: cell a (9) beats b (2); the last month only: b
    assert f.loc["all_prior", "captured"] == 0.0
    assert s.loc["all_prior", "captured"] == 3.0
    assert s.loc["previous_month", "captured"] == 3.0
    assert (f["history_months"] == 2).all() and (s["history_months"] == 1).all()
    # long run: every other month, April included: a (9) still leads c (5)
    assert f.loc["long_run", "captured"] == 0.0
    assert f.loc["perfect", "captured"] == 3.0


def test_bootstrap_intervals_bracket_the_means_and_pair_the_differences(make_incidents, rng):
    inc = _hotspot_months(make_incidents, rng, months=("2025-01", "2025-02", "2025-03", "2025-04", "2025-05"))
    policy = SurfacePolicy(bandwidth_m=50.0, cell_m=25.0, category_weights={VIOLENCE: 1.0})
    result = backtest(inc, box(X0, Y0, X0 + 2000, Y0 + 2000), policy=policy, coverages=(0.1,), n_boot=300)
    s = result.summary.set_index("method")
    for method in METHODS:
        for col in ("pai", "pei"):
            assert s.loc[method, f"{col}_lo"] <= s.loc[method, col] + 1e-9 <= s.loc[method, f"{col}_hi"] + 2e-9
    assert s.loc["perfect", "pei"] == 1.0
    d = result.differences.set_index("method")
    assert set(d.index) == set(METHODS) - {"model"}
    # the model minus itself would be 0; minus perfect foresight it is never positive
    assert d.loc["perfect", "pai_diff_hi"] <= 1e-9
    assert d.loc["perfect", "pai_diff"] == pytest.approx(s.loc["model", "pai"] - s.loc["perfect", "pai"])
    again = backtest(inc, box(X0, Y0, X0 + 2000, Y0 + 2000), policy=policy, coverages=(0.1,), n_boot=300)
    pd.testing.assert_frame_equal(again.summary, result.summary)  # a fixed seed: reproducible


def test_an_area_by_lsoa_name_is_the_cells_holding_its_incidents(make_incidents):
    inc = pd.concat(
        [
            _month_at(make_incidents, "2025-01", [[X0 + 10, Y0 + 10], [X0 + 600, Y0 + 10]]),
            _month_at(make_incidents, "2025-02", [[X0 + 1600, Y0 + 10]]),
        ],
        ignore_index=True,
    )
    inc["lsoa_name"] = ["Nottingham 001A", "Nottingham 002B", "Nottinghamshire 003C"]
    grid = lsoa_area_grid(inc, "Nottingham", 250.0)
    assert grid.n_cells == 2
    assert grid.counts(np.array([[X0 + 20, Y0 + 20], [X0 + 1600, Y0 + 10]])).sum() == 1
    with pytest.raises(ValidationError, match="LSOA name starting with 'Leeds'"):
        lsoa_area_grid(inc, "Leeds", 250.0)


def test_harm_weights_weigh_the_targets_of_every_method(make_incidents):
    # robbery in one cell, three times as much violence in another: by count violence leads,
    # by harm (robbery x 10) robbery does
    a, b = [X0 + 125, Y0 + 125], [X0 + 1125, Y0 + 125]
    frames = []
    for month in ("2025-01", "2025-02", "2025-03"):
        frames.append(make_incidents(np.array([a] * 2), "Robbery", pd.Timestamp(month), has_time=False))
        frames.append(make_incidents(np.array([b] * 6), VIOLENCE, pd.Timestamp(month), has_time=False))
    inc = pd.concat(frames, ignore_index=True)
    area = box(X0, Y0, X0 + 2500, Y0 + 2500)
    targets = ("Robbery", VIOLENCE)
    policy = SurfacePolicy(bandwidth_m=50.0, cell_m=25.0, category_weights={VIOLENCE: 1.0, "Robbery": 1.0})
    plain = backtest(inc, area, policy=policy, targets=targets, coverages=(0.01,), n_boot=20)
    harm = backtest(inc, area, policy=policy, targets=targets, coverages=(0.01,), n_boot=20,
                    harm_weights={"Robbery": 10.0})
    one = plain.table[(plain.table["method"] == "all_prior")]
    weighted = harm.table[(harm.table["method"] == "all_prior")]
    # one cell of 100 flagged: all-prior counts flag violence's cell, harm-weighted ones robbery's
    assert one["hit_rate"].tolist() == pytest.approx([0.75, 0.75])
    assert weighted["hit_rate"].tolist() == pytest.approx([20 / 26, 20 / 26])
    assert (weighted["n_targets"] == 8).all() and harm.harm_weights == {"Robbery": 10.0}
    s = harm.summary.set_index("method")
    assert s.loc["all_prior", "hit_rate_lo"] <= s.loc["all_prior", "hit_rate"] <= s.loc["all_prior", "hit_rate_hi"]
    with pytest.raises(ValidationError, match="harm weight"):
        backtest(inc, area, policy=policy, targets=targets, harm_weights={"Robbery": -1})
