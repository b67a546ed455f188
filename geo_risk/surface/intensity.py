"""Time-decayed kernel intensity of incidents: the :class:`IntensitySurface` estimator.

For incidents ``i`` with category weight ``w_i``, location ``x_i`` and time ``t_i``
before ``as_of`` and within the horizon, the intensity at ``x`` is::

    sum_i w_i * m_i * K_h(|x - x_i|) * 2 ** (-(as_of - t_i) / half_life)

with ``K_h`` a Gaussian of bandwidth ``h`` truncated at 3h (per km2) and ``m_i`` an
optional time-of-day multiplier (column ``time_weight``; rows without a time of day
are never time-weighted). With ``wide_share > 0`` the policy adds a second term of
its own bandwidth and half-life: ``(1 - s) * primary + s * wide``.

*Area* intensity, what the service reports, averages this over a square block of side
``support_m`` centred on the place (exactly, in closed form); ``support_m = 0`` is the
kernel value at the point itself.

Three ways to read the surface, all in the same units (weighted incidents per km2) and
with the same ``support_m``:

- :meth:`IntensitySurface.intensity_at`: exact kernel sums via a KD-tree (the reference);
- :meth:`IntensitySurface.grid`: binning plus FFT convolution on a regular grid (cell
  centres; agrees with the exact values to second order in ``cell / bandwidth``);
- :meth:`IntensitySurface.sample`: bilinear interpolation on the fitted grid, for many
  points fast (routing); approximate.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from geo_risk.config import SurfacePolicy
from geo_risk.crs import require_store_crs
from geo_risk.errors import ValidationError
from geo_risk.surface.grid import (
    Bounds,
    IntensityGrid,
    _as_xy,
    aligned_grid_spec,
    bin_linear,
    smooth_sampled,
)
from geo_risk.surface.kernel import (
    M2_PER_KM2,
    age_days,
    block_kernel,
    category_weights,
    decay_weights,
    injury_multipliers,
    kernel_reach,
    kernel_stencil,
    time_multipliers,
)

log = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("category", "occurred_at", "geometry")
#: The fitted area's grid (percentiles, fast sampling) is coarsened beyond this many cells.
FITTED_GRID_MAX_CELLS = 8_000_000
#: Pairs of (query point, incident location) evaluated per chunk in point queries.
_PAIR_BUDGET = 4_000_000


@dataclass(frozen=True)
class KernelTerm:
    """One additive term of the intensity: a bandwidth, a half-life and a share."""

    bandwidth_m: float
    half_life_days: float
    share: float


def policy_terms(policy: SurfacePolicy) -> tuple[KernelTerm, ...]:
    """The kernel terms a policy describes (one, or two with a wide term)."""
    share = float(policy.wide_share)
    if not 0.0 <= share <= 1.0:
        msg = f"[surface] wide_share must be between 0 and 1, got {share!r}"
        raise ValidationError(msg)
    if not policy.bandwidth_m > 0:
        msg = f"[surface] bandwidth_m must be positive, got {policy.bandwidth_m!r}"
        raise ValidationError(msg)
    terms = []
    if share < 1.0:
        terms.append(KernelTerm(float(policy.bandwidth_m), float(policy.half_life_days), 1.0 - share))
    if share > 0.0:
        if not policy.wide_bandwidth_m > 0:
            msg = "[surface] wide_bandwidth_m must be positive when wide_share > 0"
            raise ValidationError(msg)
        terms.append(KernelTerm(float(policy.wide_bandwidth_m), float(policy.wide_half_life_days), share))
    return tuple(terms)


class IntensitySurface:
    """Time-decayed, category-weighted kernel intensity of incidents.

    Parameters
    ----------
    policy
        The ``[surface]`` policy: bandwidth, half-life, horizon, grid cell size,
        category weights (``default_weight`` for unlisted categories) and the
        optional wide (neighbourhood-scale) term.

    Attributes
    ----------
    as_of_ : pandas.Timestamp
        The fitted reference time; only incidents strictly before it count.
    xy_ : numpy.ndarray
        ``(m, 2)`` distinct incident locations (EPSG:27700) with non-zero weight.
    weights_ : numpy.ndarray
        ``(m, n_terms)`` summed, decayed weight at each location for each term
        (the term's share included).
    n_incidents_ : int
        Incidents that contribute (before ``as_of``, within the horizon, weight > 0).
    tree_ : scipy.spatial.cKDTree
        KD-tree over ``xy_`` for point queries.
    support_m_ : float
        Side of the block that area intensity averages over (the policy's ``support_m``).
    radius_m_, reach_m_ : float
        Distance beyond which an incident adds nothing to the point value (``radius_m_``)
        or to the area intensity with ``support_m_`` (``reach_m_``).
    bounds_ : tuple
        ``(xmin, ymin, xmax, ymax)`` of the fitted area.
    grid_ : IntensityGrid
        The fitted area's grid at the policy's ``cell_m`` (coarsened for very large areas,
        see ``fitted_cell_m_``), built on first use (percentiles, :meth:`sample`), so point
        queries alone never pay for it.
    reference_ : numpy.ndarray
        Sorted cell intensities of ``grid_``: the citywide distribution for percentiles.

    Examples
    --------
    >>> surface = IntensitySurface(policy.surface).fit(incidents, as_of=pd.Timestamp("2025-04-01"))
    >>> surface.intensity_at(np.array([[358_000.0, 173_000.0]]))  # doctest: +SKIP
    """

    def __init__(self, policy: SurfacePolicy) -> None:
        self.policy = policy

    # ------------------------------------------------------------------ fitting

    def fit(
        self,
        incidents: pd.DataFrame,
        as_of: pd.Timestamp | str | np.datetime64,
        *,
        bounds: Bounds | None = None,
    ) -> IntensitySurface:
        """Fit the surface on ``incidents`` as known at ``as_of``.

        Parameters
        ----------
        incidents
            GeoDataFrame in EPSG:27700 with ``category``, ``occurred_at`` and point
            ``geometry`` (the data contract); ``has_time`` and ``time_weight`` are optional.
        as_of
            Reference time (naive UTC). Incidents at or after it are ignored, as are
            incidents older than the policy's horizon.
        bounds
            ``(xmin, ymin, xmax, ymax)`` of the area whose cells define citywide
            percentiles. Default: the extent of the incidents (0.1 %-99.9 % quantiles,
            so a few stray far-away points do not stretch it), padded by 3 bandwidths.

        Returns
        -------
        IntensitySurface
            ``self``.
        """
        policy = self.policy
        terms = policy_terms(policy)
        missing = [c for c in REQUIRED_COLUMNS if c not in incidents.columns]
        if missing:
            msg = f"incidents lack column(s) {', '.join(missing)}; see the data contract for incidents"
            raise ValidationError(msg)
        if hasattr(incidents, "crs"):
            require_store_crs(incidents, "incidents")  # type: ignore[arg-type]
        as_of_ts = _as_timestamp(as_of)

        xy, ok = _point_coords(incidents)
        age = age_days(incidents["occurred_at"], as_of_ts)
        keep = ok & np.isfinite(age) & (age > 0) & (age <= float(policy.horizon_days))
        base = category_weights(incidents["category"], policy.category_weights, policy.default_weight)
        base = base * time_multipliers(incidents)
        base = base * injury_multipliers(incidents, policy.injury_weapon_weights, policy.injury_age_weights)
        keep &= base > 0
        n_dropped = int((~ok).sum())
        if n_dropped:
            log.info("surface: %d incident(s) without usable point coordinates ignored", n_dropped)

        xy, age, base = xy[keep], age[keep], base[keep]
        weights = np.column_stack([t.share * base * decay_weights(age, t.half_life_days) for t in terms])
        # Police.uk snap points repeat: sum weights per distinct location.
        uniq, inverse = _distinct_points(xy)
        summed = np.column_stack(
            [np.bincount(inverse, weights=weights[:, k], minlength=len(uniq)) for k in range(len(terms))]
        ).reshape(len(uniq), len(terms))

        self.terms_ = terms
        self.as_of_ = as_of_ts
        self.xy_ = uniq
        self.weights_ = summed
        self.n_incidents_ = int(keep.sum())
        self.tree_ = cKDTree(uniq, balanced_tree=False, compact_nodes=False)
        self.support_m_ = _support(policy.support_m)
        self.radius_m_ = float(np.sqrt(2.0) * max(kernel_reach(t.bandwidth_m) for t in terms))
        self.reach_m_ = float(np.sqrt(2.0) * max(kernel_reach(t.bandwidth_m, self.support_m_) for t in terms))

        if bounds is None:
            bounds = self._default_bounds(xy)
        self.bounds_ = bounds
        self._grid: IntensityGrid | None = None
        self._reference: np.ndarray | None = None
        log.debug("surface fitted: %d incidents at %d locations", self.n_incidents_, len(uniq))
        return self

    @property
    def grid_(self) -> IntensityGrid:
        """The fitted area's grid at the policy's ``cell_m`` (built on first use, then kept)."""
        self._check_fitted()
        if self._grid is None:
            cell = self.fitted_cell_m_
            if cell != self.policy.cell_m:
                log.info("surface: fitted-area grid coarsened from %g m to %g m cells", self.policy.cell_m, cell)
            self._grid = self.grid(self.bounds_, cell)
        return self._grid

    @property
    def fitted_cell_m_(self) -> float:
        """Cell size of :attr:`grid_`: the policy's ``cell_m``, coarsened (by powers of two)
        only if the fitted area would otherwise exceed ``FITTED_GRID_MAX_CELLS`` cells."""
        self._check_fitted()
        xmin, ymin, xmax, ymax = self.bounds_
        cell = float(self.policy.cell_m)
        while ((xmax - xmin) / cell + 1) * ((ymax - ymin) / cell + 1) > FITTED_GRID_MAX_CELLS:
            cell *= 2.0
        return cell

    @property
    def reference_(self) -> np.ndarray:
        """Sorted cell intensities of :attr:`grid_`: the citywide distribution for percentiles."""
        if self._reference is None:
            self._reference = np.sort(self.grid_.values, axis=None)
        return self._reference

    def _default_bounds(self, xy: np.ndarray) -> Bounds:
        if not len(xy):
            log.warning("surface: no incidents before as_of within the horizon; the surface is zero everywhere")
            return (0.0, 0.0, float(self.policy.cell_m), float(self.policy.cell_m))
        lo = np.quantile(xy, 0.001, axis=0) if len(xy) >= 1000 else xy.min(axis=0)
        hi = np.quantile(xy, 0.999, axis=0) if len(xy) >= 1000 else xy.max(axis=0)
        pad = self.radius_m_
        return (float(lo[0] - pad), float(lo[1] - pad), float(hi[0] + pad), float(hi[1] + pad))

    def _check_fitted(self) -> None:
        if not hasattr(self, "tree_"):
            msg = "this IntensitySurface is not fitted yet; call .fit(incidents, as_of) first"
            raise ValidationError(msg)

    # ------------------------------------------------------------------ queries

    def intensity_at(self, xy: np.ndarray, *, support_m: float | None = None) -> np.ndarray:
        """Exact area intensity at points (KD-tree kernel sums).

        Parameters
        ----------
        xy
            ``(n, 2)`` eastings and northings in EPSG:27700.
        support_m
            Side of the square block, centred on each point, over which the intensity is
            averaged; default the policy's ``support_m``. ``0`` gives the kernel sum at the
            point itself.

        Returns
        -------
        numpy.ndarray
            Weighted incidents per km2 at each point; 0 where no incident is within reach
            (3 bandwidths, plus half the block's diagonal).
        """
        self._check_fitted()
        support = self.support_m_ if support_m is None else _support(support_m)
        xy = _as_xy(xy)
        out = np.zeros(len(xy))
        if not len(self.xy_) or not len(xy):
            return out
        # the kernel is cut per axis, so candidates lie within the square's half-diagonal
        reach = float(np.sqrt(2.0) * max(kernel_reach(t.bandwidth_m, support) for t in self.terms_))
        # Keep the number of candidate pairs per chunk bounded.
        density = len(self.xy_) / max(_area(self.xy_), 1.0)
        per_point = max(density * np.pi * reach**2, 1.0)
        chunk = int(np.clip(_PAIR_BUDGET / per_point, 256, 200_000))
        for start in range(0, len(xy), chunk):
            part = xy[start : start + chunk]
            qtree = cKDTree(part)
            pairs = qtree.sparse_distance_matrix(self.tree_, reach, output_type="ndarray")
            if not len(pairs):
                continue
            i, j = pairs["i"], pairs["j"]
            dx = part[i, 0] - self.xy_[j, 0]
            dy = part[i, 1] - self.xy_[j, 1]
            contrib = np.zeros(len(pairs))
            for k, term in enumerate(self.terms_):
                contrib += self.weights_[j, k] * block_kernel(dx, dy, term.bandwidth_m, support)
            out[start : start + len(part)] = np.bincount(i, weights=contrib, minlength=len(part))
        return out

    def grid(self, bounds: Bounds, cell_m: float, *, support_m: float | None = None) -> IntensityGrid:
        """Area intensity on a regular grid covering ``bounds`` (binning + FFT convolution).

        Parameters
        ----------
        bounds
            ``(xmin, ymin, xmax, ymax)`` in EPSG:27700; the grid is aligned to multiples of ``cell_m``.
        cell_m
            Cell size in metres. Incidents are binned at a finer internal resolution where
            a term's bandwidth needs it (at most h / 2, or h with a block support), so the
            values agree with :meth:`intensity_at` within a few per cent at any cell size.
        support_m
            Block side as in :meth:`intensity_at` (default the policy's). With
            ``support_m == cell_m`` each value is the mean intensity over its own cell.

        Returns
        -------
        IntensityGrid
            Values at cell centres in weighted incidents per km2. Incidents outside
            ``bounds`` but within reach of the kernel still contribute.
        """
        self._check_fitted()
        support = self.support_m_ if support_m is None else _support(support_m)
        x0, y0, nx, ny = aligned_grid_spec(bounds, cell_m)
        total = np.zeros((ny, nx))
        for k, term in enumerate(self.terms_):
            # Bin finely enough for this term's bandwidth (h / 2, or h with a block
            # support, which is smooth), then read the values at the requested centres.
            finest = term.bandwidth_m if support > 0 else term.bandwidth_m / 2
            factor = max(1, int(np.ceil(cell_m / finest - 1e-9)))
            factor += 1 - factor % 2  # odd, so that coarse centres are fine centres
            fine = cell_m / factor
            k1 = kernel_stencil(term.bandwidth_m, fine, support)
            r = len(k1) // 2
            shape = (ny * factor + 2 * r, nx * factor + 2 * r)
            binned = bin_linear(self.xy_, self.weights_[:, k], x0 - r * fine, y0 - r * fine, fine, shape)
            # the stencil is symmetric (correlation is convolution) and short: direct sums, read
            # only at the requested centres
            total += smooth_sampled(binned, k1 * M2_PER_KM2, k1, r + factor // 2, factor, (ny, nx))
        return IntensityGrid(x0, y0, float(cell_m), total)

    def sample(self, xy: np.ndarray) -> np.ndarray:
        """Fast approximate area intensity at many points: bilinear interpolation on ``grid_``.

        Use this for 1e5+ points (route sampling); :meth:`intensity_at` is the exact one
        (same units, same policy ``support_m``). Points outside the fitted area get 0.
        """
        self._check_fitted()
        return self.grid_.sample(xy, method="bilinear")

    def percentile_of(self, values: np.ndarray) -> np.ndarray:
        """Citywide percentile (0-100) of intensity values: the share of the fitted area's
        cells with a strictly lower intensity. Zero intensity is percentile 0."""
        self._check_fitted()
        values = np.asarray(values, dtype=float)
        n = len(self.reference_)
        return 100.0 * np.searchsorted(self.reference_, values, side="left") / n

    def percentile_at(self, xy: np.ndarray) -> np.ndarray:
        """Citywide percentile (0-100) of the exact area intensity at points.

        The reference distribution is the area intensity of every cell of the fitted grid
        (the data extent, or the ``bounds`` given to :meth:`fit`), with the same ``support_m``.
        """
        return self.percentile_of(self.intensity_at(xy))


def _support(value: float) -> float:
    value = float(value)
    if not np.isfinite(value) or value < 0:
        msg = f"support_m must be a finite number of metres >= 0, got {value!r}; set [surface] support_m"
        raise ValidationError(msg)
    return value


def _as_timestamp(value: pd.Timestamp | str | np.datetime64) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        msg = f"as_of must be a date or datetime (e.g. '2025-04-01'), got {value!r}"
        raise ValidationError(msg) from exc
    if ts is pd.NaT:
        msg = "as_of must be a date, got NaT"
        raise ValidationError(msg)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts


def _point_coords(incidents: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates of point geometries and a mask of usable rows."""
    geom = incidents["geometry"]
    n = len(incidents)
    if n == 0:
        return np.empty((0, 2)), np.zeros(0, dtype=bool)
    try:
        import shapely

        arr = np.asarray(geom.values if hasattr(geom, "values") else geom, dtype=object)
        is_point = shapely.get_type_id(arr) == 0
        x = np.where(is_point, shapely.get_x(arr), np.nan)
        y = np.where(is_point, shapely.get_y(arr), np.nan)
    except Exception as exc:  # pragma: no cover - defensive: non-geometry column
        msg = "incidents' geometry must be shapely Points in EPSG:27700"
        raise ValidationError(msg) from exc
    xy = np.column_stack([x, y]).astype(float)
    ok = np.isfinite(xy).all(axis=1)
    xy[~ok] = 0.0
    return xy, ok


def _distinct_points(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of ``xy`` and the index of each row's distinct point (hash-based, O(n))."""
    if not len(xy):
        return np.empty((0, 2)), np.empty(0, dtype=np.int64)
    # Points closer than 1 cm are one location: an integer key per centimetre cell.
    cm = np.round((xy - xy.min(axis=0)) * 100.0)
    if cm.max() >= 2**31:
        msg = "incident coordinates span more than 20,000 km; are they in EPSG:27700 metres?"
        raise ValidationError(msg)
    key = (cm[:, 0].astype(np.int64) << 31) | cm[:, 1].astype(np.int64)
    inverse, ukey = pd.factorize(key)
    first = np.empty(len(ukey), dtype=np.int64)
    first[inverse[::-1]] = np.arange(len(xy) - 1, -1, -1)
    return xy[first], inverse.astype(np.int64)


def _area(xy: np.ndarray) -> float:
    span = xy.max(axis=0) - xy.min(axis=0) if len(xy) else np.zeros(2)
    return float(max(span[0], 1.0) * max(span[1], 1.0))
