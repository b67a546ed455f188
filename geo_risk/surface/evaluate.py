"""Back-testing the area forecast: rolling-origin hit rate, PAI and PEI with bootstrap intervals.

For each test month ``m``, every method is fitted only on the incidents of months
before ``m`` (with ``history=N``: only the ``N`` most recent months with data before
``m``; months missing from the data are skipped over, not counted) and scores the
cells of a regular grid over the area. Flagging the top ``k = max(1, round(coverage * N))``
of the ``N`` cells, we report

- hit rate: the share of month ``m``'s target incidents (in the area's cells) that fall
  in flagged cells;
- PAI (Predictive Accuracy Index): hit rate / (k / N);
- PEI (Predictive Efficiency Index): incidents captured / the most any ``k`` cells
  could have captured in month ``m`` (1 is perfect foresight).

Ties in cell scores are broken by expected capture: the cells tied at the cut-off
share the remaining flagged slots, each counted with the probability that a uniform
random tie-break would flag it. The flagged area is exactly ``k`` cells and ties never
favour any method.

Methods (see :data:`METHODS`):

``model``
    The area forecast (:class:`geo_risk.surface.forecast.AreaForecast` by default; any
    :data:`Scorer` can be given). A cell's score is the forecast for the cell's square.
``previous_month``
    Count of target incidents in the cell in the most recent month with data before ``m``.
``all_prior``
    Count of target incidents in the cell over the history (every month before ``m``,
    or the last ``N``).
``plain_kde``
    Gaussian kernel density of the history's target incidents: fixed bandwidth, no time
    decay, no category weights (exact cell means).
``long_run`` (a ceiling)
    Count of target incidents in the cell in every *other* month of the data, before and
    after ``m``: a stand-in that knows the area's long-run rate. No forecast can be
    expected to beat it by much; the gap between ``all_prior`` and ``long_run`` is what
    is predictable beyond counting.
``perfect`` (a ceiling)
    The test month's own counts (perfect foresight; PEI 1 by definition).

Harm weighting (``harm_weights``): each target incident counts with its category's weight
(for example Cambridge Crime Harm Index values, or the policy's category weights; a
category missing from the table counts 1) in the test month's targets, in the count
baselines, the plain KDE and the ceilings alike, so PAI becomes the share of harm captured
over the share of area flagged. Without weights every incident counts once.

Intervals: a two-stage bootstrap (``n_boot`` replicates, fixed seed) resamples the test
months with replacement and, within each month, its target incidents (multinomial over
cells with the month's own shares), so that it carries both the month-to-month spread
and each month's own Poisson noise (harm-weighted: a resampled incident carries the mean
weight of its cell's incidents). The flagged cells of each method stay fixed (they
depend only on the history; perfect foresight keeps the observed month's top cells), and
so does each month's best capture, the PEI denominator, so that every resampled
statistic is linear in the resampled counts and unbiased. Differences between the model and each other method are
bootstrapped on the same replicates (paired).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from geo_risk.config import SurfacePolicy
from geo_risk.errors import ValidationError
from geo_risk.surface.grid import aligned_grid_spec
from geo_risk.surface.intensity import IntensitySurface, _point_coords

log = logging.getLogger(__name__)

#: The default forecast target: next month's serious violence, weapons and robbery.
TARGET_CATEGORIES: tuple[str, ...] = ("Violence and sexual offences", "Possession of weapons", "Robbery")
COVERAGES: tuple[float, ...] = (0.01, 0.05, 0.10)
BASELINES: tuple[str, ...] = ("previous_month", "all_prior", "plain_kde")
CEILINGS: tuple[str, ...] = ("long_run", "perfect")
METHODS: tuple[str, ...] = ("model", *BASELINES, *CEILINGS)
METRICS: tuple[str, ...] = ("pai", "pei", "hit_rate")
#: Bandwidth of the plain-KDE baseline (the middle of the 150-300 m range argued for in the design).
PLAIN_KDE_BANDWIDTH_M = 200.0
#: Bootstrap replicates and seed (reproducible intervals).
N_BOOT = 1000
BOOT_SEED = 20250401
#: Central interval of the bootstrap.
INTERVAL = 0.95


@dataclass(frozen=True)
class EvalGrid:
    """Regular grid of evaluation cells; only the area's cells (``inside``) count.

    Attributes
    ----------
    x0, y0
        Lower-left corner (EPSG:27700).
    cell_m
        Cell size in metres.
    nx, ny
        Columns and rows.
    inside
        Flat (row-major) indices of the area's cells.
    """

    x0: float
    y0: float
    cell_m: float
    nx: int
    ny: int
    inside: np.ndarray

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return (self.x0, self.y0, self.x0 + self.nx * self.cell_m, self.y0 + self.ny * self.cell_m)

    @property
    def n_cells(self) -> int:
        return len(self.inside)

    def centres(self) -> np.ndarray:
        """``(n_cells, 2)`` centres of the area's cells, in the order of :attr:`inside`."""
        rows, cols = np.divmod(self.inside, self.nx)
        return np.column_stack([self.x0 + (cols + 0.5) * self.cell_m, self.y0 + (rows + 0.5) * self.cell_m])

    def flat_index(self, xy: np.ndarray) -> np.ndarray:
        """Flat cell index of each point, -1 off the grid."""
        col = np.floor((xy[:, 0] - self.x0) / self.cell_m).astype(np.int64)
        row = np.floor((xy[:, 1] - self.y0) / self.cell_m).astype(np.int64)
        ok = (col >= 0) & (col < self.nx) & (row >= 0) & (row < self.ny)
        return np.where(ok, row * self.nx + col, -1)

    def counts(self, xy: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Sum of ``weights`` (default 1) of the points in each of the area's cells."""
        flat = self.flat_index(xy)
        ok = flat >= 0
        w = np.ones(len(xy)) if weights is None else np.asarray(weights, dtype=float)
        full = np.bincount(flat[ok], weights=w[ok], minlength=self.nx * self.ny)
        return full[self.inside]


def boundary_grid(boundary, cell_m: float) -> EvalGrid:
    """Evaluation grid over a boundary (GeoDataFrame/GeoSeries, dissolved here, or a shapely
    geometry in EPSG:27700): the cells whose centre lies inside.

    The boundary is reprojected to EPSG:27700 and repaired (``make_valid``) before use.
    """
    import shapely

    from geo_risk.crs import to_store

    if hasattr(boundary, "crs") and hasattr(boundary, "to_crs"):
        gdf = to_store(boundary)
        geom = shapely.union_all(shapely.make_valid(np.asarray(gdf.geometry.values, dtype=object)))
    else:
        geom = shapely.make_valid(boundary)
    if geom.is_empty:
        msg = "the boundary is empty; pass a polygon file of the area to evaluate"
        raise ValidationError(msg)
    x0, y0, nx, ny = aligned_grid_spec(geom.bounds, cell_m)
    xs = x0 + (np.arange(nx) + 0.5) * cell_m
    ys = y0 + (np.arange(ny) + 0.5) * cell_m
    gx, gy = np.meshgrid(xs, ys)
    mask = shapely.contains_xy(geom, gx.ravel(), gy.ravel())
    inside = np.flatnonzero(mask)
    if not len(inside):
        msg = f"no {cell_m:g} m cell centre lies inside the boundary; use a smaller --cell"
        raise ValidationError(msg)
    return EvalGrid(x0, y0, float(cell_m), nx, ny, inside)


def lsoa_area_grid(incidents: pd.DataFrame, name: str, cell_m: float) -> EvalGrid:
    """Evaluation grid of an area named by the local authority that starts police.uk's
    ``LSOA name`` (``"Nottingham"`` selects rows like ``Nottingham 012A``).

    Without a boundary polygon, the area is the set of cells holding at least one located
    incident (any category, any month of the data) whose ``lsoa_name`` is ``NAME`` followed
    by a space and the LSOA's own code; every incident in those cells counts as in the area.
    """
    if "lsoa_name" not in incidents.columns:
        msg = "incidents have no lsoa_name column; an area by name needs police.uk street-level files"
        raise ValidationError(msg)
    name = str(name).strip()
    if not name:
        msg = "the area name is empty; give a local-authority name as it starts police.uk's LSOA name"
        raise ValidationError(msg)
    xy, ok = _point_coords(incidents)
    lsoa = incidents["lsoa_name"].fillna("").astype(str).to_numpy()
    pattern = re.compile(re.escape(name) + r" \S+$", re.IGNORECASE)
    sel = ok & np.fromiter((bool(pattern.match(v)) for v in lsoa), dtype=bool, count=len(lsoa))
    if not sel.any():
        msg = (
            f"no located incident has an LSOA name starting with {name!r}; give the local authority "
            "as police.uk writes it (for example 'Nottingham' for 'Nottingham 012A') or use --boundary"
        )
        raise ValidationError(msg)
    pts = xy[sel]
    x0, y0, nx, ny = aligned_grid_spec((*pts.min(axis=0), *pts.max(axis=0)), cell_m)
    grid = EvalGrid(x0, y0, float(cell_m), nx, ny, np.arange(nx * ny))
    inside = np.unique(grid.flat_index(pts))
    return EvalGrid(x0, y0, float(cell_m), nx, ny, inside[inside >= 0])


# --------------------------------------------------------------------- metrics


def capture_weights(scores: np.ndarray, k: int) -> np.ndarray:
    """Share of each cell that flagging the top ``k`` flags: 1 above the cut-off, the tied
    cells' fair share at it (``r / m`` for ``m`` tied cells and ``r`` slots left), 0 below."""
    scores = np.asarray(scores, dtype=float)
    n = len(scores)
    if not 0 <= k <= n:
        msg = f"k must be between 0 and the number of cells ({n}), got {k}"
        raise ValidationError(msg)
    out = np.zeros(n)
    if k == 0:
        return out
    threshold = np.partition(scores, n - k)[n - k]
    above = scores > threshold
    tied = scores == threshold
    out[above] = 1.0
    out[tied] = (k - int(above.sum())) / int(tied.sum())
    return out


def capture(scores: np.ndarray, targets: np.ndarray, k: int) -> float:
    """Expected number of targets captured by flagging the top ``k`` cells, ties shared fairly.

    Cells scoring above the ``k``-th highest score are flagged; the ``m`` cells tied at
    that score share the ``r`` remaining slots, each contributing ``r / m`` of its targets
    (the expectation under a uniformly random tie-break).
    """
    return float(capture_weights(scores, k) @ np.asarray(targets, dtype=float))


def k_cells(coverage: float, n: int) -> int:
    """Cells flagged at an area ``coverage`` (0-1] of ``n`` cells: ``max(1, round(coverage * n))``."""
    if not 0 < coverage <= 1:
        msg = f"coverage must be in (0, 1], got {coverage!r}"
        raise ValidationError(msg)
    return max(1, int(round(coverage * n)))  # noqa: RUF046 - coverage * n may be a NumPy scalar


def best_capture(targets: np.ndarray, k: int) -> float:
    """The most targets any ``k`` cells hold (perfect foresight)."""
    targets = np.asarray(targets, dtype=float)
    if k <= 0:
        return 0.0
    return float(np.sort(targets)[::-1][:k].sum())


def hit_rate_pai(scores: np.ndarray, targets: np.ndarray, coverage: float) -> tuple[float, float, int]:
    """Hit rate, PAI and the number of flagged cells at an area ``coverage`` (0-1).

    ``k = max(1, round(coverage * N))``; hit rate is captured / total targets and PAI is
    hit rate / (k / N). With no targets both are NaN.
    """
    n = len(scores)
    k = k_cells(coverage, n)
    total = float(np.sum(targets))
    if total <= 0:
        return float("nan"), float("nan"), k
    hit = capture(scores, targets, k) / total
    return hit, hit / (k / n), k


def pei(scores: np.ndarray, targets: np.ndarray, coverage: float) -> float:
    """Predictive Efficiency Index: captured / the best capture of the same number of cells."""
    k = k_cells(coverage, len(scores))
    best = best_capture(targets, k)
    return capture(scores, targets, k) / best if best > 0 else float("nan")


# --------------------------------------------------------------------- scorers

#: ``scorer(history_incidents, as_of, grid) -> scores of grid's cells``: the model under test.
Scorer = Callable[[pd.DataFrame, pd.Timestamp, EvalGrid], np.ndarray]


def surface_cell_scores(surface_policy: SurfacePolicy, incidents: pd.DataFrame, as_of: pd.Timestamp, grid: EvalGrid):
    """Mean intensity over each evaluation cell: the surface's exact area intensity at the
    cell centres with a block (``support_m``) of exactly one cell."""
    fitted = IntensitySurface(surface_policy).fit(incidents, as_of, bounds=grid.bounds)
    return fitted.intensity_at(grid.centres(), support_m=grid.cell_m)


def surface_scorer(surface_policy: SurfacePolicy) -> Scorer:
    """A :data:`Scorer` for the kernel intensity of ``surface_policy`` (exact cell means)."""

    def score(incidents: pd.DataFrame, as_of: pd.Timestamp, grid: EvalGrid) -> np.ndarray:
        return surface_cell_scores(surface_policy, incidents, as_of, grid)

    return score


def plain_kde_policy(bandwidth_m: float = PLAIN_KDE_BANDWIDTH_M, targets: Sequence[str] = TARGET_CATEGORIES,
                     harm_weights: Mapping[str, float] | None = None):
    """The plain-KDE baseline as a surface policy: target categories only, weight 1 (or the
    category's harm weight), no decay, no horizon."""
    harm = dict(harm_weights or {})
    return SurfacePolicy(
        bandwidth_m=bandwidth_m,
        half_life_days=0.0,
        horizon_days=10**6,
        cell_m=bandwidth_m / 2,
        default_weight=0.0,
        category_weights={c: float(harm.get(c, 1.0)) for c in targets},
    )


def check_harm_weights(harm_weights: Mapping[str, float] | None) -> dict[str, float]:
    """Harm weights by category as floats; each must be a finite number >= 0."""
    out = {}
    for cat, w in dict(harm_weights or {}).items():
        try:
            value = float(w)
        except (TypeError, ValueError):
            value = float("nan")
        if not (np.isfinite(value) and value >= 0):
            msg = f"harm weight of {cat!r} must be a number >= 0, got {w!r}"
            raise ValidationError(msg)
        out[str(cat)] = value
    return out


def _months(incidents: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(incidents["occurred_at"]).dt.to_period("M")


# --------------------------------------------------------------------- back-test


@dataclass(frozen=True)
class Backtest:
    """The result of :func:`backtest`.

    Attributes
    ----------
    table
        One row per test month, method and coverage: ``month, method, coverage, k_cells,
        n_cells, n_targets, history_months, captured, hit_rate, pai, pei``.
    summary
        One row per method and coverage: the mean over test months of each metric with
        its bootstrap interval (``pai, pai_lo, pai_hi``, the same for ``pei`` and ``hit_rate``).
    differences
        One row per other method and coverage: the model's mean minus the method's, with
        the paired bootstrap interval (``pai_diff, pai_diff_lo, pai_diff_hi``, the same for
        ``pei``) and the ratio of the means (``pai_ratio``).
    cell_m, n_cells, history
        The evaluation cell size, the area's cell count and the history (months; ``None`` = all).
    harm_weights
        The harm weights the targets were counted with (empty: every incident once).
    """

    table: pd.DataFrame
    summary: pd.DataFrame
    differences: pd.DataFrame
    cell_m: float
    n_cells: int
    history: int | None
    notes: tuple[str, ...] = field(default=())
    harm_weights: Mapping[str, float] = field(default_factory=dict)

    @property
    def months(self) -> list[str]:
        return sorted(self.table["month"].unique())


def backtest(
    incidents: pd.DataFrame,
    area,
    *,
    policy: SurfacePolicy | None = None,
    model: Scorer | None = None,
    cell_m: float = 250.0,
    coverages: Sequence[float] = COVERAGES,
    targets: Sequence[str] = TARGET_CATEGORIES,
    kde_bandwidth_m: float = PLAIN_KDE_BANDWIDTH_M,
    test_months: Sequence[str] | None = None,
    history: int | None = None,
    n_boot: int = N_BOOT,
    seed: int = BOOT_SEED,
    harm_weights: Mapping[str, float] | None = None,
) -> Backtest:
    """Rolling-origin back-test of the model against the baselines and the two ceilings.

    Parameters
    ----------
    incidents
        Incidents in EPSG:27700 (data contract), e.g. several months of police.uk.
    area
        The area: an :class:`EvalGrid` (e.g. from :func:`lsoa_area_grid`), or a boundary
        (polygon GeoDataFrame in any CRS, or a shapely geometry in EPSG:27700) gridded at ``cell_m``.
    policy, model
        The model under test: a :data:`Scorer`, or the kernel intensity of a surface
        ``policy`` (one of the two is required).
    cell_m
        Evaluation cell size in metres (ignored when ``area`` is already a grid).
    coverages
        Shares of the area flagged (0-1).
    targets
        Categories forecast.
    kde_bandwidth_m
        Bandwidth of the plain-KDE baseline.
    test_months
        ``YYYY-MM`` months to test; default every month with at least ``history`` (or 1)
        months of data before it.
    history
        Use only the last ``history`` months with data before each test month (``None``: all).
    n_boot, seed
        Bootstrap replicates (0: no intervals) and seed.
    harm_weights
        Weight of each target category (missing: 1); ``None`` or empty counts every
        incident once. The model under test should forecast the same harm (the area
        forecast's ``forecast_harm_weights``).
    """
    if model is None:
        if policy is None:
            msg = "backtest needs the model under test: a scorer (model=) or a surface policy (policy=)"
            raise ValidationError(msg)
        model = surface_scorer(policy)
    if history is not None and history < 1:
        msg = f"history must be at least 1 month, got {history!r}"
        raise ValidationError(msg)
    grid = area if isinstance(area, EvalGrid) else boundary_grid(area, cell_m)
    xy, ok = _point_coords(incidents)
    inc = incidents.loc[ok].copy()
    xy = xy[ok]
    month = _months(inc).to_numpy()
    is_target = inc["category"].isin(list(targets)).to_numpy()
    harm = check_harm_weights(harm_weights)
    weight = inc["category"].map(lambda c: harm.get(c, 1.0)).to_numpy(dtype=float) if harm else np.ones(len(inc))
    present = sorted(set(month))
    need = history or 1
    if test_months is None:
        chosen = [m for i, m in enumerate(present) if i >= need]
    else:
        chosen = sorted({pd.Period(m, "M") for m in test_months})
        absent = [str(m) for m in chosen if m not in present]
        if absent:
            msg = f"test month(s) {', '.join(absent)} have no incidents; months present: {', '.join(map(str, present))}"
            raise ValidationError(msg)
        short = [str(m) for m in chosen if sum(p < m for p in present) < need]
        if short:
            msg = f"test month(s) {', '.join(short)} have fewer than {need} month(s) of data before them"
            raise ValidationError(msg)
    if not chosen:
        msg = (
            f"no month to test: a test month needs at least {need} month(s) of data before it "
            f"(months present: {', '.join(map(str, present))}); pass more months of incidents"
        )
        raise ValidationError(msg)
    kde_policy = plain_kde_policy(kde_bandwidth_m, targets, harm)
    rows = []
    flags: dict[str, list[np.ndarray]] = {}  # "method@coverage" -> per-month flag weights
    ys: list[np.ndarray] = []
    ns: list[np.ndarray] = []  # target incidents per cell (the bootstrap resamples incidents)

    def counts(sel):
        return grid.counts(xy[sel], weight[sel])

    for m in chosen:
        as_of = m.to_timestamp()
        before = [p for p in present if p < m]
        window = before if history is None else before[-history:]
        in_window = np.isin(month, window)
        y = counts((month == m) & is_target)
        n_y = grid.counts(xy[(month == m) & is_target])
        if y.sum() <= 0:
            log.warning("back-test %s: no target incident in the area; month skipped", m)
            continue
        scores = {
            "model": np.asarray(model(inc.loc[in_window], as_of, grid), dtype=float),
            "previous_month": counts((month == window[-1]) & is_target),
            "all_prior": counts(in_window & is_target),
            "plain_kde": surface_cell_scores(kde_policy, inc.loc[in_window & is_target], as_of, grid),
            "long_run": counts((month != m) & is_target),
            "perfect": y,
        }
        ys.append(y)
        ns.append(n_y)
        for cov in coverages:
            k = k_cells(cov, grid.n_cells)
            best = best_capture(y, k)
            for method in METHODS:
                f = capture_weights(scores[method], k)
                flags.setdefault(f"{method}@{cov}", []).append(f)
                captured = float(f @ y)
                hit = captured / y.sum()
                rows.append(
                    {
                        "month": str(m),
                        "method": method,
                        "coverage": float(cov),
                        "k_cells": k,
                        "n_cells": grid.n_cells,
                        "n_targets": int(n_y.sum()),
                        "history_months": len(window),
                        "captured": captured,
                        "hit_rate": hit,
                        "pai": hit / (k / grid.n_cells),
                        "pei": captured / best,
                    }
                )
        log.info("back-test %s: %d target incidents in %d cells, %d month(s) of history",
                 m, int(y.sum()), grid.n_cells, len(window))
    if not ys:
        msg = "no test month has a target incident in the area; check the area and the target categories"
        raise ValidationError(msg)
    table = pd.DataFrame(rows)
    summary, differences = _bootstrap(table, ys, flags, coverages, grid.n_cells, n_boot, seed, ns=ns)
    return Backtest(table, summary, differences, grid.cell_m, grid.n_cells, history, harm_weights=harm)


def _resample(rng, y: np.ndarray, n: np.ndarray | None, n_boot: int) -> np.ndarray:
    """``n_boot`` resampled months: the month's incidents drawn over cells with their own shares,
    each carrying its cell's mean (harm) weight."""
    if n is None:
        n = y
    per = np.divide(y, n, out=np.zeros(len(y)), where=n > 0)
    draws = rng.multinomial(round(float(n.sum())), n / n.sum(), size=n_boot).astype(float)
    return draws * per[np.newaxis, :]


def _bootstrap(table, ys, flags, coverages, n_cells, n_boot, seed, *, ns=None):
    """Means with two-stage bootstrap intervals, and paired intervals of model - method."""
    rng = np.random.default_rng(seed)
    n_months = len(ys)
    lo_q, hi_q = (1 - INTERVAL) / 2, 1 - (1 - INTERVAL) / 2
    means = table.groupby(["method", "coverage"], sort=False)[list(METRICS)].mean()
    srows, drows = [], []
    if n_boot > 0:
        month_pick = rng.integers(0, n_months, size=(n_boot, n_months))
        # resampled incidents of each month: (n_boot, n_cells) per month
        ystar = [_resample(rng, y, None if ns is None else ns[j], n_boot) for j, y in enumerate(ys)]
    for cov in coverages:
        k = k_cells(cov, n_cells)
        reps: dict[str, dict[str, np.ndarray]] = {}
        if n_boot > 0:
            # the observed month's best capture stays the PEI denominator: every statistic is then
            # linear in the resampled counts (the best capture of a resampled month is biased upwards)
            best = np.array([best_capture(y, k) for y in ys])[np.newaxis, :]
            tot = np.column_stack([ys_m.sum(axis=1) for ys_m in ystar])
            for method in METHODS:
                cap = np.column_stack([ystar[j] @ flags[f"{method}@{cov}"][j] for j in range(n_months)])
                per = {"hit_rate": cap / tot, "pai": cap / tot / (k / n_cells), "pei": cap / best}
                reps[method] = {
                    name: np.take_along_axis(v, month_pick, axis=1).mean(axis=1) for name, v in per.items()
                }
        for method in METHODS:
            row = {"month": "mean", "method": method, "coverage": float(cov)}
            for name in METRICS:
                row[name] = float(means.loc[(method, float(cov)), name])
                if reps:
                    row[f"{name}_lo"], row[f"{name}_hi"] = np.quantile(reps[method][name], [lo_q, hi_q])
                else:
                    row[f"{name}_lo"] = row[f"{name}_hi"] = float("nan")
            srows.append(row)
            if method == "model":
                continue
            drow = {"method": method, "coverage": float(cov)}
            for name in ("pai", "pei"):
                a, b = float(means.loc[("model", float(cov)), name]), float(means.loc[(method, float(cov)), name])
                drow[f"{name}_diff"] = a - b
                drow[f"{name}_ratio"] = a / b if b > 0 else float("nan")
                if reps:
                    d = reps["model"][name] - reps[method][name]
                    drow[f"{name}_diff_lo"], drow[f"{name}_diff_hi"] = np.quantile(d, [lo_q, hi_q])
                else:
                    drow[f"{name}_diff_lo"] = drow[f"{name}_diff_hi"] = float("nan")
            drows.append(drow)
    return pd.DataFrame(srows), pd.DataFrame(drows)


def summarise(result: Backtest | pd.DataFrame) -> pd.DataFrame:
    """Mean hit rate, PAI and PEI over test months, one row per method and coverage (with
    bootstrap intervals when given a :class:`Backtest`)."""
    if isinstance(result, Backtest):
        return result.summary
    out = (
        result.groupby(["method", "coverage"], sort=False)[list(METRICS)]
        .mean()
        .reset_index()
        .assign(month="mean")
    )
    return out[["month", "method", "coverage", *METRICS]]


LABELS = {
    "model": "model",
    "previous_month": "previous-month counts",
    "all_prior": "all-prior counts",
    "plain_kde": "plain KDE",
    "long_run": "ceiling: long-run rate",
    "perfect": "ceiling: perfect foresight",
}


def plot_backtest(result: Backtest, path: str | Path, *, title: str = "") -> Path:
    """Write a PNG chart of mean PAI and PEI by coverage for each method, with bootstrap intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summary = result.summary
    months = result.months
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
    for i, method in enumerate(METHODS):
        s = summary[summary["method"] == method].sort_values("coverage")
        x = 100 * s["coverage"].to_numpy() * (1 + 0.015 * (i - 2.5))  # a small offset keeps bars apart
        for ax, col in zip(axes, ("pai", "pei"), strict=True):
            err = np.maximum(np.vstack([s[col] - s[f"{col}_lo"], s[f"{col}_hi"] - s[col]]), 0.0)
            ax.errorbar(x, s[col], yerr=None if np.isnan(err).all() else err, marker="o", capsize=3,
                        label=LABELS[method], linestyle="--" if method in CEILINGS else "-",
                        linewidth=2.5 if method == "model" else 1.3)
    axes[0].set_ylabel("PAI (mean over test months)")
    axes[1].set_ylabel("PEI (mean over test months)")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xticks([100 * c for c in sorted(summary["coverage"].unique())])
        ax.set_xticklabels([f"{100 * c:g}" for c in sorted(summary["coverage"].unique())])
        ax.set_xlabel("area flagged (%)")
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=8)
    hist = "all months" if result.history is None else f"last {result.history} month(s)"
    head = f"{title}: " if title else ""
    fig.suptitle(f"{head}{result.cell_m:g} m cells, history {hist}, test months {months[0]}..{months[-1]} "
                 f"({len(months)}); 95 % bootstrap intervals")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def format_summary(result: Backtest, *, title: str = "", coverages: Sequence[float] | None = None) -> str:
    """Mean PAI, PEI and hit rate per method (with intervals) and the model's difference from
    each method, as Markdown."""
    s = result.summary
    covs = sorted(s["coverage"].unique()) if coverages is None else list(coverages)
    months = result.months
    hist = "all months before each test month" if result.history is None else f"last {result.history} month(s)"
    n_targets = result.table.groupby("month")["n_targets"].first().mean()
    harm = ", harm-weighted" if result.harm_weights else ""
    lines = [
        f"### {title}" if title else "",
        (f"{result.cell_m:g} m cells ({result.n_cells} in the area), history: {hist}; test months "
         f"{months[0]}..{months[-1]} ({len(months)}), {n_targets:.0f} target incidents a month on average{harm}. "
         f"Mean over test months [{100 * INTERVAL:g} % bootstrap interval]."),
        "",
        "| method | " + " | ".join(f"PAI {100 * c:g} %" for c in covs) + " | "
        + " | ".join(f"PEI {100 * c:g} %" for c in covs) + " | "
        + " | ".join(f"hit rate {100 * c:g} %" for c in covs) + " |",
        "|" + "---|" * (1 + 3 * len(covs)),
    ]

    def cell(row, col, digits):
        lo, hi = row.get(f"{col}_lo"), row.get(f"{col}_hi")
        text = f"{row[col]:.{digits}f}"
        if lo is not None and np.isfinite(lo):
            text += f" [{lo:.{digits}f}, {hi:.{digits}f}]"
        return text

    for method in METHODS:
        m = s[s["method"] == method].set_index("coverage")
        parts = [cell(m.loc[c], "pai", 2) for c in covs]
        parts += [cell(m.loc[c], "pei", 3) for c in covs]
        parts += [f"{m.loc[c, 'hit_rate']:.3f}" for c in covs]
        lines.append(f"| {LABELS[method]} | " + " | ".join(parts) + " |")
    d = result.differences
    lines += ["", "Model minus each method (ratio of means; paired bootstrap interval of the difference):", "",
              "| method | " + " | ".join(f"PAI {100 * c:g} %" for c in covs) + " | "
              + " | ".join(f"PEI {100 * c:g} %" for c in covs) + " |",
              "|" + "---|" * (1 + 2 * len(covs))]
    for method in METHODS[1:]:
        m = d[d["method"] == method].set_index("coverage")
        parts = []
        for col, digits in (("pai", 2), ("pei", 3)):
            for c in covs:
                r = m.loc[c]
                parts.append(f"{r[f'{col}_diff']:+.{digits}f} ({r[f'{col}_ratio']:.3f}x) "
                             f"[{r[f'{col}_diff_lo']:+.{digits}f}, {r[f'{col}_diff_hi']:+.{digits}f}]")
        lines.append(f"| {LABELS[method]} | " + " | ".join(parts) + " |")
    return "\n".join(line for i, line in enumerate(lines) if line or i > 0)
