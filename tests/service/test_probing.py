"""The referral's checking budget, the spacing rule and the probing rules, as pure functions (issue 14, item 1)."""

from __future__ import annotations

import datetime as dt

import pytest

from geo_risk.config import Policy
from geo_risk.errors import ValidationError
from geo_risk.service.probing import Candidate, History, TooManyChecks, check_budget, min_spacing, probing_rule

NOW = dt.datetime(2026, 11, 20, 12, 0)
POLICY = Policy.default().probing


def _grid(n: int, step: float, x0: int = 600_000, y0: int = 860_000) -> list[Candidate]:
    side = int(n**0.5 + 0.999)
    return [Candidate(f"ZG{i} {i % 10}AA", int(x0 + step * (i % side)), int(y0 + step * (i // side))) for i in range(n)]


def test_the_default_policy_has_the_agreed_values():
    assert (POLICY.window_hours, POLICY.max_checks, POLICY.max_candidates, POLICY.min_spacing_m,
            POLICY.distance_step_m) == (24.0, 10, 10, 200.0, 500.0)
    assert Policy.default().version == "2026.12-6"


def test_the_eleventh_check_in_a_day_is_refused_with_when_to_try_again():
    times = tuple(NOW - dt.timedelta(hours=h) for h in (23, 20, 10, 9, 8, 7, 6, 5, 4, 3))
    past = History(checks=10, candidates=tuple(_grid(1, 0)), check_times=times, first_asked=times[:1])
    with pytest.raises(TooManyChecks, match="at most 10 checks per referral in any 24 hours") as err:
        check_budget(past, _grid(1, 0), POLICY, now=NOW)
    assert err.value.retry_after == 3600  # the oldest check leaves the window in an hour
    check_budget(past, _grid(1, 0), POLICY, now=NOW, is_check=False)  # saving the record is not a check


def test_an_eleventh_different_address_is_refused_and_the_same_ones_again_are_not():
    ten = _grid(10, 300)
    past = History(checks=2, candidates=tuple(ten), check_times=(NOW, NOW), first_asked=(NOW,) * 10)
    check_budget(past, ten[:4], POLICY, now=NOW)  # asked before: no new address
    with pytest.raises(TooManyChecks, match="11 different candidate addresses"):
        check_budget(past, [Candidate("ZZ9 9ZZ", 610_000, 870_000)], POLICY, now=NOW)
    with pytest.raises(TooManyChecks, match="at most 10 per referral"):
        check_budget(History(0, ()), _grid(11, 300), POLICY, now=NOW)


def test_candidates_closer_than_the_spacing_are_refused_naming_the_rule():
    past = History(checks=1, candidates=(Candidate("ZZ1 1AA", 600_000, 860_000),))
    with pytest.raises(ValidationError, match="ZZ1 1AB is 150 m from ZZ1 1AA: .* at least 200 m apart"):
        check_budget(past, [Candidate("ZZ1 1AB", 600_150, 860_000)], POLICY, now=NOW)
    with pytest.raises(ValidationError, match="at least 200 m apart"):  # two new ones too close to each other
        check_budget(History(0, ()), [Candidate("A", 0, 0), Candidate("B", 0, 199)], POLICY, now=NOW)
    check_budget(past, [Candidate("ZZ1 1AB", 600_200, 860_000)], POLICY, now=NOW)  # exactly 200 m is allowed


def test_a_regular_grid_and_a_tight_cluster_are_probing_a_spread_list_is_not():
    assert probing_rule(_grid(9, 250), POLICY) == "grid"
    assert probing_rule(_grid(5, 250), POLICY) is None  # fewer than alert_min_candidates
    cluster = [Candidate(str(i), x, y) for i, (x, y) in enumerate(
        [(0, 0), (210, 0), (0, 600), (-500, -100), (350, -450), (-250, 400), (520, 300)])]
    assert probing_rule(cluster, POLICY) == "cluster"
    spread = [Candidate(str(i), x, y) for i, (x, y) in enumerate(
        [(0, 0), (2500, 300), (5200, -900), (800, 4100), (-3000, 2200), (6000, 6000), (-4200, -3900)])]
    assert probing_rule(spread, POLICY) is None
    assert min_spacing(_grid(9, 250)) == pytest.approx(250.0)
