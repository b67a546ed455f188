"""How much of the gap between all-prior counts and the long-run ceiling a short-history forecast can
capture at all, whatever its weights: a generous bound for the area forecast's family of features.

For each test month and history length ``H`` it builds, on the evaluation cells of an area, the features
the area forecast (``geo_risk.surface.forecast``) draws from the ``H`` months before the test month: the
target's counts in the cell over the window and last month, last month's target spread over 150 m and
400 m, and the square root of every police.uk category's monthly rate in the cell and spread over 150 m
and 400 m (Gaussian spreads on the cell raster: a close, cheaper stand-in for the model's exact square
sums). Then, unlike the model, it fits the non-negative Poisson weights (identity link, a free scale per
month: the model's own EM) to the **long-run rate of the test months themselves** (every other month's
target counts), with 5-fold cross-validation by 1.5 km blocks so that no cell's own label is seen. That
uses the future and the answer, so no honest forecast with these features should do better; it is a
bound, not a model.

It prints, per cell size and history, PAI at 5 % of the area (mean over test months; ties shared as in
``geo-risk evaluate``) and the share of the gap between all-prior counts and the long-run ceiling for:

- ``linear bound``: the fit above;
- ``empirical Bayes bound``: the target's own window counts shrunk towards a prior rate from all crime
  (the same fit without the target's terms), ``(a + y) / (a / prior + H)``, with the shrinkage ``a``
  that does best on the test months;
- ``+ snap points``: the linear bound with the number of distinct police.uk snap points used in the
  window in the cell (and spread over 150 m);
- ``+ postcodes`` (with ``--postcodes``): the linear bound with Code-Point Open postcode density (the
  square root of postcode centres in the cell, spread over 150 m, and their count spread over 400 m).

Run (the README's Bristol figures)::

    python scripts/forecast_bound.py --incidents ../shared/data/police_uk_history/avon-and-somerset-2023-2024.zip \\
        --boundary ../shared/data/boundaries/lsoa_by_lad_E06000023.geojson --test-from 2023-10 \\
        --postcodes ../shared/data/postcodes/codepoint_open_2025/bs.csv ../shared/data/postcodes/codepoint_open_2025/ba.csv
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from scipy.ndimage import gaussian_filter

from geo_risk.ingest.boundaries import read_boundaries
from geo_risk.ingest.police_uk import read_police_uk
from geo_risk.ingest.postcodes import read_postcodes
from geo_risk.surface.evaluate import TARGET_CATEGORIES, boundary_grid, capture_weights, k_cells
from geo_risk.surface.forecast import CATEGORIES, _em
from geo_risk.surface.intensity import _point_coords

PAD = 12  # cells of padding around the area, so that spreads see their neighbours
SCALES_M = (150.0, 400.0)
BLOCK_M = 1500.0
FOLDS = 5
ALPHAS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0)
EM_STEPS = 300


def pai(scores: np.ndarray, y: np.ndarray, coverage: float = 0.05) -> float:
    k = k_cells(coverage, len(scores))
    return float(capture_weights(scores, k) @ y) / float(y.sum()) / (k / len(scores))


class Raster:
    """Per-month, per-category counts on the padded cell raster of an area."""

    def __init__(self, xy, month, cat, loc, months, grid, cell):
        self.cell, self.months = cell, months
        self.x0, self.y0 = grid.x0 - PAD * cell, grid.y0 - PAD * cell
        self.nx, self.ny = grid.nx + 2 * PAD, grid.ny + 2 * PAD
        rows, cols = np.divmod(grid.inside, grid.nx)
        self.inside = (rows + PAD) * self.nx + cols + PAD
        self.xy, self.month, self.loc = xy, month, loc
        flat, ok = self.flat(xy)
        counts = np.zeros((len(months), len(CATEGORIES), self.ny * self.nx))
        np.add.at(counts, (month[ok], cat[ok], flat[ok]), 1.0)
        self.counts = counts.reshape(len(months), len(CATEGORIES), self.ny, self.nx)
        is_target = [CATEGORIES.index(c) for c in TARGET_CATEGORIES]
        self.target = self.counts[:, is_target].sum(axis=1)
        # blocks for cross-validation
        block = (rows // round(BLOCK_M / cell)) * 100_000 + cols // round(BLOCK_M / cell)
        self.fold = (np.unique(block, return_inverse=True)[1].ravel() * 7919) % FOLDS

    def flat(self, xy):
        col = np.floor((xy[:, 0] - self.x0) / self.cell).astype(np.int64)
        row = np.floor((xy[:, 1] - self.y0) / self.cell).astype(np.int64)
        ok = (col >= 0) & (col < self.nx) & (row >= 0) & (row < self.ny)
        return np.where(ok, row * self.nx + col, 0), ok

    def grid_of(self, xy, weights=None):
        flat, ok = self.flat(xy)
        w = np.ones(len(xy)) if weights is None else weights
        return np.bincount(flat[ok], weights=w[ok], minlength=self.ny * self.nx).reshape(self.ny, self.nx)

    def spread(self, a, scale_m):
        return gaussian_filter(a, scale_m / self.cell, mode="constant")

    def features(self, window: list[int], *, target: bool = True, snap: bool = False, extra=()) -> np.ndarray:
        """(features, area cells) from the months ``window``."""
        n = len(window)
        rates = np.sqrt(self.counts[window].sum(axis=0) / n)
        rows = []
        if target:
            last = self.target[window[-1]]
            rows += [self.target[window].sum(axis=0), last] + [self.spread(last, s) for s in SCALES_M]
        for c in range(len(CATEGORIES)):
            rows += [rates[c]] + [self.spread(rates[c], s) for s in SCALES_M]
        if snap:
            sel = np.isin(self.month, window)
            _, first = np.unique(self.loc[sel], return_index=True)
            points = self.grid_of(self.xy[sel][first])
            rows += [points, self.spread(points, SCALES_M[0])]
        rows += list(extra)
        return np.stack([r.reshape(-1)[self.inside] for r in rows])


def cross_fitted(xs: list[np.ndarray], ys: list[np.ndarray], fold: np.ndarray) -> list[np.ndarray]:
    """Out-of-fold predictions of the non-negative Poisson fit of ``ys`` on ``xs``."""
    preds = [np.zeros(x.shape[1]) for x in xs]
    for f in range(FOLDS):
        train = fold != f
        x = np.hstack([x[:, train] for x in xs])
        y = np.concatenate([y[train] for y in ys])
        month = np.repeat(np.arange(len(xs)), int(train.sum()))
        w = _em(x, y, month, np.ones(x.shape[0]), EM_STEPS)
        for p, xm in zip(preds, xs, strict=True):
            p[fold == f] = w @ xm[:, fold == f]
    return preds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--incidents", nargs="+", required=True, help="police.uk files, folders or zips")
    ap.add_argument("--boundary", required=True, help="the area's boundary file")
    ap.add_argument("--cell", type=float, action="append", help="cell side in metres (repeat; default 150 and 250)")
    ap.add_argument("--history", type=int, action="append", help="months of history (repeat; default 1 and 3)")
    ap.add_argument("--test-from", default=None, help="first test month YYYY-MM (default: all with enough history)")
    ap.add_argument("--postcodes", nargs="*", default=(), help="Code-Point Open CSVs for the postcode-density bound")
    args = ap.parse_args()
    t0 = time.perf_counter()
    gdf = read_police_uk(args.incidents, errors="reject").gdf
    xy, ok = _point_coords(gdf)
    gdf, xy = gdf.loc[ok], xy[ok]
    periods = pd.to_datetime(gdf["occurred_at"]).dt.to_period("M")
    months = sorted(set(periods))
    month = np.searchsorted(np.array(months), periods.to_numpy())
    cat_index = {c: i for i, c in enumerate(CATEGORIES)}
    cat = gdf["category"].map(cat_index).fillna(len(CATEGORIES) - 1).to_numpy(dtype=np.int64)
    loc = np.unique(np.round(xy, 1), axis=0, return_inverse=True)[1].ravel()
    boundary = read_boundaries(args.boundary).gdf
    postcodes = None
    if args.postcodes:
        pc = read_postcodes(args.postcodes, errors="reject").gdf
        postcodes = np.column_stack([pc.geometry.x.to_numpy(), pc.geometry.y.to_numpy()])
    first_test = pd.Period(args.test_from, "M") if args.test_from else None
    print(f"{len(gdf):,} located incidents, months {months[0]}..{months[-1]} ({len(months)}); "
          f"read in {time.perf_counter() - t0:.0f} s\n")
    print("| cell | history | all-prior | ceiling: long-run | linear bound | empirical Bayes bound (a) "
          "| + snap points | + postcodes |")
    print("|---|---|---|---|---|---|---|---|")
    for cell in args.cell or (150.0, 250.0):
        r = Raster(xy, month, cat, loc, months, boundary_grid(boundary, cell), cell)
        extra = ()
        if postcodes is not None:
            density = r.grid_of(postcodes)
            extra = (np.sqrt(density), r.spread(np.sqrt(density), SCALES_M[0]), r.spread(density, SCALES_M[1]))
        for hist in args.history or (1, 3):
            tests = [t for t in range(hist, len(months)) if first_test is None or months[t] >= first_test]
            ys = [r.target[t].reshape(-1)[r.inside] for t in tests]
            windows = [list(range(t - hist, t)) for t in tests]
            long_run = [r.target[np.arange(len(months)) != t].sum(axis=0).reshape(-1)[r.inside] for t in tests]
            prior = [r.target[w].sum(axis=0).reshape(-1)[r.inside] for w in windows]

            def mean_pai(scores, ys=ys):
                return float(np.mean([pai(s, y) for s, y in zip(scores, ys, strict=True)]))

            base, ceiling = mean_pai(prior), mean_pai(long_run)

            def cell_text(value, base=base, ceiling=ceiling):
                return f"{value:.2f} ({100 * (value - base) / (ceiling - base):.0f} %)"

            linear = mean_pai(cross_fitted([r.features(w) for w in windows], long_run, r.fold))
            mu = cross_fitted([r.features(w, target=False) for w in windows], long_run, r.fold)
            eb = {}
            for a in ALPHAS:
                scores = [(a + y) / (a / (m * y.sum() / hist / max(m.sum(), 1e-12) + 1e-12) + hist)
                          for y, m in zip(prior, mu, strict=True)]
                eb[a] = mean_pai(scores)
            best = max(eb, key=eb.get)
            snap = mean_pai(cross_fitted([r.features(w, snap=True) for w in windows], long_run, r.fold))
            pcs = "-"
            if extra:
                pcs = cell_text(mean_pai(cross_fitted([r.features(w, extra=extra) for w in windows], long_run,
                                                      r.fold)))
            print(f"| {cell:g} | {hist} | {base:.2f} | {ceiling:.2f} | {cell_text(linear)} | "
                  f"{cell_text(eb[best])} (a = {best:g}) | {cell_text(snap)} | {pcs} |", flush=True)
    print(f"\n{len(tests)} test month(s) from {months[tests[0]]}; {time.perf_counter() - t0:.0f} s in all")


if __name__ == "__main__":
    main()
