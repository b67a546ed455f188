"""Rows per second importing every shared police.uk file, against a named baseline.

Ours: ``geo_risk.ingest.load("police_uk", ...)`` (full validation: coordinates, GB/area,
duplicates, content-hash ids for ASB rows, LSOA versions; then bulk insert of incidents
plus import runs and rejections, one transaction per file) into a fresh SpatiaLite file
and, when a PostGIS URL is given, into PostGIS.

Baseline: ``geopandas.read_file`` of each CSV (GDAL CSV driver with
``X_POSSIBLE_NAMES=Longitude``, ``Y_POSSIBLE_NAMES=Latitude``) + ``GeoDataFrame.to_postgis``
into a plain table, no validation, measured in the same run on the same files.

Usage::

    python bench/import_police_uk.py [--data ../shared/data/police_uk] \\
        [--postgis postgresql+psycopg://postgres@127.0.0.1:5432/test] [--repeat 3]
    # the national months: every force's file in police.uk's archive zips, PostGIS only
    python bench/import_police_uk.py --data ../shared/data/police_uk_national --no-spatialite --repeat 1

The PostGIS URL defaults to ``GEO_RISK_TEST_POSTGIS_URL``; the database's geo-risk tables
are dropped and re-created. Prints rows/second for each and the ratio ours / baseline
(> 1 means faster than the baseline). The best of ``--repeat`` runs is reported.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _files(data: Path) -> list[Path | str]:
    """The street CSVs under ``data``, inside police.uk's archive zips too (as GDAL /vsizip/ paths)."""
    import zipfile

    files: list[Path | str] = sorted(data.rglob("*-street.csv"))
    for archive in sorted(data.rglob("*.zip")):
        with zipfile.ZipFile(archive) as z:
            files += [f"/vsizip/{archive}/{name}" for name in sorted(z.namelist()) if name.endswith("-street.csv")]
    if not files:
        sys.exit(f"no police.uk street CSVs under {data}")
    return files


def _inputs(data: Path) -> list[Path]:
    """What geo-risk's importer is given: the folder, or its archive zips."""
    zips = sorted(data.rglob("*.zip"))
    return zips or [data]


def run_ours_spatialite(data: Path) -> tuple[float, int, int]:
    from geo_risk.ingest.load import load
    from geo_risk.store.engine import create_store_engine
    from geo_risk.store.migrate import upgrade

    with tempfile.TemporaryDirectory() as tmp:
        engine = create_store_engine(f"sqlite:///{tmp}/bench.sqlite")
        upgrade(engine)
        t0 = time.perf_counter()
        result = load("police_uk", _inputs(data), engine)
        elapsed = time.perf_counter() - t0
        engine.dispose()
    return elapsed, result.report.rows_read, result.inserted


def _reset_postgis(url: str):
    from sqlalchemy import text

    from geo_risk.store.engine import create_store_engine, ensure_postgis
    from geo_risk.store.migrate import upgrade
    from geo_risk.store.models import Base

    engine = create_store_engine(url)
    ensure_postgis(engine)
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        conn.execute(text("DROP TABLE IF EXISTS bench_baseline_police"))
    upgrade(engine)
    return engine


def run_ours_postgis(data: Path, url: str) -> tuple[float, int, int]:
    from geo_risk.ingest.load import load

    engine = _reset_postgis(url)
    t0 = time.perf_counter()
    result = load("police_uk", _inputs(data), engine)
    elapsed = time.perf_counter() - t0
    engine.dispose()
    return elapsed, result.report.rows_read, result.inserted


def run_baseline(files: list[Path | str], url: str) -> tuple[float, int]:
    import geopandas as gpd
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_baseline_police"))
    n = 0
    t0 = time.perf_counter()
    for i, f in enumerate(files):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gdf = gpd.read_file(f, X_POSSIBLE_NAMES="Longitude", Y_POSSIBLE_NAMES="Latitude", KEEP_GEOM_COLUMNS="NO")
        if gdf.crs is None:
            gdf = gdf.set_crs(4326)
        gdf.to_postgis("bench_baseline_police", engine, if_exists="replace" if i == 0 else "append")
        n += len(gdf)
    elapsed = time.perf_counter() - t0
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_baseline_police"))
    engine.dispose()
    return elapsed, n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "police_uk")
    parser.add_argument("--postgis", default=os.environ.get("GEO_RISK_TEST_POSTGIS_URL", ""))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-spatialite", action="store_true", help="PostGIS and the baseline only")
    args = parser.parse_args()
    files = _files(args.data)
    print(f"{len(files)} police.uk files under {args.data.name}/")
    if args.no_spatialite and not args.postgis:
        sys.exit("--no-spatialite needs a PostGIS URL (--postgis or GEO_RISK_TEST_POSTGIS_URL)")

    # interleave the runs so that load from other processes hits each variant alike; keep the best
    runs: dict[str, list[tuple[float, int, int]]] = {"sl": [], "pg": [], "base": []}
    for _ in range(args.repeat):
        if not args.no_spatialite:
            runs["sl"].append(run_ours_spatialite(args.data))
        if args.postgis:
            runs["pg"].append(run_ours_postgis(args.data, args.postgis))
            t, n = run_baseline(files, args.postgis)
            runs["base"].append((t, n, n))
    sl_rate = None
    if runs["sl"]:
        best_sl = min(runs["sl"], key=lambda r: r[0])
        sl_rate = best_sl[1] / best_sl[0]
        print(f"ours -> SpatiaLite : {best_sl[1]:>7,} rows read, {best_sl[2]:,} stored in {best_sl[0]:6.2f} s "
              f"= {sl_rate:>9,.0f} rows/s")
    if not args.postgis:
        print("no PostGIS URL (--postgis or GEO_RISK_TEST_POSTGIS_URL): baseline and PostGIS skipped")
        return
    best_pg = min(runs["pg"], key=lambda r: r[0])
    pg_rate = best_pg[1] / best_pg[0]
    print(f"ours -> PostGIS    : {best_pg[1]:>7,} rows read, {best_pg[2]:,} stored in {best_pg[0]:6.2f} s "
          f"= {pg_rate:>9,.0f} rows/s")
    best_base = min(runs["base"], key=lambda r: r[0])
    base_rate = best_base[1] / best_base[0]
    print(f"baseline read_file + to_postgis (no validation): {best_base[1]:>7,} rows in {best_base[0]:6.2f} s "
          f"= {base_rate:>9,.0f} rows/s")
    sl_ratio = f"SpatiaLite {sl_rate / base_rate:.2f}x, " if sl_rate else ""
    print(f"ratio ours/baseline: {sl_ratio}PostGIS {pg_rate / base_rate:.2f}x (> 1 = faster than the baseline)")
    print("all runs (s): " + "; ".join(f"{k} " + ", ".join(f"{r[0]:.2f}" for r in v) for k, v in runs.items() if v))


if __name__ == "__main__":
    main()
