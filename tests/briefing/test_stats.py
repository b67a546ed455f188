"""Exact Poisson intervals (issue 6)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from geo_risk.briefing.stats import poisson_interval, rate_ratio
from geo_risk.errors import ValidationError


def test_garwood_interval_known_values():
    low, high = poisson_interval(np.array([0, 1, 10]))
    assert low[0] == 0 and high[0] == pytest.approx(3.6889, abs=1e-4)
    assert low[1] == pytest.approx(0.0253, abs=1e-4) and high[1] == pytest.approx(5.5716, abs=1e-4)
    assert low[2] == pytest.approx(4.7954, abs=1e-4) and high[2] == pytest.approx(18.3904, abs=1e-4)


def test_rate_ratio_is_the_conditional_binomial_interval():
    ratio, low, high = rate_ratio(10, 10, 1.0)
    p_lo, p_hi = sps.binomtest(10, 20).proportion_ci(method="exact")
    assert ratio == pytest.approx(1.0)
    assert low == pytest.approx(p_lo / (1 - p_lo)) and high == pytest.approx(p_hi / (1 - p_hi))
    # a window 28/365 of the baseline's length with the usual count gives a ratio of 1
    ratio, low, high = rate_ratio(np.array([8]), np.array([104]), 28 / 365)
    assert ratio[0] == pytest.approx(8 / (104 * 28 / 365))
    assert low[0] < ratio[0] < high[0]


def test_rate_ratio_edges():
    ratio, low, high = rate_ratio(np.array([0, 5, 0, 3]), np.array([10, 0, 0, 3]), np.array([0.1, 0.1, 0.1, 0.0]))
    assert ratio[0] == 0 and low[0] == 0 and np.isfinite(high[0])
    assert np.isinf(ratio[1]) and low[1] > 0 and np.isinf(high[1])
    assert np.isnan(ratio[2]) and np.isnan(ratio[3])


def test_coverage_of_the_rate_ratio_interval_is_at_least_nominal():
    rng = np.random.default_rng(3)
    t = 28 / 365
    o = rng.poisson(2.0 * 40 * t, 4000)
    b = rng.poisson(40, 4000)
    _, low, high = rate_ratio(o, b, t)
    ok = np.isfinite(low)
    covered = ((low <= 2.0) & (2.0 <= high))[ok].mean()
    assert covered >= 0.95


def test_bad_inputs():
    with pytest.raises(ValidationError, match="confidence"):
        poisson_interval(3, confidence=1.5)
    with pytest.raises(ValidationError, match="negative"):
        rate_ratio(-1, 3, 1.0)
