"""The area forecast: next month's target incidents in a square, with weights learned from
the area's own history.

The forecast for a square ``S`` of side ``cell_m`` (a place, or an evaluation cell) is a
non-negative combination of features of the history before ``as_of``::

    forecast(S) = scale * sum_j w_j * F_j(S)

Every feature is built from the (harm-weighted) target incidents or the incidents of one
category in ``S``, over a time window, spread by a Gaussian of scale ``h`` (``h = 0``: the
incidents inside ``S`` itself) and integrated over ``S``. The features
(:func:`feature_names`):

``target``
    Target incidents in ``S`` over the whole history (the long memory; a count, so its
    weight relative to the rates below grows with the length of the history, as an
    empirical-Bayes posterior's does).
``target_recent``
    Target incidents in ``S`` in the last three months with data (recency).
``season``
    Target incidents in ``S`` in the same calendar month a year before the forecast
    month (zero without that month).
``target_last@h``
    Last month's target incidents near ``S`` (scale ``h`` > 0): near-repeat, at several scales.
``<category>@h``
    The square root of the category's incidents per month of history in ``S``, at each
    scale ``h`` (0 and the policy's ``forecast_scales_m``): the prior that all crime (about
    2.5 times as many incidents as the target) gives where the target's own history is
    thin. The square root keeps a busy shopping street's hundred thefts from counting a
    hundred times as much as one theft: what matters is that crime happens there.

The weights are fitted by rolling origin on the history alone: for each of the last
``MAX_FIT_MONTHS`` months ``t`` of the history with data before it, the features of the
months before ``t`` (all of them, or the last ``fit_window``) forecast ``t``'s target in
the cells (side ``cell_m``) holding any incident, under a Poisson likelihood with an
identity link, non-negative weights and a free scale per month (only where the forecast
puts incidents matters, not how many a month has), by EM. The fitted weights are then
shrunk towards the policy's defaults (``forecast_weights``, fitted the same way on a
reference history) with the strength of ``forecast_prior_months`` months:
``w = (n * w_fit + n0 * w_default) / (n + n0)`` for ``n`` fitted months, each weight vector
first normalised to a total forecast of 1 over the cells: a two-level (area, reference)
shrinkage. With one month of history nothing can be fitted and the defaults are used as
they are; gaps in the history are skipped over (a month's "previous month" is the last one
with data).

Features are computed on rasters, not by per-incident sums: incidents are binned on a grid
finer than the scale (linear binning), spread by a separable Gaussian-over-square stencil
and read at the squares' centres (the target and category counts at scale 0 are exact box
counts). The cost grows with the area and the months, not with incidents times neighbours,
so a million incidents fit in seconds. :meth:`AreaForecast.forecast_at` answers arbitrary
squares with exact sums; :meth:`AreaForecast.grid` and :meth:`AreaForecast.sample` read a
raster, and :func:`forecast_surface` returns a fitted forecast that answers what placement
and route checks ask of an area surface (``percentile_at``, ``sample``, ``percentile_of``,
``fingerprint``).

The fitted coefficients are in :attr:`AreaForecast.coefficients_` (with the policy
version when written by the CLI or the back-test).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.ndimage import correlate1d
from scipy.spatial import cKDTree
from scipy.special import ndtr

from geo_risk.config import SurfacePolicy
from geo_risk.errors import ValidationError
from geo_risk.surface.grid import IntensityGrid, aligned_grid_spec
from geo_risk.surface.kernel import injury_multipliers, kernel_stencil, time_multipliers

log = logging.getLogger(__name__)

#: police.uk's street-level categories: each gets its own features (other categories share one).
POLICE_UK_CATEGORIES: tuple[str, ...] = (
    "Anti-social behaviour", "Bicycle theft", "Burglary", "Criminal damage and arson", "Drugs",
    "Other crime", "Other theft", "Possession of weapons", "Public order", "Robbery", "Shoplifting",
    "Theft from the person", "Vehicle crime", "Violence and sexual offences",
)
OTHER = "Other categories"
CATEGORIES: tuple[str, ...] = (*POLICE_UK_CATEGORIES, OTHER)
#: Months counted as "recent" by ``target_recent``.
RECENT_MONTHS = 3
#: EM iterations of the weight fit and the floor added to every forecast (incidents per cell).
EM_ITERATIONS = 150
_FLOOR = 1e-6
#: The fit uses at most this many of the most recent months as forecast months.
MAX_FIT_MONTHS = 12
#: ... and at most this many cells (a fixed-seed sample of the occupied cells beyond it).
MAX_FIT_CELLS = 20_000
#: Padding around the fitted bounds (metres) so that features near the edge see their neighbours.
FIT_PAD_M = 1500.0
#: Raster pixels are at most this fraction of a feature's Gaussian scale.
PIXEL_OF_SCALE = 0.5
#: Spacing of the forecast grid (squares' centres) that ``sample`` and percentiles read, at most.
SURFACE_STEP_M = 50.0
#: Refuse surface grids larger than this many nodes (the step is coarsened instead).
SURFACE_MAX_NODES = 4_000_000
_SEED = 20250401


def feature_names(scales_m: Sequence[float]) -> tuple[str, ...]:
    """The model's features in order, for kernel scales ``scales_m`` (0 is always included)."""
    scales = _scales(scales_m)
    names = ["target", "target_recent", "season"]
    names += [f"target_last@{s:g}" for s in scales if s > 0]
    for cat in CATEGORIES:
        names += [f"{cat}@{s:g}" for s in scales]
    return tuple(names)


def _scales(scales_m: Sequence[float]) -> tuple[float, ...]:
    out = {0.0}
    for s in scales_m:
        s = float(s)
        if not np.isfinite(s) or s < 0:
            msg = f"[surface] forecast_scales_m must be metres >= 0, got {s!r}"
            raise ValidationError(msg)
        out.add(s)
    return tuple(sorted(out))


def square_mass(dx: np.ndarray, dy: np.ndarray, side_m: float, scale_m: float) -> np.ndarray:
    """Share of an incident at offset ``(dx, dy)`` from a square's centre that falls in the
    square of side ``side_m``, once spread by a Gaussian of ``scale_m`` (0: 1 inside the
    half-open square ``[-s/2, s/2)``, 0 outside). Cut at 3 scales per axis, like the kernel."""
    half = 0.5 * side_m
    if scale_m <= 0:
        return ((dx >= -half) & (dx < half) & (dy >= -half) & (dy < half)).astype(float)

    def axis(t):
        m = ndtr((half - t) / scale_m) - ndtr((-half - t) / scale_m)
        return np.where(np.abs(t) > 3.0 * scale_m + half, 0.0, m)

    # dx is the incident's offset from the centre: the incident's mass over [-s/2, s/2)
    return axis(dx) * axis(dy)


def _mass_matrix(query: np.ndarray, locs: np.ndarray, side_m: float, scale_m: float,
                 ltree: cKDTree | None = None) -> sparse.csr_matrix:
    """Sparse (queries x locations) matrix of :func:`square_mass` (``ltree``: a KD-tree of ``locs``)."""
    if not len(query) or not len(locs):
        return sparse.csr_matrix((len(query), len(locs)))
    reach = 0.5 * side_m + 3.0 * scale_m + 1e-6
    qtree = cKDTree(query)
    ltree = cKDTree(locs) if ltree is None else ltree
    pairs = qtree.sparse_distance_matrix(ltree, reach, p=np.inf, output_type="ndarray")
    i, j = pairs["i"], pairs["j"]
    # a location exactly on the query point has distance 0 and is still listed
    mass = square_mass(locs[j, 0] - query[i, 0], locs[j, 1] - query[i, 1], side_m, scale_m)
    keep = mass > 0
    return sparse.csr_matrix((mass[keep], (i[keep], j[keep])), shape=(len(query), len(locs)))


# --------------------------------------------------------------------- rasters


@dataclass(frozen=True)
class Nodes:
    """A regular lattice of square centres: ``(x0 + (j + 0.5) * step, y0 + (i + 0.5) * step)``
    for ``i < ny``, ``j < nx``, each the centre of a square of side ``side`` (an odd multiple of
    ``step``, so that the squares' edges fall on the lattice's own cell edges)."""

    x0: float
    y0: float
    step: float
    nx: int
    ny: int
    side: float

    @property
    def q(self) -> int:
        return round(self.side / self.step)

    def centres(self) -> np.ndarray:
        xs = self.x0 + (np.arange(self.nx) + 0.5) * self.step
        ys = self.y0 + (np.arange(self.ny) + 0.5) * self.step
        gx, gy = np.meshgrid(xs, ys)
        return np.column_stack([gx.ravel(), gy.ravel()])


def square_sums(xy: np.ndarray, layer: np.ndarray, weight: np.ndarray, n_layers: int, nodes: Nodes,
                scale_m: float) -> np.ndarray:
    """Weighted incidents of each layer in the square around each node, spread by a Gaussian.

    Parameters
    ----------
    xy, layer, weight
        Incident coordinates (EPSG:27700), the layer each belongs to (``0..n_layers-1``) and its weight.
    nodes
        The squares' centres and side.
    scale_m
        Gaussian scale; 0 counts the incidents inside each half-open square exactly.

    Returns
    -------
    numpy.ndarray
        ``(n_layers, ny, nx)``. With ``scale_m > 0`` incidents are binned linearly on pixels
        of at most ``PIXEL_OF_SCALE * scale_m`` (an odd fraction of the step) and spread by
        the separable Gaussian-over-square stencil: within a few per cent of
        :func:`square_mass` sums.
    """
    ny, nx, step, q = nodes.ny, nodes.nx, nodes.step, nodes.q
    if scale_m <= 0:
        pad = (q - 1) // 2
        j = np.floor((xy[:, 0] - nodes.x0) / step).astype(np.int64) + pad
        i = np.floor((xy[:, 1] - nodes.y0) / step).astype(np.int64) + pad
        nyp, nxp = ny + 2 * pad, nx + 2 * pad
        ok = (i >= 0) & (i < nyp) & (j >= 0) & (j < nxp)
        binned = np.bincount((layer[ok] * nyp + i[ok]) * nxp + j[ok], weights=weight[ok],
                             minlength=n_layers * nyp * nxp).reshape(n_layers, nyp, nxp)
        if q == 1:
            return binned
        c = np.zeros((n_layers, nyp + 1, nxp + 1))
        c[:, 1:, 1:] = binned.cumsum(axis=1).cumsum(axis=2)
        return c[:, q:, q:] - c[:, :-q, q:] - c[:, q:, :-q] + c[:, :-q, :-q]
    m = max(1, int(np.ceil(step / (PIXEL_OF_SCALE * scale_m) - 1e-9)))
    m += 1 - m % 2  # odd: every node is a pixel centre
    r = step / m
    k1 = kernel_stencil(scale_m, r, nodes.side) * nodes.side
    rad = len(k1) // 2
    nyf, nxf = ny * m + 2 * rad, nx * m + 2 * rad
    fx = (xy[:, 0] - (nodes.x0 - rad * r)) / r - 0.5
    fy = (xy[:, 1] - (nodes.y0 - rad * r)) / r - 0.5
    j0 = np.floor(fx).astype(np.int64)
    i0 = np.floor(fy).astype(np.int64)
    tx, ty = fx - j0, fy - i0
    fine = np.zeros(n_layers * nyf * nxf)
    for di, dj, share in ((0, 0, (1 - tx) * (1 - ty)), (0, 1, tx * (1 - ty)), (1, 0, (1 - tx) * ty),
                          (1, 1, tx * ty)):
        i, j = i0 + di, j0 + dj
        ok = (i >= 0) & (i < nyf) & (j >= 0) & (j < nxf)
        fine += np.bincount((layer[ok] * nyf + i[ok]) * nxf + j[ok], weights=(weight * share)[ok],
                            minlength=fine.size)
    a = fine.reshape(n_layers, nyf, nxf)
    first = rad + m // 2
    # the stencil is symmetric: correlation is convolution; direct sums suit its few dozen taps
    a = correlate1d(a, k1, axis=2, mode="constant")[:, :, first : first + nx * m : m]
    a = correlate1d(a, k1, axis=1, mode="constant")[:, first : first + ny * m : m, :]
    a[a < 1e-12] = 0.0
    return a


# --------------------------------------------------------------------- history


@dataclass(frozen=True)
class _History:
    """The incidents of the history, one row each (the model's raw input)."""

    xy: np.ndarray  # (n, 2)
    month: np.ndarray  # index into months
    cat: np.ndarray  # index into CATEGORIES
    target: np.ndarray  # (harm) weight as a target incident, 0 if not a target
    months: tuple[pd.Period, ...]  # months with data, sorted

    @property
    def locs(self) -> np.ndarray:
        """Distinct incident locations."""
        from geo_risk.surface.intensity import _distinct_points

        return _distinct_points(self.xy)[0]

    @property
    def n_targets(self) -> float:
        return float(self.target.sum())


def _bin_history(incidents: pd.DataFrame, as_of: pd.Timestamp, targets: Sequence[str],
                 harm: Mapping[str, float], horizon_days: float, policy: SurfacePolicy | None = None) -> _History:
    from geo_risk.surface.intensity import _point_coords

    xy, ok = _point_coords(incidents)
    when = pd.to_datetime(incidents["occurred_at"])
    age = (as_of - when).dt.total_seconds().to_numpy() / 86400.0
    keep = ok & np.isfinite(age) & (age > 0) & (age <= horizon_days)
    xy = xy[keep]
    kept = when[keep]
    code = (kept.dt.year.to_numpy() * 12 + kept.dt.month.to_numpy() - 1).astype(np.int64)
    codes, mi = np.unique(code, return_inverse=True)
    months = tuple(pd.Period(year=int(c // 12), month=int(c % 12) + 1, freq="M") for c in codes)
    category = pd.Series(incidents["category"].to_numpy(dtype=object)[keep])
    cat_index = {c: i for i, c in enumerate(CATEGORIES)}
    ci = category.map(cat_index).fillna(len(CATEGORIES) - 1).to_numpy(dtype=np.int64)
    target_set = set(targets)
    weight = category.map({c: float(harm.get(c, 1.0)) for c in target_set}).fillna(0.0).to_numpy(dtype=float)
    if policy is not None:
        # as the kernel surface: an injury's weapon and age band, and the school-run time weight
        weight = weight * (time_multipliers(incidents) * injury_multipliers(
            incidents, policy.injury_weapon_weights, policy.injury_age_weights))[keep]
    return _History(xy, mi.astype(np.int64).reshape(-1), ci, weight, months)


@dataclass
class _Sums:
    """Per-month raster sums at some squares: ``cats`` (scales, months, categories, squares)
    and ``target`` (scales, months, squares); months before ``first`` are summed in ``old_*``."""

    cats: np.ndarray
    target: np.ndarray
    first: int
    old_cats: np.ndarray  # (scales, categories, squares)
    old_target: np.ndarray  # (scales, squares)


class AreaForecast:
    """Next month's (harm-weighted) target incidents in squares, weights learned by rolling origin.

    Parameters
    ----------
    policy
        The ``[surface]`` policy: ``forecast_targets``, ``forecast_harm_weights``,
        ``forecast_scales_m``, ``forecast_weights`` (defaults) and ``forecast_prior_months``.
    cell_m
        Side of the square each forecast is for (default the policy's ``support_m``, or
        250 m when that is 0).
    fit_window
        Months of history each rolling-origin month is forecast from (default: every month
        before it); a short window fits weights for short histories.

    Attributes
    ----------
    coefficients_ : dict
        The weights used, by feature name (normalised to a total forecast of 1 over the fit
        cells, so that they compare across areas).
    fitted_weights_ : dict or None
        The weights fitted on this history alone (``None`` with fewer than two months).
    n_fit_months_ : int
        Months forecast in the rolling-origin fit.
    history_months_ : tuple of str
        Months with data before ``as_of`` used.
    """

    def __init__(self, policy: SurfacePolicy, *, cell_m: float | None = None, fit_window: int | None = None) -> None:
        self.policy = policy
        if fit_window is not None and int(fit_window) < 1:
            msg = f"fit_window must be at least 1 month, got {fit_window!r}"
            raise ValidationError(msg)
        self.fit_window = None if fit_window is None else int(fit_window)
        side = float(cell_m) if cell_m is not None else float(policy.support_m or 250.0)
        if not np.isfinite(side) or side <= 0:
            msg = f"the forecast's square must have a positive side in metres, got {cell_m!r}"
            raise ValidationError(msg)
        self.cell_m = side
        self.scales_ = _scales(policy.forecast_scales_m)
        self.names_ = feature_names(self.scales_)
        self.default_ = _default_vector(policy.forecast_weights, self.names_)
        if not policy.forecast_targets:
            msg = "[surface] forecast_targets is empty; list the categories to forecast"
            raise ValidationError(msg)
        for cat, w in dict(policy.forecast_harm_weights).items():
            if not (isinstance(w, (int, float)) and np.isfinite(w) and w >= 0):
                msg = f"[surface.forecast_harm_weights] {cat!r} must be a number >= 0, got {w!r}"
                raise ValidationError(msg)
        if not policy.forecast_prior_months >= 0:
            msg = "[surface] forecast_prior_months must be >= 0"
            raise ValidationError(msg)

    # ------------------------------------------------------------------ fitting

    def fit(self, incidents: pd.DataFrame, as_of, *, bounds=None) -> AreaForecast:
        """Learn the weights from ``incidents`` before ``as_of`` (within the policy's horizon).

        ``bounds`` (``xmin, ymin, xmax, ymax``) limits the cells the weights are fitted on
        (the area asked about) and is the extent of :meth:`grid_` and of the percentiles;
        default the incidents' extent.
        """
        from geo_risk.surface.intensity import _as_timestamp

        policy = self.policy
        self.as_of_ = _as_timestamp(as_of)
        self.history_ = _bin_history(incidents, self.as_of_, policy.forecast_targets,
                                     policy.forecast_harm_weights, float(policy.horizon_days), policy)
        h = self.history_
        self.history_months_ = tuple(str(m) for m in h.months)
        if not len(h.months):
            log.warning("forecast: no incidents before %s; every forecast is 0", self.as_of_)
        self.bounds_ = self._bounds(bounds)
        n_months = len(h.months)
        forecast_months = list(range(max(1, n_months - MAX_FIT_MONTHS), n_months))
        nodes, fit_cells = self._fit_cells()
        sums = self._month_sums(nodes, fit_cells, forecast_months) if len(fit_cells) and n_months else None
        weights = None
        if forecast_months and sums is not None:
            xs, ys = [], []
            for t in forecast_months:
                y = sums.target[0, t - sums.first]
                if y.sum() <= 0:
                    continue
                start = 0 if self.fit_window is None else max(0, t - self.fit_window)
                xs.append(self._window_features(sums, start, t))
                ys.append(y)
            if xs:
                weights = _fit_weights(xs, ys, start=self.default_)
                self.n_fit_months_ = len(xs)
        if weights is None:
            self.n_fit_months_ = 0
        self.fitted_weights_ = None if weights is None else dict(zip(self.names_, weights, strict=True))
        # blend with the defaults, both normalised to a total forecast of 1 over the fit cells
        if sums is not None:
            totals = self._window_features(sums, 0, n_months).sum(axis=1)
        else:
            totals = np.ones(len(self.names_))
        w = _normalised(self.default_, totals)
        if weights is not None:
            n, n0 = float(self.n_fit_months_), float(policy.forecast_prior_months)
            w = (n * _normalised(weights, totals) + n0 * w) / (n + n0)
        self.weights_ = w
        self.coefficients_ = dict(zip(self.names_, (float(v) for v in w), strict=True))
        # calibration: the forecast over the fit cells totals the mean monthly target (in the fit area)
        monthly = float(sums.target[0].sum() + sums.old_target[0].sum()) / max(n_months, 1) if sums else 0.0
        total = float(w @ totals) if n_months else 0.0
        self.scale_ = monthly / total if total > 0 else 0.0
        self._grid: IntensityGrid | None = None
        self._reference: np.ndarray | None = None
        self._layers: tuple[np.ndarray, np.ndarray] | None = None
        self._tree: cKDTree | None = None
        log.debug("forecast fitted on %d month(s), %d fit month(s), %d cells", n_months, self.n_fit_months_,
                  len(fit_cells))
        return self

    def _bounds(self, bounds) -> tuple[float, float, float, float]:
        if bounds is not None:
            x0, y0, x1, y1 = (float(b) for b in bounds)
            if not (np.isfinite([x0, y0, x1, y1]).all() and x1 >= x0 and y1 >= y0):
                msg = f"bounds must be finite (xmin, ymin, xmax, ymax), got {bounds!r}"
                raise ValidationError(msg)
            return (x0, y0, x1, y1)
        xy = self.history_.xy
        if not len(xy):
            return (0.0, 0.0, self.cell_m, self.cell_m)
        lo = np.quantile(xy, 0.001, axis=0) if len(xy) >= 1000 else xy.min(axis=0)
        hi = np.quantile(xy, 0.999, axis=0) if len(xy) >= 1000 else xy.max(axis=0)
        return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))

    def _fit_cells(self) -> tuple[Nodes, np.ndarray]:
        """The fit's lattice of ``cell_m`` cells over the bounds (padded), and the flat indices of
        the cells holding any incident of the history (a fixed-seed sample past ``MAX_FIT_CELLS``)."""
        x0, y0, x1, y1 = self.bounds_
        pad = FIT_PAD_M
        gx0, gy0, nx, ny = aligned_grid_spec((x0 - pad, y0 - pad, x1 + pad, y1 + pad), self.cell_m)
        nodes = Nodes(gx0, gy0, self.cell_m, nx, ny, self.cell_m)
        xy = self.history_.xy
        if not len(xy):
            return nodes, np.zeros(0, dtype=np.int64)
        col = np.floor((xy[:, 0] - gx0) / self.cell_m).astype(np.int64)
        row = np.floor((xy[:, 1] - gy0) / self.cell_m).astype(np.int64)
        ok = (col >= 0) & (col < nx) & (row >= 0) & (row < ny)
        cells = np.unique(row[ok] * nx + col[ok])
        if len(cells) > MAX_FIT_CELLS:
            cells = np.sort(np.random.default_rng(_SEED).choice(cells, MAX_FIT_CELLS, replace=False))
        return nodes, cells

    def _month_sums(self, nodes: Nodes, cells: np.ndarray, forecast_months: list[int]) -> _Sums:
        """Raster sums of every category and the target, per month, at the fit cells."""
        h = self.history_
        n_months, n_cats, n_scales = len(h.months), len(CATEGORIES), len(self.scales_)
        # months older than a year before the first forecast month only enter windows whole
        # (a window from the start of the history); with a fit window they never enter
        f0 = forecast_months[0] if forecast_months else n_months
        first = max(0, f0 - max(self.fit_window or 0, 12))
        span = n_months - first
        cats = np.zeros((n_scales, span, n_cats, len(cells)), dtype=np.float32)
        target = np.zeros((n_scales, span, len(cells)), dtype=np.float32)
        old_cats = np.zeros((n_scales, n_cats, len(cells)))
        old_target = np.zeros((n_scales, len(cells)))
        # only incidents within reach of the lattice count
        reach = 0.5 * nodes.side + 3.0 * max(self.scales_) + nodes.step
        x1, y1 = nodes.x0 + nodes.nx * nodes.step, nodes.y0 + nodes.ny * nodes.step
        near = ((h.xy[:, 0] >= nodes.x0 - reach) & (h.xy[:, 0] <= x1 + reach)
                & (h.xy[:, 1] >= nodes.y0 - reach) & (h.xy[:, 1] <= y1 + reach))
        h_xy, h_month, h_cat, h_target = h.xy[near], h.month[near], h.cat[near], h.target[near]
        order = np.argsort(h_month, kind="stable")
        bounds = np.searchsorted(h_month[order], np.arange(n_months + 1))
        groups = [(first + k, order[bounds[first + k] : bounds[first + k + 1]]) for k in range(span)]
        if first > 0:
            groups.append((-1, order[: bounds[first]]))
        for mo, sel in groups:
            if not len(sel):
                continue
            layer = np.concatenate([h_cat[sel], np.full(len(sel), n_cats)])
            xy = np.vstack([h_xy[sel], h_xy[sel]])
            weight = np.concatenate([np.ones(len(sel)), h_target[sel]])
            for k, s in enumerate(self.scales_):
                a = square_sums(xy, layer, weight, n_cats + 1, nodes, s).reshape(n_cats + 1, -1)[:, cells]
                if mo < 0:
                    old_cats[k], old_target[k] = a[:n_cats], a[n_cats]
                else:
                    cats[k, mo - first], target[k, mo - first] = a[:n_cats], a[n_cats]
        return _Sums(cats, target, first, old_cats, old_target)

    def _window_features(self, sums: _Sums, start: int, t: int) -> np.ndarray:
        """Feature matrix (features x squares) forecasting month index ``t`` from months ``start..t-1``."""
        h = self.history_
        n_sq = sums.target.shape[-1]
        if t <= start:
            return np.zeros((len(self.names_), n_sq))
        lo = max(start, sums.first) - sums.first
        hi = t - sums.first
        cat_sum = sums.cats[:, lo:hi].sum(axis=1, dtype=float)
        tgt_sum = sums.target[0, lo:hi].sum(axis=0, dtype=float)
        if start < sums.first:  # a window from the start of the history takes in the older months
            cat_sum = cat_sum + sums.old_cats
            tgt_sum = tgt_sum + sums.old_target[0]
        recent = sums.target[0, max(lo, hi - RECENT_MONTHS):hi].sum(axis=0, dtype=float)
        forecast_month = h.months[t] if t < len(h.months) else self.as_of_.to_period("M")
        season = np.zeros(n_sq)
        ago = forecast_month - 12
        for i in range(max(start, sums.first), t):
            if h.months[i] == ago:
                season = sums.target[0, i - sums.first].astype(float)
        last = sums.target[:, hi - 1].astype(float) if hi >= 1 else np.zeros((len(self.scales_), n_sq))
        return self._assemble(tgt_sum, recent, season, last, cat_sum, t - start)

    def _assemble(self, tgt_sum, recent, season, last, cat_sum, n_window) -> np.ndarray:
        rows = [tgt_sum, recent, season]
        rows += [last[k] for k, s in enumerate(self.scales_) if s > 0]
        rates = np.sqrt(np.maximum(cat_sum, 0.0) / max(n_window, 1))  # (scales, categories, squares)
        for c in range(len(CATEGORIES)):
            for k in range(len(self.scales_)):
                rows.append(rates[k, c])
        return np.vstack(rows)

    # ------------------------------------------------------------------ queries

    def _check_fitted(self) -> None:
        if not hasattr(self, "weights_"):
            msg = "this AreaForecast is not fitted yet; call .fit(incidents, as_of) first"
            raise ValidationError(msg)

    def _location_layers(self) -> tuple[np.ndarray, np.ndarray]:
        """Distinct locations and their per-location sums over the whole history:
        categories, target, recent target, season target and last month's target."""
        if self._layers is None:
            from geo_risk.surface.intensity import _distinct_points

            h = self.history_
            locs, inv = _distinct_points(h.xy)
            n_months, n_cats = len(h.months), len(CATEGORIES)
            cols = np.zeros((len(locs), n_cats + 4))
            np.add.at(cols, (inv, h.cat), 1.0)
            cols[:, n_cats] = np.bincount(inv, weights=h.target, minlength=len(locs))
            recent = h.month >= n_months - RECENT_MONTHS
            cols[:, n_cats + 1] = np.bincount(inv, weights=h.target * recent, minlength=len(locs))
            ago = self.as_of_.to_period("M") - 12
            season = np.array([m == ago for m in h.months], dtype=bool)[h.month] if n_months else recent
            cols[:, n_cats + 2] = np.bincount(inv, weights=h.target * season, minlength=len(locs))
            cols[:, n_cats + 3] = np.bincount(inv, weights=h.target * (h.month == n_months - 1), minlength=len(locs))
            self._layers = (locs, cols)
            self._tree = cKDTree(locs) if len(locs) else None
        return self._layers

    def _features_from(self, per_scale: list[np.ndarray]) -> np.ndarray:
        """Features at squares from per-scale sums ``(squares, categories + 4)`` of the location layers."""
        n_cats = len(CATEGORIES)
        zero = per_scale[0]
        cat_sum = np.stack([p[:, :n_cats].T for p in per_scale])
        last = np.stack([p[:, n_cats + 3] for p in per_scale])
        return self._assemble(zero[:, n_cats], zero[:, n_cats + 1], zero[:, n_cats + 2], last, cat_sum,
                              len(self.history_.months))

    def forecast_at(self, xy: np.ndarray) -> np.ndarray:
        """Forecast target incidents next month in the square of side ``cell_m`` centred on
        each point (``(n, 2)`` EPSG:27700), by exact sums: the mean-month-calibrated score, >= 0."""
        self._check_fitted()
        from geo_risk.surface.grid import _as_xy

        xy = _as_xy(xy)
        if not len(self.history_.months) or not len(xy):
            return np.zeros(len(xy))
        locs, cols = self._location_layers()
        out = np.empty(len(xy))
        chunk = 5_000
        for start in range(0, len(xy), chunk):
            part = xy[start : start + chunk]
            per_scale = [_mass_matrix(part, locs, self.cell_m, s, self._tree) @ cols for s in self.scales_]
            out[start : start + len(part)] = self.scale_ * (self.weights_ @ self._features_from(per_scale))
        return out

    def forecast_nodes(self, nodes: Nodes) -> np.ndarray:
        """The forecast for every square of a lattice (``(ny, nx)``), from rasters."""
        self._check_fitted()
        h = self.history_
        if not len(h.months):
            return np.zeros((nodes.ny, nodes.nx))
        n_cats, n_months = len(CATEGORIES), len(h.months)
        ago = self.as_of_.to_period("M") - 12
        season_month = next((i for i, m in enumerate(h.months) if m == ago), -1)
        # layers: categories, target, recent target, season target, last month's target
        parts = [(h.cat, np.ones(len(h.xy)), slice(None)), (np.full(len(h.xy), n_cats), h.target, slice(None))]
        recent = h.month >= n_months - RECENT_MONTHS
        parts.append((np.full(int(recent.sum()), n_cats + 1), h.target[recent], recent))
        season = h.month == season_month
        parts.append((np.full(int(season.sum()), n_cats + 2), h.target[season], season))
        last = h.month == n_months - 1
        parts.append((np.full(int(last.sum()), n_cats + 3), h.target[last], last))
        layer = np.concatenate([p[0] for p in parts])
        weight = np.concatenate([p[1] for p in parts])
        xy = np.vstack([h.xy[p[2]] for p in parts])
        per_scale = [square_sums(xy, layer, weight, n_cats + 4, nodes, s).reshape(n_cats + 4, -1).T
                     for s in self.scales_]
        values = self.scale_ * (self.weights_ @ self._features_from(per_scale))
        return values.reshape(nodes.ny, nodes.nx)

    def forecast_cells(self, x0: float, y0: float, nx: int, ny: int) -> np.ndarray:
        """The forecast for every cell (side ``cell_m``) of an aligned grid, ``(ny, nx)``, from rasters."""
        return self.forecast_nodes(Nodes(x0, y0, self.cell_m, nx, ny, self.cell_m))

    # ------------------------------------------------------------------ the surface protocol

    def grid(self, bounds, step_m: float | None = None) -> IntensityGrid:
        """The forecast for squares (side ``cell_m``) centred on a lattice over ``bounds``,
        as an :class:`~geo_risk.surface.grid.IntensityGrid` of the lattice (values in
        target incidents per square per month). ``step_m`` is rounded down to an odd
        fraction of ``cell_m`` (default at most ``SURFACE_STEP_M``)."""
        self._check_fitted()
        step = float(step_m) if step_m is not None else min(SURFACE_STEP_M, self.cell_m)
        q = max(1, int(np.ceil(self.cell_m / step - 1e-9)))
        q += 1 - q % 2
        x0, y0, x1, y1 = (float(b) for b in bounds)
        while True:
            step = self.cell_m / q
            gx0, gy0, nx, ny = aligned_grid_spec((x0, y0, x1, y1), step)
            if nx * ny <= SURFACE_MAX_NODES or q == 1:
                break
            q = max(1, q - 2)
        values = self.forecast_nodes(Nodes(gx0, gy0, step, nx, ny, self.cell_m))
        return IntensityGrid(gx0, gy0, step, values)

    @property
    def grid_(self) -> IntensityGrid:
        """The forecast over the fitted bounds (built on first use, then kept)."""
        self._check_fitted()
        if self._grid is None:
            self._grid = self.grid(self.bounds_)
        return self._grid

    @property
    def reference_(self) -> np.ndarray:
        """Sorted forecasts of :attr:`grid_`'s squares: the citywide distribution for percentiles."""
        if self._reference is None:
            self._reference = np.sort(self.grid_.values, axis=None)
        return self._reference

    def sample(self, xy: np.ndarray) -> np.ndarray:
        """Fast approximate forecast at many points: bilinear on :attr:`grid_` (0 outside it)."""
        return self.grid_.sample(xy, method="bilinear")

    def intensity_at(self, xy: np.ndarray) -> np.ndarray:
        """The forecast for the square around each point (:meth:`forecast_at`), under the
        name area surfaces use."""
        return self.forecast_at(xy)

    def percentile_of(self, values: np.ndarray) -> np.ndarray:
        """Citywide percentile (0-100) of forecast values: the share of the fitted area's squares
        with a strictly lower forecast. A forecast of 0 is percentile 0."""
        self._check_fitted()
        values = np.asarray(values, dtype=float)
        ref = self.reference_
        return 100.0 * np.searchsorted(ref, values, side="left") / max(len(ref), 1)

    def percentile_at(self, xy: np.ndarray) -> np.ndarray:
        """Citywide percentile (0-100) of the exact forecast at points."""
        return self.percentile_of(self.forecast_at(xy))

    def fingerprint(self) -> str:
        """SHA-256 of what the forecast depends on: the policy, square, date, bounds, weights and history."""
        self._check_fitted()
        h = hashlib.sha256()
        h.update(json.dumps(dataclasses.asdict(self.policy), sort_keys=True, default=str).encode())
        h.update(repr((self.cell_m, self.fit_window, str(self.as_of_), tuple(round(b, 3) for b in self.bounds_),
                       self.history_months_)).encode())
        h.update(np.round(self.weights_, 12).tobytes())
        hist = self.history_
        h.update(np.ascontiguousarray(np.round(hist.xy, 3)).tobytes())
        h.update(np.ascontiguousarray(hist.month).tobytes() + np.ascontiguousarray(hist.cat).tobytes())
        h.update(np.ascontiguousarray(hist.target).tobytes())
        return h.hexdigest()

    def coefficients_frame(self) -> pd.DataFrame:
        """The coefficients used, the defaults and the fitted ones, one row per feature."""
        default = dict(zip(self.names_, self.default_, strict=True))
        fitted = self.fitted_weights_ or {}
        return pd.DataFrame(
            {
                "feature": list(self.names_),
                "weight": [self.coefficients_[n] for n in self.names_],
                "default": [default[n] for n in self.names_],
                "fitted": [fitted.get(n, float("nan")) for n in self.names_],
            }
        )


def forecast_surface(incidents: pd.DataFrame, as_of, policy: SurfacePolicy, *, bounds=None,
                     cell_m: float | None = None) -> AreaForecast:
    """The area forecast fitted at ``as_of``, ready to stand where an area surface is asked for.

    It answers ``percentile_at(xy)`` (placement checks), ``sample(xy)`` and
    ``percentile_of(values)`` (routes), ``intensity_at(xy)`` and ``fingerprint()`` as
    :class:`~geo_risk.surface.intensity.IntensitySurface` does, with the forecast of next
    month's target incidents in the square of side ``cell_m`` (default the policy's
    ``support_m``) around each point in place of the kernel intensity. ``bounds`` is the
    extent percentiles rank within (default the incidents' extent).
    """
    return AreaForecast(policy, cell_m=cell_m).fit(incidents, as_of, bounds=bounds)


def _default_vector(weights: Mapping[str, float], names: Sequence[str]) -> np.ndarray:
    unknown = sorted(set(weights) - set(names))
    if unknown:
        msg = (f"[surface.forecast_weights] unknown feature(s) {', '.join(unknown)}; features are named "
               "target, target_recent, season, target_last@SCALE and CATEGORY@SCALE for the scales in "
               "forecast_scales_m")
        raise ValidationError(msg)
    out = np.array([float(weights.get(n, 0.0)) for n in names])
    if not np.isfinite(out).all() or (out < 0).any():
        msg = "[surface.forecast_weights] weights must be finite numbers >= 0"
        raise ValidationError(msg)
    if out.sum() <= 0:
        out = np.zeros(len(names))
        out[0] = 1.0  # no defaults at all: counting the target
    return out


def _normalised(w: np.ndarray, totals: np.ndarray) -> np.ndarray:
    s = float(w @ totals)
    return w / s if s > 0 else w


def _fit_weights(xs: list[np.ndarray], ys: list[np.ndarray], *, start: np.ndarray,
                 iterations: int = EM_ITERATIONS) -> np.ndarray:
    """Non-negative weights of a Poisson model with identity link and a free scale per month.

    ``y_t ~ Poisson(s_t * (w @ X_t))`` for each forecast month ``t``; EM updates for ``w``
    (multiplicative, so weights stay >= 0) alternate with the closed-form scales, ``iterations`` times.
    """
    try:  # one BLAS thread: these matrix-vector products are small, and threads only contend
        from threadpoolctl import threadpool_limits

        limit = threadpool_limits(1)
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        limit = None
    try:
        return _em(np.hstack(xs), np.concatenate(ys), np.repeat(np.arange(len(xs)), [len(y) for y in ys]),
                   start, iterations)
    finally:
        if limit is not None:
            limit.restore_original_limits()


def _em(x: np.ndarray, y: np.ndarray, month: np.ndarray, start: np.ndarray, iterations: int) -> np.ndarray:
    n_months = int(month.max()) + 1
    y_tot = np.bincount(month, weights=y, minlength=n_months)
    col = np.stack([x[:, month == t].sum(axis=1) for t in range(n_months)], axis=1)  # (features, months)
    usable = col.sum(axis=1) > 0
    w = np.where(start > 0, start, start.max() * 1e-3 if start.max() > 0 else 1e-3).astype(float)
    w = np.where(usable, w, 0.0)
    for _ in range(iterations):
        pred = w @ x
        scales = y_tot / np.maximum(np.bincount(month, weights=pred, minlength=n_months), 1e-12)
        mu = scales[month] * pred + _FLOOR
        num = x @ (scales[month] * y / mu)
        den = col @ scales
        w = np.where(den > 0, w * num / np.maximum(den, 1e-300), 0.0)
    return w


def forecast_scorer(policy: SurfacePolicy):
    """A back-test scorer (:data:`geo_risk.surface.evaluate.Scorer`): the forecast fitted on the
    history and the area's bounds, for each evaluation cell (a square of the cell's side)."""

    def score(incidents: pd.DataFrame, as_of: pd.Timestamp, grid) -> np.ndarray:
        model = AreaForecast(policy, cell_m=grid.cell_m).fit(incidents, as_of, bounds=grid.bounds)
        score.fitted.append((str(pd.Timestamp(as_of).to_period("M")), model.coefficients_frame()))
        return model.forecast_cells(grid.x0, grid.y0, grid.nx, grid.ny).ravel()[grid.inside]

    score.fitted = []  # type: ignore[attr-defined]
    return score
