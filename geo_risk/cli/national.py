"""``geo-risk surface build``: every force's area surface from police.uk archives, on Dask.

The national back-test (``geo-risk evaluate`` over many forces) shares :func:`cluster_for` and
:func:`echo_progress` with it.
"""

from __future__ import annotations

import logging
import os
import sys
from contextlib import nullcontext
from pathlib import Path

import click
import pandas as pd

from geo_risk.cli import _context
from geo_risk.cli.evaluate import surface
from geo_risk.errors import ValidationError

__all__ = ["build", "cluster_for", "echo_progress", "evaluate_forces"]


def cluster_for(text: str | None, n_forces: int):
    """The client context for ``--cluster``: the text given, else ``local:N`` (N = cores, at most the
    number of forces) when there is more than one force, else no cluster (this process)."""
    import distributed  # noqa: F401 - sets up its loggers on import; quieten them after that

    from geo_risk.batch.cluster import open_client, parse_cluster

    logging.getLogger("distributed").setLevel(logging.ERROR)  # start/stop chatter is not for the user
    if text is None:
        if n_forces <= 1:
            return nullcontext(None), "this process"
        text = f"local:{max(1, min(os.cpu_count() or 1, n_forces))}"
    spec = parse_cluster(text)
    return open_client(spec), str(spec)


def echo_progress(total: int):
    """A progress callback printing ``[k/total] force: message`` as each force finishes."""
    count = [0]

    def progress(force: str, message: str) -> None:
        count[0] += 1
        click.echo(f"[{count[0]}/{total}] {force}: {message}")

    return progress


@surface.command("build")
@click.option("--incidents", "incidents", multiple=True, required=True, metavar="PATHS...",
              help="police.uk archives (zips or folders in police.uk's layout, YYYY-MM/YYYY-MM-<force>-street.csv); "
                   "repeat for several months.")
@click.argument("more_incidents", nargs=-1, type=click.Path(exists=True), metavar="")
@click.option("--as-of", "as_of_text", required=True, help="Reference date YYYY-MM-DD; later incidents are ignored.")
@click.option("--out-dir", required=True, type=click.Path(file_okay=False),
              help="Folder for <force>-surface.parquet (and each force's incidents as <force>.parquet).")
@click.option("--cell", "cell_m", type=float, default=None,
              help="Cell size in metres; each cell holds the mean intensity over it (default: the policy's "
                   "support_m).")
@click.option("--force", "forces", multiple=True, metavar="SLUG",
              help="Only this force (repeat), e.g. avon-and-somerset; default every force in the archives.")
@click.option("--cluster", "cluster", default=None, metavar="local:N|tcp://HOST:PORT",
              help="Where to run: local:N worker processes (default when there is more than one force) or "
                   "the address of a running Dask scheduler (--out-dir must then be shared by every worker).")
def build(incidents: tuple[str, ...], more_incidents: tuple[str, ...], as_of_text: str, out_dir: str,
          cell_m: float | None, forces: tuple[str, ...], cluster: str | None) -> None:
    """Area surface of every force at AS_OF, one GeoParquet file of cells per force.

    Each force's files are read once (every month together), then its time-decayed kernel
    density is fitted as for one city. A force that fails is reported with its reason; the
    others' surfaces are kept. Writes OUT_DIR/surfaces.csv listing every force's outcome.
    """
    from geo_risk.batch.forces import plan_forces
    from geo_risk.batch.national import national_surfaces
    from geo_risk.cli.assess import parse_as_of

    if cell_m is not None and not cell_m > 0:
        msg = f"--cell must be a positive number of metres, got {cell_m:g}"
        raise ValidationError(msg)
    as_of = parse_as_of(as_of_text)
    paths = [*incidents, *more_incidents]
    plan = plan_forces(paths, forces=forces or None)
    context, where = cluster_for(cluster, len(plan))
    click.echo(f"{len(plan)} force(s), surfaces at {as_of:%Y-%m-%d}, on {where}")
    out = Path(out_dir)
    with context as client:
        results = national_surfaces(paths, policy=_context.policy().surface, as_of=as_of, out_dir=out, cell_m=cell_m,
                                    forces=forces or None, client=client, progress=echo_progress(len(plan)))
    index = pd.DataFrame([{"force": r.force, "surface": r.parquet or "", "cells": r.n_cells,
                           "incidents": r.n_incidents, "error": r.error or ""} for r in results])
    index.to_csv(out / "surfaces.csv", index=False)
    failed = [r for r in results if r.error]
    click.echo(f"{len(results) - len(failed)} surface(s) written to {out}; index {out / 'surfaces.csv'}")
    if failed:
        click.echo(f"{len(failed)} force(s) failed: {', '.join(r.force for r in failed)} (reasons above and in "
                   "surfaces.csv)", err=True)
    if len(failed) == len(results):
        sys.exit(1)


def evaluate_forces(paths: list[str], *, out_dir: Path, cells: list[float], test_months: list[str] | None,
                    forces: tuple[str, ...], cluster: str | None) -> None:
    """``geo-risk evaluate`` without --boundary/--area: every force's back-test, partitioned by force.

    Writes OUT_DIR/forces.csv (one row per force, cell size, test month, method and coverage) and
    OUT_DIR/forces_pai5.csv (each force's mean PAI at 5 % per method), and prints that table.
    """
    from geo_risk.batch.forces import plan_forces
    from geo_risk.batch.national import national_backtest

    if not paths:
        msg = "give police.uk archives with --incidents PATH [PATH ...]"
        raise ValidationError(msg)
    plan = plan_forces(paths, forces=forces or None)
    context, where = cluster_for(cluster, len(plan))
    click.echo(f"{len(plan)} force(s), each back-tested on its own area, on {where}")
    out_dir.mkdir(parents=True, exist_ok=True)
    policy = _context.policy().surface
    tables, failures = [], {}
    with context as client:
        for cell in cells:
            result = national_backtest(paths, policy=policy, work_dir=out_dir / "incidents", cell_m=cell,
                                       test_months=test_months, forces=forces or None, client=client,
                                       progress=echo_progress(len(plan)))
            if len(result.table):
                tables.append(result.table.assign(cell_m=cell))
            failures.update(result.failures)
    if not tables:
        click.echo("every force failed: " + "; ".join(f"{f}: {why}" for f, why in failures.items()), err=True)
        sys.exit(1)
    table = pd.concat(tables, ignore_index=True)
    table.to_csv(out_dir / "forces.csv", index=False, float_format="%.4f")
    at5 = table[table["coverage"] == 0.05]
    pai = at5.pivot_table(index=["force", "cell_m"], columns="method", values="pai", aggfunc="mean")
    pai = pai[[m for m in ("model", "all_prior", "previous_month", "plain_kde", "long_run", "perfect")
               if m in pai.columns]]
    pai.to_csv(out_dir / "forces_pai5.csv", float_format="%.4f")
    click.echo("\nPAI at 5 % of each force's area, mean over its test months:")
    click.echo(pai.round(2).to_string())
    click.echo(f"\nwrote {out_dir / 'forces.csv'} and {out_dir / 'forces_pai5.csv'}")
    if failures:
        click.echo(f"{len(failures)} force(s) failed: "
                   + "; ".join(f"{f}: {why}" for f, why in sorted(failures.items())), err=True)
