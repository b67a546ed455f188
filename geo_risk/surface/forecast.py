"""The area forecast: next month's target incidents in a square, with weights learned from
the area's own history.

The forecast for a square ``S`` of side ``cell_m`` (a place, or an evaluation cell) is a
non-negative combination of features of the history before ``as_of``::

    forecast(S) = scale * sum_j w_j * F_j(S)

Every feature is an expected count in ``S``: the incidents of a category (or of the
target set) over a time window, spread by a Gaussian of scale ``h`` (``h = 0``: the
incidents inside ``S`` itself) and integrated over ``S`` exactly. The features
(:func:`feature_names`):

``target``
    Target incidents in ``S`` over the whole history (the long memory; a count, so its
    weight relative to the rates below grows with the length of the history, as an
    empirical-Bayes posterior does).
``target_recent``
    Target incidents in ``S`` in the last three months with data (recency).
``season``
    Target incidents in ``S`` in the same calendar month a year before ``as_of``
    (zero without that month).
``target_last@h``
    Last month's target incidents near ``S`` (scale ``h`` > 0): near-repeat.
``<category>@h``
    Incidents of each category per month of history, at each scale ``h`` (0 and the
    policy's ``forecast_scales_m``): the prior that all crime (about 2.5 times as many
    incidents as the target) gives where the target's own history is thin.

The weights are fitted by rolling origin on the history alone: for each month ``t`` of
the history with data before it, the features of the months before ``t`` forecast ``t``'s
target counts in the cells (side ``cell_m``) holding any incident, under a Poisson
likelihood with an identity link, non-negative weights and a free scale per month (only
where the forecast puts incidents matters, not how many a month has), by EM. The fitted
weights are then shrunk towards the policy's defaults (``forecast_weights``, fitted the
same way on a reference history) with the strength of ``forecast_prior_months`` months:
``w = (n * w_fit + n0 * w_default) / (n + n0)`` for ``n`` fitted months, each weight vector
first normalised to a total forecast of 1 over the cells. With one month of history
nothing can be fitted and the defaults are used as they are; gaps in the history are
skipped over (a month's "previous month" is the last one with data).

The fitted coefficients are in :attr:`AreaForecast.coefficients_` (with the policy
version when fitted through :func:`forecast_scorer`); the CLI prints or writes them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial import cKDTree
from scipy.special import ndtr

from geo_risk.config import SurfacePolicy
from geo_risk.errors import ValidationError
from geo_risk.surface.grid import aligned_grid_spec

log = logging.getLogger(__name__)

#: police.uk's street-level categories: each gets its own features (other categories share one).
POLICE_UK_CATEGORIES: tuple[str, ...] = (
    "Anti-social behaviour", "Bicycle theft", "Burglary", "Criminal damage and arson", "Drugs",
    "Other crime", "Other theft", "Possession of weapons", "Public order", "Robbery", "Shoplifting",
    "Theft from the person", "Vehicle crime", "Violence and sexual offences",
)
OTHER = "Other categories"
#: Months counted as "recent" by ``target_recent``.
RECENT_MONTHS = 3
#: EM iterations of the weight fit and the floor added to every forecast (incidents per cell).
EM_ITERATIONS = 150
_FLOOR = 1e-6
#: The fit uses at most this many of the most recent months as forecast months.
MAX_FIT_MONTHS = 12
#: Padding around the fitted bounds (metres) so that features near the edge see their neighbours.
FIT_PAD_M = 1500.0


def feature_names(scales_m: Sequence[float]) -> tuple[str, ...]:
    """The model's features in order, for kernel scales ``scales_m`` (0 is always included)."""
    scales = _scales(scales_m)
    names = ["target", "target_recent", "season"]
    names += [f"target_last@{s:g}" for s in scales if s > 0]
    for cat in (*POLICE_UK_CATEGORIES, OTHER):
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


def _mass_matrix(query: np.ndarray, locs: np.ndarray, side_m: float, scale_m: float) -> sparse.csr_matrix:
    """Sparse (queries x locations) matrix of :func:`square_mass`."""
    if not len(query) or not len(locs):
        return sparse.csr_matrix((len(query), len(locs)))
    reach = 0.5 * side_m + 3.0 * scale_m + 1e-6
    qtree = cKDTree(query)
    ltree = cKDTree(locs)
    pairs = qtree.sparse_distance_matrix(ltree, reach, p=np.inf, output_type="ndarray")
    i, j = pairs["i"], pairs["j"]
    # a location exactly on the query point has distance 0 and is still listed
    mass = square_mass(locs[j, 0] - query[i, 0], locs[j, 1] - query[i, 1], side_m, scale_m)
    keep = mass > 0
    return sparse.csr_matrix((mass[keep], (i[keep], j[keep])), shape=(len(query), len(locs)))


@dataclass(frozen=True)
class _History:
    """Incidents binned by distinct location, month and category (the model's raw input)."""

    locs: np.ndarray  # (n_locs, 2)
    months: tuple[pd.Period, ...]  # months with data, sorted
    counts: sparse.csr_matrix  # (n_locs, n_months * n_cats): incidents
    target: sparse.csr_matrix  # (n_locs, n_months): (harm-weighted) target incidents
    n_cats: int


def _bin_history(incidents: pd.DataFrame, as_of: pd.Timestamp, targets: Sequence[str],
                 harm: Mapping[str, float], horizon_days: float) -> _History:
    from geo_risk.surface.intensity import _distinct_points, _point_coords

    xy, ok = _point_coords(incidents)
    when = pd.to_datetime(incidents["occurred_at"])
    age = (as_of - when).dt.total_seconds().to_numpy() / 86400.0
    keep = ok & np.isfinite(age) & (age > 0) & (age <= horizon_days)
    xy = xy[keep]
    month = when[keep].dt.to_period("M").to_numpy()
    category = incidents["category"].to_numpy(dtype=object)[keep]
    months = tuple(sorted(set(month)))
    locs, inverse = _distinct_points(xy)
    cats = (*POLICE_UK_CATEGORIES, OTHER)
    cat_index = {c: i for i, c in enumerate(cats)}
    ci = np.fromiter((cat_index.get(c, len(cats) - 1) for c in category), dtype=np.int64, count=len(category))
    mi = np.searchsorted(np.array(months, dtype=object), month) if len(months) else np.zeros(0, dtype=np.int64)
    n_locs, n_months = len(locs), len(months)
    counts = sparse.csr_matrix(
        (np.ones(len(xy)), (inverse, mi * len(cats) + ci)), shape=(n_locs, max(n_months, 1) * len(cats))
    )
    target_set = set(targets)
    weight = np.array([float(harm.get(c, 1.0)) if c in target_set else 0.0 for c in category])
    target = sparse.csr_matrix((weight, (inverse, mi)), shape=(n_locs, max(n_months, 1)))
    return _History(locs, months, counts, target, len(cats))


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
        self.fit_window = fit_window
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
        (the area asked about); default the incidents' extent.
        """
        from geo_risk.surface.intensity import _as_timestamp

        policy = self.policy
        self.as_of_ = _as_timestamp(as_of)
        self.history_ = _bin_history(incidents, self.as_of_, policy.forecast_targets,
                                     policy.forecast_harm_weights, float(policy.horizon_days))
        h = self.history_
        self.history_months_ = tuple(str(m) for m in h.months)
        if not len(h.months):
            log.warning("forecast: no incidents before %s; every forecast is 0", self.as_of_)
        fit_cells = self._fit_cells(bounds)
        n_months = len(h.months)
        forecast_months = list(range(max(1, n_months - MAX_FIT_MONTHS), n_months))
        weights = None
        per_month = self._month_features(self._mass_matrices(fit_cells)) if len(fit_cells) and n_months else None
        if forecast_months and per_month is not None:
            xs, ys = [], []
            for t in forecast_months:
                y = per_month["target"][0][:, t]
                if y.sum() <= 0:
                    continue
                window = list(range(t)) if self.fit_window is None else list(range(max(0, t - self.fit_window), t))
                xs.append(self._features(per_month, window, t))
                ys.append(y)
            if xs:
                weights = _fit_weights(xs, ys, start=self.default_)
                self.n_fit_months_ = len(xs)
        if weights is None:
            self.n_fit_months_ = 0
        self.fitted_weights_ = None if weights is None else dict(zip(self.names_, weights, strict=True))
        # blend with the defaults, both normalised to a total forecast of 1 over the fit cells
        if per_month is not None:
            totals = self._features(per_month, list(range(n_months)), n_months).sum(axis=1)
        else:
            totals = np.ones(len(self.names_))
        w = _normalised(self.default_, totals)
        if weights is not None:
            n, n0 = float(self.n_fit_months_), float(policy.forecast_prior_months)
            w = (n * _normalised(weights, totals) + n0 * w) / (n + n0)
        self.weights_ = w
        self.coefficients_ = dict(zip(self.names_, (float(v) for v in w), strict=True))
        # calibration: the forecast over the fit cells totals the mean monthly target count
        monthly = float(h.target.sum()) / max(n_months, 1)
        total = float(w @ totals) if n_months else 0.0
        self.scale_ = monthly / total if total > 0 else 0.0
        log.debug("forecast fitted on %d month(s), %d fit month(s), %d cells", n_months, self.n_fit_months_,
                  len(fit_cells))
        return self

    def _fit_cells(self, bounds) -> np.ndarray:
        """Centres of the ``cell_m`` cells (within ``bounds``, padded) holding any incident of the history."""
        h = self.history_
        if not len(h.locs):
            return np.empty((0, 2))
        locs = h.locs
        if bounds is not None:
            x0, y0, x1, y1 = (float(b) for b in bounds)
            inside = ((locs[:, 0] >= x0 - FIT_PAD_M) & (locs[:, 0] <= x1 + FIT_PAD_M)
                      & (locs[:, 1] >= y0 - FIT_PAD_M) & (locs[:, 1] <= y1 + FIT_PAD_M))
            locs = locs[inside]
            if not len(locs):
                return np.empty((0, 2))
        x0, y0, _, _ = aligned_grid_spec((*locs.min(axis=0), *locs.max(axis=0)), self.cell_m)
        col = np.floor((locs[:, 0] - x0) / self.cell_m)
        row = np.floor((locs[:, 1] - y0) / self.cell_m)
        cells = np.unique(np.column_stack([col, row]), axis=0)
        return np.column_stack([x0 + (cells[:, 0] + 0.5) * self.cell_m, y0 + (cells[:, 1] + 0.5) * self.cell_m])

    def _mass_matrices(self, query: np.ndarray) -> list[sparse.csr_matrix]:
        return [_mass_matrix(query, self.history_.locs, self.cell_m, s) for s in self.scales_]

    def _month_features(self, mats: list[sparse.csr_matrix]) -> dict[str, np.ndarray]:
        """Per-month raw sums at the query squares: ``cats`` (scales, queries, months, cats)
        and ``target`` (scales, queries, months)."""
        h = self.history_
        n_months = max(len(h.months), 1)
        cats = np.stack([np.asarray((m @ h.counts).todense()).reshape(m.shape[0], n_months, h.n_cats)
                         for m in mats])
        target = np.stack([np.asarray((m @ h.target).todense()) for m in mats])
        return {"cats": cats, "target": target}

    def _features(self, per_month: dict[str, np.ndarray], window: list[int], t: int) -> np.ndarray:
        """Feature matrix (features x queries) forecasting month index ``t`` from months ``window``."""
        h = self.history_
        cats, target = per_month["cats"], per_month["target"]
        n_q = cats.shape[1]
        rows = []
        if not window:
            return np.zeros((len(self.names_), n_q))
        rows.append(target[0][:, window].sum(axis=1))
        rows.append(target[0][:, window[-RECENT_MONTHS:]].sum(axis=1))
        forecast_month = h.months[t] if t < len(h.months) else (h.months[-1] + 1 if h.months else None)
        season = np.zeros(n_q)
        if forecast_month is not None:
            ago = forecast_month - 12
            for i in window:
                if h.months[i] == ago:
                    season = target[0][:, i]
        rows.append(season)
        for k, s in enumerate(self.scales_):
            if s > 0:
                rows.append(target[k][:, window[-1]])
        per = cats[:, :, window, :].sum(axis=2) / len(window)  # (scales, queries, cats)
        for c in range(h.n_cats):
            for k in range(len(self.scales_)):
                rows.append(per[k, :, c])
        return np.vstack(rows)

    # ------------------------------------------------------------------ queries

    def forecast_at(self, xy: np.ndarray) -> np.ndarray:
        """Forecast target incidents next month in the square of side ``cell_m`` centred on
        each point (``(n, 2)`` EPSG:27700): the mean-month-calibrated score, >= 0."""
        if not hasattr(self, "weights_"):
            msg = "this AreaForecast is not fitted yet; call .fit(incidents, as_of) first"
            raise ValidationError(msg)
        from geo_risk.surface.grid import _as_xy

        xy = _as_xy(xy)
        n_months = len(self.history_.months)
        if not n_months or not len(xy):
            return np.zeros(len(xy))
        out = np.empty(len(xy))
        chunk = 5_000
        for start in range(0, len(xy), chunk):
            part = xy[start : start + chunk]
            feats = self._features(self._month_features(self._mass_matrices(part)), list(range(n_months)), n_months)
            out[start : start + len(part)] = self.scale_ * (self.weights_ @ feats)
        return out

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
        return model.forecast_at(grid.centres())

    score.fitted = []  # type: ignore[attr-defined]
    return score
