"""Every force's back-test and surface on Dask, partitioned by force (issue 17)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo_risk.batch.cluster import ClusterSpec, open_client, parse_cluster
from geo_risk.batch.forces import plan_forces
from geo_risk.batch.national import national_backtest, national_surfaces
from geo_risk.config import DEFAULT_POLICY_FILE, Policy
from geo_risk.crs import en_to_lonlat
from geo_risk.errors import ValidationError

HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
          "Crime type,Last outcome category,Context")
CATEGORIES = ["Violence and sexual offences", "Robbery", "Possession of weapons", "Burglary", "Shoplifting"]
# force -> centre (easting, northing): two English cities and Belfast
CENTRES = {"avon-and-somerset": (359_000, 173_000), "cleveland": (449_000, 519_000),
           "northern-ireland": (None, None)}


def _rows(force: str, month: str, rng: np.random.Generator, n: int) -> list[str]:
    if force == "northern-ireland":
        lon = np.full(n, -5.93) + rng.normal(0, 0.02, n)
        lat = np.full(n, 54.60) + rng.normal(0, 0.01, n)
    else:
        cx, cy = CENTRES[force]
        hot = rng.integers(0, 6, n)  # six hot spots a city, so counts and models have signal
        x = cx + (hot - 3) * 900 + rng.normal(0, 250, n)
        y = cy + (hot % 3) * 700 + rng.normal(0, 250, n)
        lon, lat = en_to_lonlat(x, y)
    cats = rng.choice(CATEGORIES, n)
    return [f"{force}-{month}-{i},{month},{force},{force},{lo:.6f},{la:.6f},On or near X,E01000001,Town 001A,{c},,"
            for i, (lo, la, c) in enumerate(zip(lon, lat, cats, strict=True))]


@pytest.fixture(scope="module")
def archives(tmp_path_factory) -> list[Path]:
    """Three months in police.uk's archive layout; cleveland is missing from the first month."""
    root = tmp_path_factory.mktemp("archives")
    rng = np.random.default_rng(17)
    out = []
    for month in ("2025-01", "2025-02", "2025-03"):
        path = root / f"{month}.zip"
        with zipfile.ZipFile(path, "w") as z:
            for force in CENTRES:
                if force == "cleveland" and month == "2025-01":
                    continue
                body = "\n".join([HEADER, *_rows(force, month, rng, 400)]) + "\n"
                z.writestr(f"{month}/{month}-{force}-street.csv", body)
        out.append(path)
    return out


@pytest.fixture(scope="module")
def policy():
    return Policy.load(DEFAULT_POLICY_FILE).surface


@pytest.mark.parametrize(("text", "spec"), [("local:2", ClusterSpec(workers=2)),
                                            ("tcp://scheduler.example:8786", ClusterSpec(address="tcp://scheduler.example:8786"))])
def test_cluster_specs(text, spec):
    assert parse_cluster(text) == spec


@pytest.mark.parametrize("text", ["local:0", "local", "2", "http://x:1", "tcp://host"])
def test_bad_cluster_specs_name_the_accepted_forms(text):
    with pytest.raises(ValidationError, match="local:N"):
        parse_cluster(text)


def test_files_are_grouped_by_force_from_police_uk_names(archives, tmp_path):
    plan = plan_forces(archives)
    assert [f.force for f in plan] == ["avon-and-somerset", "cleveland", "northern-ireland"]
    assert [f.months for f in plan] == [("2025-01", "2025-02", "2025-03"), ("2025-02", "2025-03"),
                                        ("2025-01", "2025-02", "2025-03")]
    odd = tmp_path / "export.csv"
    odd.write_text(HEADER + "\n")
    with pytest.raises(ValidationError, match="cannot tell the force of .*export.csv"):
        plan_forces([*archives, odd])
    with pytest.raises(ValidationError, match="no file of force.*metropolitan"):
        plan_forces(archives, forces=["metropolitan"])


def test_one_process_and_any_number_of_workers_give_the_same_numbers(archives, policy, tmp_path):
    single = national_backtest(archives, policy=policy, work_dir=tmp_path / "single", cell_m=250)
    assert set(single.table["force"]) == {"avon-and-somerset", "cleveland"}
    # cleveland's first month is missing: only 2025-03 is a test month for it
    assert sorted(single.table.loc[single.table["force"] == "cleveland", "month"].unique()) == ["2025-03"]
    assert single.table["pai"].notna().all() and (single.table["n_targets"] > 0).all()
    for workers in (1, 2):
        with open_client(ClusterSpec(workers=workers), processes=False) as client:
            seen: list[str] = []
            many = national_backtest(archives, policy=policy, work_dir=tmp_path / f"w{workers}", cell_m=250,
                                     client=client, progress=lambda force, msg, seen=seen: seen.append(force))
        assert sorted(seen) == ["avon-and-somerset", "cleveland", "northern-ireland"]
        pd.testing.assert_frame_equal(many.table, single.table, check_exact=True)
        assert many.failures == single.failures


def test_a_failing_force_is_reported_and_the_others_are_kept(archives, policy, tmp_path):
    broken = tmp_path / "2025-02.zip"
    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("2025-02/2025-02-wiltshire-street.csv", "Month,Something\n2025-02,1\n")
    result = national_backtest([*archives, broken], policy=policy, work_dir=tmp_path / "w", cell_m=250)
    assert "Crime ID" in result.failures["wiltshire"]  # names the missing columns
    assert "Northern Ireland" in result.failures["northern-ireland"]
    assert set(result.table["force"]) == {"avon-and-somerset", "cleveland"}


def test_surfaces_are_written_per_force_as_geoparquet(archives, policy, tmp_path):
    with open_client(ClusterSpec(workers=2), processes=False) as client:
        out = national_surfaces(archives, policy=policy, as_of=pd.Timestamp("2025-04-01"), out_dir=tmp_path,
                                cell_m=250, client=client)
    done = {s.force: s for s in out}
    assert "Northern Ireland" in done["northern-ireland"].error
    cells = gpd.read_parquet(done["avon-and-somerset"].parquet)
    assert cells.crs.to_epsg() == 27700
    assert (cells["intensity"] > 0).all() and cells["percentile"].between(0, 100).all()
    assert (cells.geometry.area.round() == 250 * 250).all()
    # the busiest cell lies at one of the planted hot spots, inside the city
    top = cells.loc[cells["intensity"].idxmax()].geometry.centroid
    assert abs(top.x - 359_000) < 4_000 and abs(top.y - 173_000) < 3_000


@pytest.mark.realdata
def test_real_national_months_two_forces_local_1_and_2_agree(shared_data, policy, tmp_path):
    zips = sorted((shared_data / "police_uk_national").glob("2025-0*.zip"))
    forces = ["city-of-london", "cleveland"]
    tables = []
    for workers in (1, 2):
        with open_client(ClusterSpec(workers=workers), processes=False) as client:
            result = national_backtest(zips, policy=policy, work_dir=tmp_path / str(workers), cell_m=250,
                                       forces=forces, client=client)
        assert not result.failures
        tables.append(result.table)
    pd.testing.assert_frame_equal(tables[0], tables[1], check_exact=True)
    assert set(tables[0]["month"]) == {"2025-02", "2025-03"}


def test_surface_build_command_writes_every_force_and_an_index(archives, tmp_path):
    from click.testing import CliRunner

    from geo_risk.cli import main

    out = tmp_path / "surfaces"
    args = ["surface", "build", "--incidents", *map(str, archives), "--as-of", "2025-04-01", "--out-dir", str(out),
            "--force", "cleveland", "--cell", "500"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "1 force(s), surfaces at 2025-04-01, on this process" in result.output
    assert "[1/1] cleveland:" in result.output
    index = pd.read_csv(out / "surfaces.csv")
    assert index["force"].tolist() == ["cleveland"] and index["cells"].iloc[0] > 0
    assert (gpd.read_parquet(out / "cleveland-surface.parquet").geometry.area.round() == 500 * 500).all()
    only_ni = CliRunner().invoke(main, [*args[:-4], "--force", "northern-ireland"])
    assert only_ni.exit_code == 1 and "Northern Ireland" in only_ni.output
    bad = CliRunner().invoke(main, [*args, "--cluster", "everywhere"])
    assert bad.exit_code != 0 and "local:N" in bad.output


def test_evaluate_without_an_area_backtests_each_force(archives, tmp_path):
    from click.testing import CliRunner

    from geo_risk.cli import main

    out = tmp_path / "eval"
    args = ["evaluate", "--incidents", *map(str, archives), "--out-dir", str(out), "--force", "cleveland",
            "--force", "northern-ireland", "--cluster", "local:1"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "2 force(s), each back-tested on its own area, on local:1" in result.output
    assert "northern-ireland: failed" in result.output and "Northern Ireland" in result.output
    pai = pd.read_csv(out / "forces_pai5.csv")
    assert pai["force"].tolist() == ["cleveland"]
    assert {"model", "all_prior", "previous_month", "plain_kde", "long_run", "perfect"} <= set(pai.columns)
    rows = pd.read_csv(out / "forces.csv")
    assert set(rows["month"]) == {"2025-03"} and (rows["force"] == "cleveland").all()
    hist = CliRunner().invoke(main, [*args, "--history", "1"])
    assert hist.exit_code != 0 and "--history applies to --boundary/--area" in hist.output
