"""Kernels and incident weights for the area intensity.

The kernel is an isotropic Gaussian, in weighted incidents per square kilometre,
written as a product of two one-dimensional kernels and cut off where either offset
exceeds ``TRUNCATE`` bandwidths (a square cut: separable, so grids can be smoothed
one axis at a time). Point queries and grids use the very same kernel, so the two
agree up to the grid's discretisation.

*Area* intensity averages the kernel over a square block (``support_m``) centred on
the place: the mean intensity of the block around an address rather than the value
at one point. For a Gaussian this average has a closed form (:func:`block_kernel`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.special import ndtr

from geo_risk.errors import ValidationError

log = logging.getLogger(__name__)

#: The kernel is cut off at this many bandwidths (mass outside: exp(-4.5), about 1.1 %).
TRUNCATE = 3.0
#: Square metres in a square kilometre: intensities are per km2.
M2_PER_KM2 = 1.0e6
_DAY = np.timedelta64(1, "D")


def gaussian_kernel(distance_m: np.ndarray, bandwidth_m: float) -> np.ndarray:
    """Truncated Gaussian kernel value at ``distance_m``, per km2.

    Parameters
    ----------
    distance_m
        Distances from the incident in metres.
    bandwidth_m
        Standard deviation of the Gaussian in metres.

    Returns
    -------
    numpy.ndarray
        ``exp(-d^2 / 2h^2) / (2 pi h^2)`` in km^-2, and 0 beyond ``TRUNCATE * h``.
    """
    if not bandwidth_m > 0:
        msg = f"bandwidth_m must be positive, got {bandwidth_m!r}; set [surface] bandwidth_m in the policy"
        raise ValidationError(msg)
    d = np.asarray(distance_m, dtype=float)
    h2 = float(bandwidth_m) ** 2
    out = np.exp(-0.5 * d * d / h2) * (M2_PER_KM2 / (2.0 * np.pi * h2))
    out[d > TRUNCATE * bandwidth_m] = 0.0
    return out


def kernel_reach(bandwidth_m: float, support_m: float = 0.0) -> float:
    """Per-axis cut-off of the kernel: 0 where ``|dx|`` or ``|dy|`` exceeds ``3h + s / 2``."""
    return TRUNCATE * bandwidth_m + (0.5 * support_m if support_m > 0 else 0.0)


def kernel_1d(t: np.ndarray, bandwidth_m: float, support_m: float = 0.0) -> np.ndarray:
    """One axis of the separable kernel, per metre (the 2-D kernel is ``1e6 * k(dx) * k(dy)`` per km2).

    With ``support_m`` 0 this is the normal density ``phi(t / h) / h``; with a block of side
    ``s`` it is the mean of that density over ``[t - s/2, t + s/2]``, i.e.
    ``(Phi((t + s/2) / h) - Phi((t - s/2) / h)) / s`` (exact). Zero beyond :func:`kernel_reach`.
    """
    if not bandwidth_m > 0:
        msg = f"bandwidth_m must be positive, got {bandwidth_m!r}; set [surface] bandwidth_m in the policy"
        raise ValidationError(msg)
    t = np.asarray(t, dtype=float)
    h = float(bandwidth_m)
    if support_m > 0:
        half = 0.5 * float(support_m)
        out = (ndtr((t + half) / h) - ndtr((t - half) / h)) / float(support_m)
    else:
        out = np.exp(-0.5 * (t / h) ** 2) / (np.sqrt(2.0 * np.pi) * h)
    return np.where(np.abs(t) > kernel_reach(bandwidth_m, support_m), 0.0, out)


def block_kernel(dx: np.ndarray, dy: np.ndarray, bandwidth_m: float, support_m: float = 0.0) -> np.ndarray:
    """The 2-D kernel at offsets ``(dx, dy)``, per km2: the Gaussian, or its mean over a
    ``support_m`` square centred at the offset; separable, cut off per axis at :func:`kernel_reach`.

    Along an axis (``dy = 0``) and with no support this equals :func:`gaussian_kernel`.
    """
    return M2_PER_KM2 * kernel_1d(dx, bandwidth_m, support_m) * kernel_1d(dy, bandwidth_m, support_m)


def kernel_stencil(bandwidth_m: float, cell_m: float, support_m: float = 0.0) -> np.ndarray:
    """One axis of the kernel sampled at ``cell_m`` spacing, centred (odd length ``2r + 1``),
    per metre; the 2-D stencil is ``1e6 * outer(k, k)`` per km2, exactly as for point queries."""
    radius = int(np.floor(kernel_reach(bandwidth_m, support_m) / cell_m))
    offsets = np.arange(-radius, radius + 1, dtype=float) * cell_m
    return kernel_1d(offsets, bandwidth_m, support_m)


def category_weights(
    categories: pd.Series | np.ndarray,
    weights: Mapping[str, float],
    default_weight: float,
) -> np.ndarray:
    """Weight of each incident by its category (``default_weight`` for unlisted ones)."""
    series = categories if isinstance(categories, pd.Series) else pd.Series(np.asarray(categories, dtype=object))
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    table = dict(weights)
    per_category = np.array([float(table.get(c, default_weight)) for c in uniques] + [default_weight])
    return per_category[codes]  # the sentinel -1 (missing category) picks default_weight


def age_days(occurred_at: pd.Series | np.ndarray, as_of: np.datetime64 | pd.Timestamp) -> np.ndarray:
    """Age of each incident at ``as_of`` in (fractional) days; negative for later incidents."""
    t = pd.to_datetime(pd.Series(occurred_at)).to_numpy(dtype="datetime64[ns]")
    ref = np.datetime64(pd.Timestamp(as_of).to_datetime64(), "ns")
    return (ref - t) / _DAY


def decay_weights(age: np.ndarray, half_life_days: float) -> np.ndarray:
    """``2 ** (-age / half_life)``; a half-life of 0 (or infinity) means no decay."""
    if half_life_days <= 0 or not np.isfinite(half_life_days):
        return np.ones_like(age, dtype=float)
    return np.exp2(-np.asarray(age, dtype=float) / half_life_days)


def injury_multipliers(incidents: pd.DataFrame, weapon_weights: Mapping[str, float],
                       age_weights: Mapping[str, float]) -> np.ndarray:
    """Per-incident multiplier of an emergency-department injury by its weapon and age band, else 1.

    Applies to rows of category :data:`geo_risk.contract.INJURY_CATEGORY` only; a weapon or age band
    the tables do not name (or a missing one) counts 1. Matching ignores case and surrounding spaces.
    """
    from geo_risk.contract import INJURY_CATEGORY

    n = len(incidents)
    out = np.ones(n)
    if not n or "category" not in incidents.columns:
        return out
    injury = (incidents["category"] == INJURY_CATEGORY).to_numpy(dtype=bool)
    for column, table in (("weapon", weapon_weights), ("age_band", age_weights)):
        if column not in incidents.columns or not table:
            continue
        lookup = {str(k).strip().lower(): float(v) for k, v in table.items()}
        values = incidents[column].astype("string").str.strip().str.lower()
        factor = values.map(lookup).astype("Float64").fillna(1.0).to_numpy(dtype=float)
        out = np.where(injury, out * factor, out)
    return out


def time_multipliers(incidents: pd.DataFrame, column: str = "time_weight") -> np.ndarray:
    """Per-incident time-of-day multiplier from ``column`` if present, else 1.

    Rows without a time of day (``has_time`` False, e.g. police.uk month-only rows)
    are never time-weighted: their multiplier is always 1. Missing values count as 1.
    """
    n = len(incidents)
    if column not in incidents.columns:
        return np.ones(n)
    mult = pd.to_numeric(incidents[column], errors="coerce").to_numpy(dtype=float)
    mult = np.where(np.isfinite(mult), mult, 1.0)
    if (mult < 0).any():
        msg = f"column {column!r} has negative multipliers; time weights must be >= 0"
        raise ValidationError(msg)
    if "has_time" in incidents.columns:
        has_time = incidents["has_time"].fillna(False).to_numpy(dtype=bool)
        mult = np.where(has_time, mult, 1.0)
    else:
        mult = np.ones(n)
    return mult
