"""Benchmark the area intensity: 1,000,000 incidents and a 50 m grid over 40 x 40 km.

Prints, from one run on this machine:

- the time to fit ``IntensitySurface`` and to build the 800 x 800 grid (target: under 2 s);
- the peak memory of that step (tracemalloc) and the process's maximum resident size;
- point queries: exact (KD-tree) and bilinear sampling on the fitted grid, 100,000 points;
- the learned area forecast (:class:`geo_risk.surface.forecast.AreaForecast`): its rolling-origin
  fit on the same incidents, its grid, 10,000 point forecasts read from the grid and 1,000
  exact ones, reported separately (no target);
- the baseline, ``sklearn.neighbors.KernelDensity`` (Gaussian, same bandwidth and weights),
  timed on a subsample (``--sk-incidents`` incidents x ``--sk-cells`` grid cells) and scaled
  up linearly in incidents x cells to the full job, and the ratio of the two.

Usage: ``python bench/surface.py [--incidents 1000000] [--seed 7]``
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import time
import tracemalloc

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import points

from geo_risk.config import Policy
from geo_risk.surface import IntensitySurface

X0, Y0 = 340_000.0, 160_000.0
SIDE = 40_000.0
CATEGORIES = ["Violence and sexual offences", "Anti-social behaviour", "Shoplifting", "Drugs", "Robbery",
              "Public order", "Burglary", "Vehicle crime", "Possession of weapons"]


def make_incidents(n: int, rng: np.random.Generator, as_of: pd.Timestamp) -> gpd.GeoDataFrame:
    """Clustered synthetic incidents: 70 % around 400 hot spots, 30 % uniform, over 40 x 40 km."""
    n_hot = int(0.7 * n)
    centres = rng.uniform([X0, Y0], [X0 + SIDE, Y0 + SIDE], size=(400, 2))
    which = rng.integers(0, len(centres), size=n_hot)
    hot = centres[which] + rng.normal(0.0, 300.0, size=(n_hot, 2))
    flat = rng.uniform([X0, Y0], [X0 + SIDE, Y0 + SIDE], size=(n - n_hot, 2))
    xy = np.clip(np.vstack([hot, flat]), [X0, Y0], [X0 + SIDE, Y0 + SIDE])
    # snap to a 10 m lattice, like police.uk's repeated snap points
    xy = np.round(xy / 10.0) * 10.0
    days = rng.integers(1, 365, size=n)
    return gpd.GeoDataFrame(
        {
            "category": rng.choice(CATEGORIES, size=n),
            "occurred_at": (as_of - pd.to_timedelta(days, unit="D")).to_numpy(),
            "has_time": rng.random(n) < 0.5,
        },
        geometry=points(xy),
        crs=27700,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--cell-m", type=float, default=50.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sk-incidents", type=int, default=5_000)
    parser.add_argument("--sk-cells", type=int, default=5_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--forecast-incidents", type=int, default=0,
                        help="incidents the area forecast is fitted on (default 0: all of them)")
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    as_of = pd.Timestamp("2025-04-01")
    policy = dataclasses.replace(Policy.default().surface, cell_m=args.cell_m)
    gdf = make_incidents(args.incidents, rng, as_of)
    bounds = (X0, Y0, X0 + SIDE, Y0 + SIDE)
    terms = ", ".join(f"h={t.bandwidth_m:g} m half-life={t.half_life_days:g} d share={t.share:g}"
                      for t in IntensitySurface(policy).fit(gdf.iloc[:10], as_of).terms_)
    print(f"policy terms: {terms}")

    fit_s, grid_s, total_s, cpu_s = [], [], [], []
    for _ in range(args.repeats):
        c0 = time.process_time()
        t0 = time.perf_counter()
        surface = IntensitySurface(policy).fit(gdf, as_of, bounds=bounds)
        t1 = time.perf_counter()
        grid = surface.grid(bounds, args.cell_m)
        t2 = time.perf_counter()
        cpu_s.append(time.process_time() - c0)
        fit_s.append(t1 - t0)
        grid_s.append(t2 - t1)
        total_s.append(t2 - t0)
    tracemalloc.start()
    surface = IntensitySurface(policy).fit(gdf, as_of, bounds=bounds)
    grid = surface.grid(bounds, args.cell_m)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    ours = float(np.median(total_s))
    print(f"incidents: {args.incidents:,} ({len(surface.xy_):,} distinct locations); grid {grid.shape[1]} x "
          f"{grid.shape[0]} cells of {args.cell_m:g} m")
    print(f"fit: {np.median(fit_s):.3f} s, grid: {np.median(grid_s):.3f} s, fit + grid: {ours:.3f} s "
          f"(median of {args.repeats}; target < 2 s); CPU time {np.median(cpu_s):.3f} s; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"peak traced memory (fit + grid): {peak / 2**20:.0f} MiB; "
          f"process max RSS so far: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")

    q = rng.uniform([X0, Y0], [X0 + SIDE, Y0 + SIDE], size=(100_000, 2))
    surface.grid_  # the fitted grid is built on first use; time sampling on its own  # noqa: B018
    t0 = time.perf_counter()
    exact = surface.intensity_at(q)
    t1 = time.perf_counter()
    fast = surface.sample(q)
    t2 = time.perf_counter()
    print(f"100,000 point queries: exact (KD-tree) {t1 - t0:.3f} s, bilinear on the fitted grid {t2 - t1:.4f} s; "
          f"median |difference| / mean intensity {np.median(np.abs(fast - exact)) / exact.mean():.3f} "
          f"(fitted grid of {surface.fitted_cell_m_:g} m cells; area intensity over {surface.support_m_:g} m blocks)")

    # ---- the learned area forecast, timed on its own (not part of the fit + grid target)
    from geo_risk.surface.forecast import AreaForecast

    sub = gdf.iloc[: args.forecast_incidents] if args.forecast_incidents else gdf
    t0 = time.perf_counter()
    forecast = AreaForecast(policy).fit(sub, as_of, bounds=bounds)
    t1 = time.perf_counter()
    fgrid = forecast.grid_
    t2 = time.perf_counter()
    squares = rng.uniform([X0, Y0], [X0 + SIDE, Y0 + SIDE], size=(10_000, 2))
    fast = forecast.sample(squares)
    t3 = time.perf_counter()
    exact = forecast.forecast_at(squares[:1000])
    t4 = time.perf_counter()
    busy = exact > np.quantile(exact, 0.5)
    rel = np.median(np.abs(fast[:1000][busy] - exact[busy]) / exact[busy]) if busy.any() else float("nan")
    print(f"area forecast (learned weights), {len(sub):,} incidents: fit {t1 - t0:.2f} s "
          f"({len(forecast.history_months_)} months of history, {forecast.n_fit_months_} forecast by rolling "
          f"origin, {forecast.cell_m:g} m squares); its grid of {fgrid.shape[1]} x {fgrid.shape[0]} squares "
          f"every {fgrid.cell_m:g} m {t2 - t1:.2f} s; 10,000 point forecasts from the grid {t3 - t2:.3f} s, "
          f"1,000 exact {t4 - t3:.2f} s (median relative difference {rel:.3f} where busy)")

    # ---- baseline: scikit-learn KernelDensity on a subsample, scaled up
    from sklearn.neighbors import KernelDensity

    term = surface.terms_[0]
    xy_all = np.column_stack([gdf.geometry.x.to_numpy(), gdf.geometry.y.to_numpy()])
    pick = rng.choice(len(xy_all), args.sk_incidents, replace=False)
    centres = grid.centres_xy()
    cells = centres[rng.choice(len(centres), args.sk_cells, replace=False)]
    w = rng.random(args.sk_incidents) + 0.1
    t0 = time.perf_counter()
    kde = KernelDensity(kernel="gaussian", bandwidth=term.bandwidth_m).fit(xy_all[pick], sample_weight=w)
    kde.score_samples(cells)
    sk_small = time.perf_counter() - t0
    scale = (args.incidents / args.sk_incidents) * (grid.values.size / args.sk_cells)
    sk_full = sk_small * scale
    print(f"baseline sklearn KernelDensity: {args.sk_incidents:,} incidents x {args.sk_cells:,} cells in "
          f"{sk_small:.3f} s; scaled x{scale:,.0f} to the full job (one kernel term): {sk_full:,.0f} s "
          f"({sk_full / 3600:.1f} h)")
    print(f"ratio sklearn (scaled) / geo-risk fit + grid: {sk_full / ours:,.0f}x")


if __name__ == "__main__":
    main()
