"""Back-testing the area intensity: rolling-origin hit rate and PAI against baselines.

For each test month ``m`` (a month whose previous calendar month is in the data),
every method is fitted on the incidents before ``as_of = m-01`` and scores the cells
of a regular grid inside the boundary. Flagging the top ``k = round(coverage * N)``
of the ``N`` cells, we report

- hit rate: the share of month ``m``'s target incidents (inside the boundary) that
  fall in flagged cells;
- PAI (Predictive Accuracy Index): hit rate / (k / N).

Ties in cell scores are broken by expected capture: the cells tied at the cut-off
share the remaining flagged slots, each counted with the probability that a uniform
random tie-break would flag it. The flagged area is exactly ``k`` cells and ties never
favour any method.

Methods:

``model``
    :class:`IntensitySurface` with the given policy; a cell's score is the mean
    intensity over the cell (exact: the kernel integrated over the cell).
``previous_month``
    Count of target incidents in the cell in the month before ``m``.
``all_prior``
    Count of target incidents in the cell in every month before ``m`` in the data.
``plain_kde``
    Gaussian kernel density of all prior target incidents: fixed bandwidth, no time
    decay, no category weights (cell means, as for the model).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geo_risk.config import SurfacePolicy
from geo_risk.errors import ValidationError
from geo_risk.surface.grid import aligned_grid_spec
from geo_risk.surface.intensity import IntensitySurface, _point_coords

log = logging.getLogger(__name__)

#: The forecast target: next month's serious violence, weapons and robbery.
TARGET_CATEGORIES: tuple[str, ...] = ("Violence and sexual offences", "Possession of weapons", "Robbery")
COVERAGES: tuple[float, ...] = (0.01, 0.05, 0.10)
METHODS: tuple[str, ...] = ("model", "previous_month", "all_prior", "plain_kde")
#: Bandwidth of the plain-KDE baseline (the middle of the 150-300 m range argued for in the design).
PLAIN_KDE_BANDWIDTH_M = 200.0


@dataclass(frozen=True)
class EvalGrid:
    """Regular grid of evaluation cells; only cells whose centre is inside the boundary count.

    Attributes
    ----------
    x0, y0
        Lower-left corner (EPSG:27700).
    cell_m
        Cell size in metres.
    nx, ny
        Columns and rows.
    inside
        Flat (row-major) indices of the cells inside the boundary.
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

    def counts(self, xy: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Sum of ``weights`` (default 1) of the points in each inside cell."""
        col = np.floor((xy[:, 0] - self.x0) / self.cell_m).astype(np.int64)
        row = np.floor((xy[:, 1] - self.y0) / self.cell_m).astype(np.int64)
        ok = (col >= 0) & (col < self.nx) & (row >= 0) & (row < self.ny)
        w = np.ones(len(xy)) if weights is None else np.asarray(weights, dtype=float)
        full = np.bincount(row[ok] * self.nx + col[ok], weights=w[ok], minlength=self.nx * self.ny)
        return full[self.inside]


def boundary_grid(boundary, cell_m: float) -> EvalGrid:
    """Evaluation grid over a boundary (GeoDataFrame/GeoSeries, dissolved here, or a shapely geometry).

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
        msg = f"no {cell_m:g} m cell centre lies inside the boundary; use a smaller --cell-m"
        raise ValidationError(msg)
    return EvalGrid(x0, y0, float(cell_m), nx, ny, inside)


def capture(scores: np.ndarray, targets: np.ndarray, k: int) -> float:
    """Expected number of targets captured by flagging the top ``k`` cells, ties shared fairly.

    Cells scoring above the ``k``-th highest score are flagged; the ``m`` cells tied at
    that score share the ``r`` remaining slots, each contributing ``r / m`` of its targets
    (the expectation under a uniformly random tie-break).
    """
    scores = np.asarray(scores, dtype=float)
    targets = np.asarray(targets, dtype=float)
    n = len(scores)
    if not 0 <= k <= n:
        msg = f"k must be between 0 and the number of cells ({n}), got {k}"
        raise ValidationError(msg)
    if k == 0:
        return 0.0
    threshold = np.partition(scores, n - k)[n - k]
    above = scores > threshold
    tied = scores == threshold
    remaining = k - int(above.sum())
    return float(targets[above].sum() + targets[tied].sum() * remaining / int(tied.sum()))


def hit_rate_pai(scores: np.ndarray, targets: np.ndarray, coverage: float) -> tuple[float, float, int]:
    """Hit rate, PAI and the number of flagged cells at an area ``coverage`` (0-1).

    ``k = max(1, round(coverage * N))``; hit rate is captured / total targets and PAI is
    hit rate / (k / N). With no targets both are NaN.
    """
    n = len(scores)
    if not 0 < coverage <= 1:
        msg = f"coverage must be in (0, 1], got {coverage!r}"
        raise ValidationError(msg)
    k = max(1, int(round(coverage * n)))  # noqa: RUF046 - coverage * n may be a NumPy scalar; k stays a Python int
    total = float(np.sum(targets))
    if total <= 0:
        return float("nan"), float("nan"), k
    hit = capture(scores, targets, k) / total
    return hit, hit / (k / n), k


# --------------------------------------------------------------------- scorers

Scorer = Callable[[pd.DataFrame, np.ndarray, pd.Timestamp, EvalGrid], np.ndarray]


def surface_cell_scores(surface_policy: SurfacePolicy, incidents: pd.DataFrame, as_of: pd.Timestamp, grid: EvalGrid):
    """Mean intensity over each evaluation cell: the surface's exact area intensity at the
    cell centres with a block (``support_m``) of exactly one cell."""
    x0, y0, x1, y1 = grid.bounds
    fitted = IntensitySurface(surface_policy).fit(incidents, as_of, bounds=(x0, y0, x1, y1))
    rows, cols = np.divmod(grid.inside, grid.nx)
    centres = np.column_stack([x0 + (cols + 0.5) * grid.cell_m, y0 + (rows + 0.5) * grid.cell_m])
    return fitted.intensity_at(centres, support_m=grid.cell_m)


def plain_kde_policy(bandwidth_m: float = PLAIN_KDE_BANDWIDTH_M, targets: Sequence[str] = TARGET_CATEGORIES):
    """The plain-KDE baseline as a surface policy: target categories only, weight 1, no decay, no horizon."""
    return SurfacePolicy(
        bandwidth_m=bandwidth_m,
        half_life_days=0.0,
        horizon_days=10**6,
        cell_m=bandwidth_m / 2,
        default_weight=0.0,
        category_weights={c: 1.0 for c in targets},
    )


def _months(incidents: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(incidents["occurred_at"]).dt.to_period("M")


# --------------------------------------------------------------------- back-test


def backtest(
    incidents: pd.DataFrame,
    boundary,
    *,
    policy: SurfacePolicy,
    cell_m: float = 250.0,
    coverages: Sequence[float] = COVERAGES,
    targets: Sequence[str] = TARGET_CATEGORIES,
    kde_bandwidth_m: float = PLAIN_KDE_BANDWIDTH_M,
    test_months: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Rolling-origin back-test of the model against the baselines.

    Parameters
    ----------
    incidents
        Incidents in EPSG:27700 (data contract), e.g. several months of police.uk.
    boundary
        Area to evaluate (polygon GeoDataFrame in any CRS, or a shapely geometry in EPSG:27700).
    policy
        The surface policy of the model.
    cell_m
        Evaluation cell size in metres.
    coverages
        Shares of the area flagged (0-1).
    targets
        Categories forecast.
    kde_bandwidth_m
        Bandwidth of the plain-KDE baseline.
    test_months
        ``YYYY-MM`` months to test; default every month whose previous calendar month is in the data.

    Returns
    -------
    pandas.DataFrame
        One row per test month, method and coverage: ``month, method, coverage, k_cells,
        n_cells, n_targets, captured, hit_rate, pai``.
    """
    grid = boundary_grid(boundary, cell_m)
    xy, ok = _point_coords(incidents)
    inc = incidents.loc[ok].copy()
    xy = xy[ok]
    month = _months(inc).to_numpy()
    is_target = inc["category"].isin(list(targets)).to_numpy()
    present = sorted(set(month))
    if test_months is None:
        chosen = [m for m in present if (m - 1) in present]
    else:
        chosen = [pd.Period(m, "M") for m in test_months]
        absent = [str(m) for m in chosen if m not in present]
        if absent:
            msg = f"test month(s) {', '.join(absent)} have no incidents; months present: {', '.join(map(str, present))}"
            raise ValidationError(msg)
    if not chosen:
        msg = (
            "no month to test: a test month needs the previous calendar month in the data "
            f"(months present: {', '.join(map(str, present))}); pass at least two consecutive months"
        )
        raise ValidationError(msg)
    kde_policy = plain_kde_policy(kde_bandwidth_m, targets)
    rows = []
    for m in chosen:
        as_of = m.to_timestamp()
        prior = month < m
        y = grid.counts(xy[(month == m) & is_target])
        scores = {
            "model": surface_cell_scores(policy, inc.loc[prior], as_of, grid),
            "previous_month": grid.counts(xy[(month == m - 1) & is_target]),
            "all_prior": grid.counts(xy[prior & is_target]),
            "plain_kde": surface_cell_scores(kde_policy, inc.loc[prior & is_target], as_of, grid),
        }
        for method in METHODS:
            for cov in coverages:
                hit, pai, k = hit_rate_pai(scores[method], y, cov)
                rows.append(
                    {
                        "month": str(m),
                        "method": method,
                        "coverage": float(cov),
                        "k_cells": k,
                        "n_cells": grid.n_cells,
                        "n_targets": int(y.sum()),
                        "captured": hit * y.sum() if np.isfinite(hit) else float("nan"),
                        "hit_rate": hit,
                        "pai": pai,
                    }
                )
        log.info("back-test %s: %d target incidents in %d cells", m, int(y.sum()), grid.n_cells)
    return pd.DataFrame(rows)


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Mean hit rate and PAI over test months, one row per method and coverage."""
    out = (
        table.groupby(["method", "coverage"], sort=False)[["hit_rate", "pai"]]
        .mean()
        .reset_index()
        .assign(month="mean")
    )
    return out[["month", "method", "coverage", "hit_rate", "pai"]]


def plot_backtest(table: pd.DataFrame, path: str | Path) -> Path:
    """Write a PNG chart of PAI and hit rate by coverage for each method (mean over months)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summary = summarise(table)
    months = sorted(table["month"].unique())
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    for method in summary["method"].unique():
        s = summary[summary["method"] == method]
        for ax, col in zip(axes, ("pai", "hit_rate")):
            ax.plot(100 * s["coverage"], s[col], marker="o", label=method.replace("_", " "),
                    linewidth=2.5 if method == "model" else 1.5)
    axes[0].set_ylabel("PAI (mean over test months)")
    axes[1].set_ylabel("hit rate (mean over test months)")
    for ax in axes:
        ax.set_xlabel("area flagged (%)")
        ax.grid(alpha=0.3)
    axes[0].legend()
    fig.suptitle(f"Rolling-origin back-test, test months {months[0]}..{months[-1]} ({len(months)})")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
