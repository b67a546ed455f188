"""Time and peak memory to generate the synthetic city and import it into a fresh SpatiaLite file.

Phases, each in its own fresh Python process so that its peak resident memory
(``ru_maxrss``) is its own:

``generate``
    ``geo_risk.synth.generate_city(out, seed=7, size=SIZE)``: draw the city and write every
    file (police.uk months, boundaries, GIAS, Code-Point, OSM, peer network, ED injuries).
``import``
    ``geo_risk.ingest.load.load(kind, path, engine)`` for every kind in the manifest's import
    order into a fresh, migrated SpatiaLite file (full validation, bulk insert, import runs).
``baseline-write``
    The I/O floor of generating: the same number of police.uk rows with uniformly random
    points and categories, written with the ``csv`` module (no streets, areas, hotspots,
    snap points or network).
``baseline-read``
    The parsing floor of importing: ``pandas.read_csv`` of every CSV the city holds, with
    no validation, geometry or database.

Prints wall-clock seconds, CPU seconds of the phase's process (start-up and imports
included; on a busy machine wall time exceeds it) and peak MB for each phase, the ratio of
each phase to its baseline, and generate + import against the target (under 120 s and
2 GB for ``city``).

Usage::

    python bench/synth.py [--size city] [--seed 7] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

TARGET_SECONDS = 120.0
TARGET_MB = 2048.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux reports KiB


def _cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def phase_generate(out: Path, size: str, seed: int) -> dict[str, object]:
    from geo_risk.synth import generate_city

    t = time.perf_counter()
    m = generate_city(out, seed=seed, size=size)
    return {"seconds": time.perf_counter() - t, "counts": dict(m.counts), "files": len(m.files)}


def phase_import(out: Path, db: Path) -> dict[str, object]:
    import logging

    logging.disable(logging.INFO)
    from geo_risk.ingest.load import load
    from geo_risk.store.engine import create_store_engine
    from geo_risk.store.migrate import upgrade

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    t = time.perf_counter()
    engine = create_store_engine(f"sqlite:///{db}")
    upgrade(engine)
    stored: dict[str, int] = {}
    per_kind: dict[str, float] = {}
    for kind, rel in manifest["import_paths"]:
        t0 = time.perf_counter()
        res = load(kind, out / rel, engine)
        per_kind[kind] = time.perf_counter() - t0
        stored[kind] = res.inserted if kind != "network" else res.report.accepted
    engine.dispose()
    return {"seconds": time.perf_counter() - t, "stored": stored, "per_kind": per_kind}


def phase_baseline_write(out: Path, n: int) -> dict[str, object]:
    import csv

    import numpy as np

    from geo_risk.synth._write import POLICE_UK_HEADER as header  # the same columns the generator writes

    t = time.perf_counter()
    rng = np.random.default_rng(0)
    lon = rng.uniform(1.2, 1.5, n)
    lat = rng.uniform(57.5, 57.7, n)
    cat = rng.integers(14, size=n)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "baseline-street.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        ids = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
        w.writerows(
            [
                ids[i].tobytes().hex(),
                "2026-10",
                "force",
                "force",
                f"{lon[i]:.6f}",
                f"{lat[i]:.6f}",
                "On or near Street",
                "X01000001",
                "Synthetown 001A",
                f"category {cat[i]}",
                "",
                "",
            ]
            for i in range(n)
        )
    return {"seconds": time.perf_counter() - t}


def phase_baseline_read(out: Path) -> dict[str, object]:
    import pandas as pd

    files = sorted(p for p in out.rglob("*.csv") if p.name != "Code-Point_Open_Column_Headers.csv")
    t = time.perf_counter()
    rows = 0
    for p in files:
        header = None if p.parent.name == "CSV" else "infer"
        rows += len(pd.read_csv(p, dtype=str, keep_default_na=False, header=header))
    return {"seconds": time.perf_counter() - t, "rows": rows}


def _child(argv: list[str]) -> dict[str, object]:
    proc = subprocess.run([sys.executable, __file__, *argv], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        sys.exit(f"phase {argv[1]} failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="city", choices=["small", "city"])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", type=Path, help="write the city here and keep it (default: a temporary folder)")
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.phase:  # inside a child process
        if args.phase == "generate":
            res = phase_generate(args.out, args.size, args.seed)
        elif args.phase == "import":
            res = phase_import(args.out, args.db)
        elif args.phase == "baseline-write":
            res = phase_baseline_write(args.out, args.rows)
        else:
            res = phase_baseline_read(args.out)
        res["peak_mb"] = _peak_mb()
        res["cpu_seconds"] = _cpu_seconds()
        print(json.dumps(res))
        return

    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or Path(tmp) / "city"
        gen = _child(["--phase", "generate", "--out", str(out), "--size", args.size, "--seed", str(args.seed)])
        counts = gen["counts"]
        imp = _child(["--phase", "import", "--out", str(out), "--db", str(Path(tmp) / "bench.sqlite")])
        n_rows = int(counts["incidents"])
        bw = _child(["--phase", "baseline-write", "--out", str(Path(tmp) / "baseline"), "--rows", str(n_rows)])
        br = _child(["--phase", "baseline-read", "--out", str(out)])

    print(
        f"synthetic city '{args.size}' (seed {args.seed}): {counts['street_segments']:,} street segments, "
        f"{counts['incidents']:,} incidents, {counts['schools']:,} schools, {counts['people']:,} people, "
        f"{counts['links']:,} links, {counts['lsoas']:,} LSOAs, {counts['postcodes']:,} postcodes"
    )
    print(f"{'phase':<44}{'seconds':>10}{'cpu s':>10}{'peak MB':>10}")
    rows = [
        ("generate (generate_city, all files)", gen),
        ("import into SpatiaLite (ingest.load, all)", imp),
        (f"baseline-write: {n_rows:,} random rows, csv", bw),
        (f"baseline-read: pandas.read_csv, {br['rows']:,} rows", br),
    ]
    for name, r in rows:
        print(f"{name:<44}{r['seconds']:>10.2f}{r['cpu_seconds']:>10.2f}{r['peak_mb']:>10.0f}")
    print("import by kind: " + ", ".join(f"{k} {s:.2f}s" for k, s in imp["per_kind"].items()))
    print("stored rows: " + ", ".join(f"{k} {n:,}" for k, n in imp["stored"].items()))
    print(f"ratio generate / baseline-write: {gen['seconds'] / bw['seconds']:.1f}x")
    print(f"ratio import / baseline-read:    {imp['seconds'] / br['seconds']:.1f}x")
    total = gen["seconds"] + imp["seconds"]
    peak = max(gen["peak_mb"], imp["peak_mb"])
    print(
        f"generate + import: {total:.1f} s (target {TARGET_SECONDS:.0f} s: {total / TARGET_SECONDS:.2f} of it), "
        f"peak {peak:.0f} MB (target {TARGET_MB:.0f} MB: {peak / TARGET_MB:.2f} of it)"
    )


if __name__ == "__main__":
    main()
