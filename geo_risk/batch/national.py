"""Back-tests and area surfaces for every force: one task per force, on Dask or in this process.

Stage 1 reads each force's files once (every month together) into GeoParquet; stage 2 reads that
file and runs the same single-area code a city uses (:func:`geo_risk.surface.evaluate.backtest`,
:class:`geo_risk.surface.IntensitySurface`). A force's whole computation is one task, so its numbers
do not depend on how many workers there are. A force that fails (unreadable files, no row in Great
Britain, no month to test) is reported with its reason; the others' results are kept.

The area a force is judged on: the police.uk files carry no boundary, so each force's evaluation
area is the set of grid cells in which the force recorded any crime in the months before the first
test month, inside the box holding 99.8 % of those incidents (0.1 %-99.9 % quantiles, as the
surface's own default extent), so a few rows police.uk places far outside the force do not stretch
it. Every method is scored on the same cells.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from geo_risk.batch.forces import ForceFiles, ForceRead, plan_forces, read_force
from geo_risk.config import SurfacePolicy
from geo_risk.errors import GeoRiskError, ValidationError
from geo_risk.ingest._files import PathsLike

log = logging.getLogger(__name__)

Progress = Callable[[str, str], None]


@dataclass(frozen=True)
class ForceBacktest:
    """One force's back-test: its table (one row per month, method and coverage) or why it failed."""

    force: str
    read: ForceRead
    table: pd.DataFrame | None = None
    n_cells: int = 0
    error: str | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class NationalBacktest:
    """Every force's back-test, in force order."""

    forces: tuple[ForceBacktest, ...]
    workers: str = "this process"
    seconds: float = 0.0
    plan_months: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def table(self) -> pd.DataFrame:
        """All forces' rows, ``force`` first; empty if every force failed."""
        parts = [f.table for f in self.forces if f.table is not None]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    @property
    def failures(self) -> dict[str, str]:
        return {f.force: f.error for f in self.forces if f.error}

    @property
    def rows_read(self) -> int:
        return sum(f.read.rows_read for f in self.forces)


def force_area(incidents: pd.DataFrame, cell_m: float, *, before: pd.Timestamp | None = None):
    """The cells (``cell_m`` squares aligned like the evaluation grid) where ``incidents`` hold any
    crime before ``before``, inside the 0.1 %-99.9 % quantile box, as one shapely geometry (EPSG:27700)."""
    import shapely

    from geo_risk.surface.intensity import _point_coords

    xy, ok = _point_coords(incidents)
    if before is not None:
        ok &= (pd.to_datetime(incidents["occurred_at"]) < before).to_numpy()
    xy = xy[ok]
    if not len(xy):
        msg = "no incident before the first test month to define the force's area"
        raise ValidationError(msg)
    lo = np.quantile(xy, 0.001, axis=0)
    hi = np.quantile(xy, 0.999, axis=0)
    xy = xy[((xy >= lo) & (xy <= hi)).all(axis=1)]
    cells = np.unique(np.floor(xy / cell_m).astype(np.int64), axis=0)
    boxes = shapely.box(cells[:, 0] * cell_m, cells[:, 1] * cell_m, (cells[:, 0] + 1) * cell_m,
                        (cells[:, 1] + 1) * cell_m)
    return shapely.coverage_union_all(boxes)


def backtest_force(
    read: ForceRead,
    *,
    policy: SurfacePolicy,
    cell_m: float,
    test_months: Sequence[str] | None = None,
) -> ForceBacktest:
    """Back-test one force from its GeoParquet file (see the module's note on its area).

    The model is the policy's area forecast (:func:`geo_risk.surface.forecast.forecast_scorer`), against
    the baselines and ceilings of :func:`geo_risk.surface.evaluate.backtest`, on the policy's targets.
    """
    import geopandas as gpd

    from geo_risk.surface.evaluate import backtest
    from geo_risk.surface.forecast import forecast_scorer

    if read.error:
        return ForceBacktest(read.force, read, error=read.error)
    t0 = time.perf_counter()
    try:
        incidents = gpd.read_parquet(read.parquet)
        months = sorted(set(incidents["month"]))
        if test_months:
            first = min(test_months)
        else:
            present = {pd.Period(m, "M") for m in months}
            testable = [m for m in sorted(present) if (m - 1) in present]
            first = str(testable[0]) if testable else None
            test_months = [str(m) for m in testable]
        if first is None:
            msg = (f"no month to test: months {', '.join(months)} hold no two consecutive months "
                   "(a test month is fitted on the months before it)")
            raise ValidationError(msg)
        area = force_area(incidents, cell_m, before=pd.Timestamp(f"{first}-01"))
        table = backtest(incidents, area, model=forecast_scorer(policy), targets=policy.forecast_targets,
                         cell_m=cell_m, test_months=test_months, n_boot=0).table
    except GeoRiskError as exc:
        return ForceBacktest(read.force, read, error=str(exc), seconds=time.perf_counter() - t0)
    table.insert(0, "force", read.force)
    n_cells = int(table["n_cells"].iloc[0]) if len(table) else 0
    return ForceBacktest(read.force, read, table=table, n_cells=n_cells, seconds=time.perf_counter() - t0)


def national_backtest(
    paths: PathsLike,
    *,
    policy: SurfacePolicy,
    work_dir: str | Path,
    cell_m: float = 250.0,
    test_months: Sequence[str] | None = None,
    forces: Sequence[str] | None = None,
    client=None,
    progress: Progress | None = None,
) -> NationalBacktest:
    """Back-test every force in ``paths`` (police.uk archive zips, folders or files).

    Parameters
    ----------
    paths
        police.uk street-level files named as police.uk names them, in any number of archives.
    policy
        The surface policy of the model.
    work_dir
        Where each force's GeoParquet file is written; with a remote scheduler it must be a
        folder every worker can read and write (a shared file system).
    cell_m, test_months
        As for :func:`geo_risk.surface.evaluate.backtest`.
    forces
        Only these forces (slugs); default every force in ``paths``.
    client
        A ``distributed.Client`` (see :func:`geo_risk.batch.cluster.open_client`); ``None`` runs every
        force in this process, one after another.
    progress
        Called with ``(force, message)`` as each force finishes.
    """
    plan = plan_forces(paths, forces=forces)
    t0 = time.perf_counter()
    done: list[ForceBacktest] = []

    def report(outcome: ForceBacktest) -> None:
        done.append(outcome)
        if progress is not None:
            progress(outcome.force, _describe(outcome))

    if client is None:
        for files in plan:
            read = read_force(files, work_dir)
            report(backtest_force(read, policy=policy, cell_m=cell_m, test_months=test_months))
        workers = "this process"
    else:
        from distributed import as_completed

        futures = []
        for files in plan:
            read = client.submit(read_force, files, str(work_dir), key=f"read-{files.force}", pure=False)
            futures.append(client.submit(backtest_force, read, policy=policy, cell_m=cell_m,
                                         test_months=test_months, key=f"backtest-{files.force}", pure=False))
        for future in as_completed(futures):
            report(_result_or_failure(future, plan))
        workers = f"{len(client.scheduler_info()['workers'])} Dask worker(s)"
    ordered = tuple(sorted(done, key=lambda f: f.force))
    return NationalBacktest(ordered, workers=workers, seconds=time.perf_counter() - t0,
                            plan_months={f.force: f.months for f in plan})


@dataclass(frozen=True)
class ForceSurface:
    """One force's area surface at ``as_of``: the GeoParquet of its cells, or why it failed."""

    force: str
    read: ForceRead
    parquet: str | None = None
    n_cells: int = 0
    n_incidents: int = 0
    error: str | None = None
    seconds: float = 0.0


def surface_force(
    read: ForceRead, *, policy: SurfacePolicy, as_of: pd.Timestamp, cell_m: float | None, out_dir: str | Path
) -> ForceSurface:
    """Fit the area surface of one force at ``as_of`` and write its non-zero cells.

    Writes ``OUT_DIR/<force>-surface.parquet`` (GeoParquet, EPSG:27700): one square per non-zero cell
    with ``intensity`` (weighted incidents per km2, the mean over the cell) and ``percentile`` (0-100
    within the force). ``cell_m`` defaults to the policy's ``support_m``, the block the area intensity
    is reported over.
    """
    import geopandas as gpd
    import shapely

    from geo_risk.surface import IntensitySurface

    if read.error:
        return ForceSurface(read.force, read, error=read.error)
    t0 = time.perf_counter()
    try:
        incidents = gpd.read_parquet(read.parquet)
        fitted = IntensitySurface(policy).fit(incidents, as_of)
        if fitted.n_incidents_ == 0:
            msg = f"no incident before {as_of:%Y-%m-%d} within the policy's horizon"
            raise ValidationError(msg)
        cell = float(policy.support_m if cell_m is None else cell_m)
        grid = fitted.grid(fitted.bounds_, cell, support_m=cell)
    except GeoRiskError as exc:
        return ForceSurface(read.force, read, error=str(exc), seconds=time.perf_counter() - t0)
    values = grid.values
    rows, cols = np.nonzero(values > 0)
    x = grid.x0 + cols * grid.cell_m
    y = grid.y0 + rows * grid.cell_m
    v = values[rows, cols]
    cells = gpd.GeoDataFrame(
        {"force": read.force, "intensity": v, "percentile": fitted.percentile_of(v)},
        geometry=shapely.box(x, y, x + grid.cell_m, y + grid.cell_m),
        crs=incidents.crs,
    )
    out = Path(out_dir) / f"{read.force}-surface.parquet"
    out.parent.mkdir(parents=True, exist_ok=True)
    cells.to_parquet(out, index=False)
    return ForceSurface(read.force, read, parquet=str(out), n_cells=len(cells), n_incidents=fitted.n_incidents_,
                        seconds=time.perf_counter() - t0)


def national_surfaces(
    paths: PathsLike,
    *,
    policy: SurfacePolicy,
    as_of: pd.Timestamp,
    out_dir: str | Path,
    cell_m: float | None = None,
    forces: Sequence[str] | None = None,
    client=None,
    progress: Progress | None = None,
) -> tuple[ForceSurface, ...]:
    """Every force's area surface at ``as_of``, one GeoParquet file per force in ``out_dir``.

    ``out_dir`` also holds each force's incidents (``<force>.parquet``); with a remote scheduler it
    must be shared by every worker. See :func:`national_backtest` for the other parameters.
    """
    plan = plan_forces(paths, forces=forces)
    done: list[ForceSurface] = []

    def report(outcome: ForceSurface) -> None:
        done.append(outcome)
        if progress is not None:
            msg = (f"failed: {outcome.error}" if outcome.error else
                   f"{outcome.n_incidents:,} incidents, {outcome.n_cells:,} cells -> {outcome.parquet}")
            progress(outcome.force, msg)

    options = {"policy": policy, "as_of": pd.Timestamp(as_of), "cell_m": cell_m, "out_dir": str(out_dir)}
    if client is None:
        for files in plan:
            report(surface_force(read_force(files, out_dir), **options))
    else:
        from distributed import as_completed

        futures = []
        for files in plan:
            read = client.submit(read_force, files, str(out_dir), key=f"read-{files.force}", pure=False)
            futures.append(client.submit(surface_force, read, **options, key=f"surface-{files.force}", pure=False))
        for future in as_completed(futures):
            try:
                report(future.result())
            except Exception as exc:  # noqa: BLE001 - one force's crash must not lose the others
                force = str(future.key).removeprefix("surface-")
                read = ForceRead(force=force, files=0, error=f"task failed: {exc!r}")
                report(ForceSurface(force, read, error=read.error))
    return tuple(sorted(done, key=lambda f: f.force))


def _result_or_failure(future, plan: Sequence[ForceFiles]) -> ForceBacktest:
    """The future's result; a task that raised (a bug, or a worker lost) becomes a reported failure."""
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - one force's crash must not lose the others' results
        force = str(future.key).removeprefix("backtest-")
        files = next((f for f in plan if f.force == force), None)
        read = ForceRead(force=force, files=len(files.sources) if files else 0, error=f"task failed: {exc!r}")
        return ForceBacktest(force, read, error=read.error)


def _describe(outcome: ForceBacktest) -> str:
    if outcome.error:
        return f"failed: {outcome.error}"
    months = outcome.table["month"].nunique() if outcome.table is not None else 0
    return (f"{outcome.read.accepted:,} incidents, {outcome.n_cells:,} cells, {months} test month(s) "
            f"in {outcome.read.seconds + outcome.seconds:.1f} s")
