"""Exact Poisson intervals for counts and rate ratios.

A count ``O`` seen over exposure ``t1`` is compared with a baseline count ``B`` over
exposure ``t0``. Conditional on ``O + B``, ``O`` is binomial with
``p = RR t / (1 + RR t)`` (``t = t1 / t0``), so the Clopper-Pearson interval for ``p``
gives an exact interval for the rate ratio ``RR``. A single count's interval is
Garwood's (chi-square) interval. All functions take arrays and use ``scipy.stats``.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from geo_risk.errors import ValidationError


def poisson_interval(count: np.ndarray | int, *, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Garwood's exact interval for a Poisson mean from an observed count.

    Returns
    -------
    (low, high)
        Arrays shaped like ``count``; ``low`` is 0 for a count of 0.
    """
    k = np.asarray(count, dtype=float)
    _check(k, confidence)
    alpha = 1.0 - confidence
    low = np.where(k > 0, stats.chi2.ppf(alpha / 2, 2 * np.maximum(k, 1)) / 2, 0.0)
    high = stats.chi2.ppf(1 - alpha / 2, 2 * k + 2) / 2
    return low, high


def rate_ratio(
    observed: np.ndarray | int,
    baseline: np.ndarray | int,
    exposure_ratio: np.ndarray | float,
    *,
    confidence: float = 0.95,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rate ratio of ``observed`` to ``baseline`` with its exact conditional interval.

    Parameters
    ----------
    observed
        Counts in the recent window.
    baseline
        Counts in the comparison period.
    exposure_ratio
        Length of the recent window divided by the length of the comparison period
        (e.g. 28 / 365), so that the expected recent count is ``baseline * exposure_ratio``.
    confidence
        Two-sided confidence level.

    Returns
    -------
    (ratio, low, high)
        NaN where there is no baseline exposure; ``ratio`` and ``high`` are inf when the
        baseline count is 0 but something was observed, and NaN when both are 0.
    """
    o = np.asarray(observed, dtype=float)
    b = np.asarray(baseline, dtype=float)
    t = np.asarray(exposure_ratio, dtype=float)
    _check(o, confidence)
    _check(b, confidence)
    o, b, t = np.broadcast_arrays(o, b, t)
    alpha = 1.0 - confidence
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(b > 0, o / (b * t), np.where(o > 0, np.inf, np.nan))
        p_lo = np.where(o > 0, stats.beta.ppf(alpha / 2, np.maximum(o, 1), b + 1), 0.0)
        p_hi = np.where(b > 0, stats.beta.ppf(1 - alpha / 2, o + 1, np.maximum(b, 1)), 1.0)
        low = p_lo / (1 - p_lo) / t
        high = np.where(p_hi < 1, p_hi / (1 - p_hi) / t, np.inf)
    bad = ~(t > 0) | ((o == 0) & (b == 0))
    ratio = np.where(bad, np.nan, ratio)
    low = np.where(bad, np.nan, low)
    high = np.where(bad, np.nan, high)
    return ratio, low, high


def _check(x: np.ndarray, confidence: float) -> None:
    if not 0 < confidence < 1:
        msg = f"confidence must be between 0 and 1, got {confidence}"
        raise ValidationError(msg)
    if np.any(x < 0):
        msg = "counts must not be negative"
        raise ValidationError(msg)
