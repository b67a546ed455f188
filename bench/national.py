"""National back-test on Dask: every force of the shared national months, one process against local:2.

For each force in the archives (police.uk's layout, one zip a month), each test month is fitted on
the months before it (:func:`geo_risk.batch.national.national_backtest`). The same job runs twice
in this run:

- baseline: one process, force after force (no cluster), in a child process so its peak memory
  is its own;
- ``local:N`` (default N = 2): a ``distributed.LocalCluster`` of N worker processes.

Prints the wall time, rows read per second and the peak resident memory of the single process and
of each worker, checks that both give identical numbers, and projects the cost of 43 forces x 5
years from the measured per-force costs (reading per row; back-testing per test month and per
incident of history, which the policy's 12-month horizon caps).

Usage::

    python bench/national.py [--data ../shared/data/police_uk_national] [--workers 2] [--cell 250]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

HORIZON_MONTHS = 12
FORCES_NATIONAL = 43
YEARS = 5


def _job(zips: list[str], cell: float, client=None):
    from geo_risk.batch.national import national_backtest
    from geo_risk.config import DEFAULT_POLICY_FILE, Policy

    policy = Policy.load(DEFAULT_POLICY_FILE).surface
    with tempfile.TemporaryDirectory() as work:
        t0 = time.perf_counter()
        result = national_backtest(zips, policy=policy, work_dir=work, cell_m=cell, client=client)
        return result, time.perf_counter() - t0


def _single(zips: list[str], cell: float, out: str) -> None:
    """Child process: the whole job in one process; writes its table and figures to ``out``."""
    result, wall = _job(zips, cell)
    result.table.to_parquet(out + ".parquet")
    per_force = [{"force": f.force, "rows": f.read.rows_read, "kept": f.read.accepted, "read_s": f.read.seconds,
                  "backtest_s": f.seconds, "months": len(f.read.months),
                  "test_months": 0 if f.table is None else int(f.table["month"].nunique()), "error": f.error}
                 for f in result.forces]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    Path(out + ".json").write_text(json.dumps({"wall": wall, "peak_mb": peak, "rows": result.rows_read,
                                               "forces": per_force}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "police_uk_national")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cell", type=float, default=250.0)
    args = parser.parse_args()
    zips = [str(p) for p in sorted(args.data.glob("*.zip"))]
    if not zips:
        sys.exit(f"no police.uk archive zips in {args.data}")
    print(f"{len(zips)} monthly archives in {args.data.name}/, {args.cell:g} m cells")

    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "single")
        child = mp.get_context("spawn").Process(target=_single, args=(zips, args.cell, out))
        child.start()
        child.join()
        if child.exitcode != 0:
            sys.exit("the single-process run failed")
        single = json.loads(Path(out + ".json").read_text())
        single_table = pd.read_parquet(out + ".parquet")

    from geo_risk.batch.cluster import ClusterSpec, open_client

    with open_client(ClusterSpec(workers=args.workers)) as client:
        result, wall = _job(zips, args.cell, client)
        peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    identical = result.table.reset_index(drop=True).equals(single_table.reset_index(drop=True))

    rows = single["rows"]
    print(f"forces: {len(single['forces'])}; rows read: {rows:,}; failed: "
          + (", ".join(f"{f['force']} ({f['error'][:60]})" for f in single["forces"] if f["error"]) or "none"))
    print(f"baseline, one process : {single['wall']:7.1f} s = {rows / single['wall']:>9,.0f} rows/s, "
          f"peak {single['peak_mb']:,.0f} MB")
    print(f"local:{args.workers} Dask workers  : {wall:7.1f} s = {rows / wall:>9,.0f} rows/s, peak per worker "
          + ", ".join(f"{mb:,.0f} MB" for mb in peaks.values()))
    print(f"ratio one process / local:{args.workers}: {single['wall'] / wall:.2f}x (> 1 = the cluster is faster); "
          f"identical numbers: {'yes' if identical else 'NO'}")

    ok = [f for f in single["forces"] if not f["error"] and f["test_months"]]
    read_s_per_row = sum(f["read_s"] for f in ok) / sum(f["rows"] for f in ok)
    # back-test cost per test month per history row (the history of these test months: 1-2 months)
    hist_rows = sum(f["kept"] / f["months"] * sum(range(1, f["test_months"] + 1)) for f in ok)
    bt_s_per_hist_row = sum(f["backtest_s"] for f in ok) / hist_rows
    rows_per_force_month = sum(f["rows"] / f["months"] for f in ok) / len(ok)
    months = 12 * YEARS
    read_total = FORCES_NATIONAL * months * rows_per_force_month * read_s_per_row
    history = sum(min(m, HORIZON_MONTHS) for m in range(1, months))  # each test month sees <= 12 months
    bt_total = FORCES_NATIONAL * history * rows_per_force_month * bt_s_per_hist_row
    total = read_total + bt_total
    print(f"projection, {FORCES_NATIONAL} forces x {YEARS} years ({months} months, {months - 1} test months each, "
          f"a mean force of {rows_per_force_month:,.0f} rows a month): reading {read_total / 3600:.1f} h + "
          f"back-testing {bt_total / 3600:.1f} h = {total / 3600:.1f} h of one core; "
          f"{total / 3600 / args.workers:.1f} h on local:{args.workers}, "
          f"{total / 3600 / 32:.1f} h on 32 workers (assumes the cost grows with history rows, capped by the "
          f"{HORIZON_MONTHS}-month horizon)")


if __name__ == "__main__":
    main()
