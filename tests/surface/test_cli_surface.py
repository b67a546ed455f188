"""`geo-risk surface score` and `geo-risk evaluate` from the command line (issue 4)."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from geo_risk.cli import main
from geo_risk.crs import lonlat_to_en

HEADER = [
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
]
LON, LAT = -2.5900, 51.4550  # central Bristol


def _write_month(path, month: str, rows: list[tuple[float, float, str]]) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i, (lon, lat, cat) in enumerate(rows):
            crime_id = f"{month}-{i:04d}".encode().hex().ljust(64, "0")
            w.writerow([crime_id, month, "Avon and Somerset Constabulary", "Avon and Somerset Constabulary",
                        f"{lon:.6f}", f"{lat:.6f}", "On or near Test Street", "E01014540", "Bristol 032B", cat,
                        "Under investigation", ""])


@pytest.fixture
def police_files(tmp_path):
    jan = [(LON, LAT, "Violence and sexual offences")] * 5 + [(LON + 0.003, LAT, "Robbery")] * 2
    feb = [(LON, LAT, "Violence and sexual offences")] * 3 + [(LON - 0.002, LAT + 0.001, "Drugs")]
    mar = [(LON + 0.01, LAT + 0.01, "Robbery")] * 50  # after as_of: must not count
    paths = []
    for month, rows in (("2025-01", jan), ("2025-02", feb), ("2025-03", mar)):
        p = tmp_path / f"{month}-avon-and-somerset-street.csv"
        _write_month(p, month, rows)
        paths.append(str(p))
    return paths


def test_surface_score_writes_every_row_in_order(tmp_path, police_files):
    x, y = lonlat_to_en(LON, LAT)
    x, y = float(x), float(y)
    hot_later_x, hot_later_y = (float(v) for v in lonlat_to_en(LON + 0.01, LAT + 0.01))
    points = pd.DataFrame(
        {
            "id": ["far", "centre", "near", "c", "later_hot", "bad"],
            "x": [x + 30_000, x, x + 150, x + 400, hot_later_x, ""],
            "y": [y, y, y, y - 500, hot_later_y, y],
        }
    )
    points_csv = tmp_path / "points.csv"
    points.to_csv(points_csv, index=False)
    out = tmp_path / "scores.csv"
    result = CliRunner().invoke(
        main,
        ["surface", "score", "--incidents", *police_files, "--as-of", "2025-03-01",
         "--points", str(points_csv), "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(out, dtype={"id": str})
    assert list(scores.columns) == ["id", "score"]
    assert scores["id"].tolist() == points["id"].tolist()
    assert not scores["score"].isna().any()
    s = dict(zip(scores["id"], scores["score"]))
    assert s["far"] == 0.0
    assert s["bad"] == 0.0
    assert s["later_hot"] == 0.0  # March incidents are after as_of
    assert s["centre"] > s["near"] > 0
    assert s["centre"] > s["c"]

    pct_out = tmp_path / "pct.csv"
    result = CliRunner().invoke(
        main,
        ["surface", "score", "--incidents", *police_files, "--as-of", "2025-03-01",
         "--points", str(points_csv), "--out", str(pct_out), "--kind", "percentile"],
    )
    assert result.exit_code == 0, result.output
    pct = pd.read_csv(pct_out, dtype={"id": str}).set_index("id")["score"]
    assert pct["far"] == 0.0
    assert 0 < pct["centre"] <= 100


def test_surface_score_refuses_points_without_columns(tmp_path, police_files):
    bad = tmp_path / "points.csv"
    bad.write_text("name,e,n\na,1,2\n")
    result = CliRunner().invoke(
        main,
        ["surface", "score", "--incidents", *police_files, "--as-of", "2025-03-01",
         "--points", str(bad), "--out", str(tmp_path / "o.csv")],
    )
    assert result.exit_code == 2
    assert "id,x,y" in result.output


def test_surface_score_cell_is_the_square_each_point_stands_for(tmp_path, police_files):
    x, y = (float(v) for v in lonlat_to_en(LON, LAT))
    points_csv = tmp_path / "points.csv"
    pd.DataFrame({"id": ["centre", "near"], "x": [x, x + 60], "y": [y, y]}).to_csv(points_csv, index=False)

    def run(*extra):
        out = tmp_path / "scores.csv"
        result = CliRunner().invoke(
            main,
            ["surface", "score", "--incidents", *police_files, "--as-of", "2025-03-01",
             "--points", str(points_csv), "--out", str(out), *extra],
        )
        assert result.exit_code == 0, result.output
        return pd.read_csv(out, dtype={"id": str}).set_index("id")["score"]

    default, small, large = run(), run("--cell", "100"), run("--cell", "1000")
    # the mean intensity over a square around a hot spot falls as the square grows
    assert small["centre"] > default["centre"] > large["centre"] > 0
    # forecast: next month's target incidents expected in the point's square
    f100, f1000 = run("--kind", "forecast", "--cell", "100"), run("--kind", "forecast", "--cell", "1000")
    assert f100["centre"] > 0
    assert f1000["centre"] >= f100["centre"]  # a bigger square holds at least as many incidents
    coef = tmp_path / "coef.csv"
    run("--kind", "forecast", "--coefficients", str(coef))
    table = pd.read_csv(coef)
    assert {"feature", "weight", "default", "fitted", "policy_version"} <= set(table.columns)
    assert (table["weight"] >= 0).all() and table["weight"].sum() > 0


def test_surface_score_refuses_a_cell_for_the_point_kind(tmp_path, police_files):
    points_csv = tmp_path / "points.csv"
    points_csv.write_text("id,x,y\na,358000,173000\n")
    for extra, says in ((["--kind", "point", "--cell", "100"], "--kind point"), (["--cell", "-1"], "positive"),
                        (["--coefficients", str(tmp_path / "c.csv")], "--kind forecast")):
        result = CliRunner().invoke(
            main,
            ["surface", "score", "--incidents", *police_files, "--as-of", "2025-03-01",
             "--points", str(points_csv), "--out", str(tmp_path / "o.csv"), *extra],
        )
        assert result.exit_code == 2
        assert says in result.output


def test_evaluate_runs_several_areas_cells_and_histories(tmp_path, police_files):
    import json

    boundary = tmp_path / "centre.geojson"
    lon0, lat0 = LON - 0.02, LAT - 0.02
    ring = [[lon0, lat0], [lon0 + 0.04, lat0], [lon0 + 0.04, lat0 + 0.04], [lon0, lat0 + 0.04], [lon0, lat0]]
    boundary.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"LSOA11CD": "E01000001", "LSOA11NM": "Test 001A"},
         "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    out_dir = tmp_path / "eval"
    result = CliRunner().invoke(
        main,
        ["evaluate", "--incidents", *police_files, "--boundary", str(boundary), "--area", "Bristol",
         "--cell", "150", "--cell", "250", "--history", "1", "--history", "all", "--bootstrap", "50",
         "--out-dir", str(out_dir)],
    )
    assert result.exit_code == 0, result.output
    summary = pd.read_csv(out_dir / "summary.csv")
    assert set(summary["area"]) == {"centre", "Bristol"}
    assert set(summary["cell_m"]) == {150, 250}
    assert set(summary["history"].astype(str)) == {"1", "all"}
    assert {"model", "all_prior", "long_run", "perfect"} <= set(summary["method"])
    assert {"pai_lo", "pei_hi"} <= set(summary.columns)
    diffs = pd.read_csv(out_dir / "differences.csv")
    assert {"pai_diff", "pai_diff_lo", "pai_diff_hi", "pei_ratio"} <= set(diffs.columns)
    assert (out_dir / "bristol_150m_history-1" / "backtest.png").stat().st_size > 10_000
    coef = pd.read_csv(out_dir / "bristol_150m_history-all" / "coefficients.csv")
    assert set(coef["month"]) == {"2025-02", "2025-03"}
    assert {"feature", "weight", "default", "fitted", "policy_version"} <= set(coef.columns)
    # March is forecast from two months: one of them was forecast from the other, so a fit exists
    assert coef.loc[coef["month"] == "2025-03", "fitted"].notna().any()
    assert "### centre, 250 m cells, history all" in result.output
    # without --boundary/--area each force is back-tested on its own area (issue 17)
    forces = CliRunner().invoke(main, ["evaluate", "--incidents", *police_files, "--out-dir", str(out_dir / "f")])
    assert forces.exit_code == 0, forces.output
    assert "each back-tested on its own area" in forces.output and (out_dir / "f" / "forces_pai5.csv").exists()
    bad = CliRunner().invoke(main, ["evaluate", "--incidents", *police_files, "--area", "Bristol",
                                    "--history", "0", "--out-dir", str(out_dir)])
    assert bad.exit_code == 2 and "--history" in bad.output


def test_evaluate_weighs_targets_by_harm_from_a_file(tmp_path, police_files):
    harm = tmp_path / "harm.csv"
    harm.write_text("category,weight\nRobbery,10\nViolence and sexual offences,2\n")
    out_dir = tmp_path / "eval"
    args = ["evaluate", "--incidents", *police_files, "--area", "Bristol", "--bootstrap", "20",
            "--test-month", "2025-02", "--target", "Robbery", "--target", "Violence and sexual offences"]
    counted = CliRunner().invoke(main, [*args, "--harm", "none", "--out-dir", str(out_dir / "n")])
    weighted = CliRunner().invoke(main, [*args, "--harm", str(harm), "--out-dir", str(out_dir / "h")])
    assert counted.exit_code == 0 and weighted.exit_code == 0, weighted.output
    assert "harm-weighted" in weighted.output and "harm-weighted" not in counted.output
    n = pd.read_csv(out_dir / "n" / "summary.csv")
    h = pd.read_csv(out_dir / "h" / "summary.csv")
    assert set(n["method"]) == set(h["method"])
    bad = tmp_path / "bad.csv"
    bad.write_text("category,weight\nRobbery,lots\n")
    refused = CliRunner().invoke(main, [*args, "--harm", str(bad), "--out-dir", str(out_dir / "b")])
    assert refused.exit_code == 2 and "'Robbery'" in refused.output and "not numbers" in refused.output
    unknown = CliRunner().invoke(main, [*args, "--harm", "severity", "--out-dir", str(out_dir / "b")])
    assert unknown.exit_code == 2 and "categories or a CSV file" in unknown.output


@pytest.mark.realdata
def test_evaluate_on_bristol_reports_the_model_against_baselines_and_ceilings(tmp_path, shared_data):
    """`geo-risk evaluate` on Avon & Somerset inside Bristol: the model's mean PAI at 5 % is
    above previous-month counts and at least level with all-prior counts (issue 19)."""
    files = sorted(str(p) for p in (shared_data / "police_uk" / "avon_and_somerset").glob("*-street.csv"))
    boundary = shared_data / "boundaries" / "lsoa_by_lad_E06000023.geojson"
    out_dir = tmp_path / "eval"
    result = CliRunner().invoke(
        main, ["evaluate", "--incidents", *files, "--boundary", str(boundary), "--out-dir", str(out_dir),
               "--test-from", "2025-02", "--bootstrap", "100"]
    )
    assert result.exit_code == 0, result.output
    assert "| model |" in result.output and "| ceiling: long-run rate |" in result.output
    run = out_dir / "lsoa-by-lad-e06000023_250m_history-all"
    table = pd.read_csv(run / "backtest.csv")
    assert (run / "backtest.png").stat().st_size > 10_000
    monthly = table[table["month"] != "mean"]
    assert set(monthly["month"]) == {"2025-02", "2025-03", "2025-04"}
    pai5 = monthly[np.isclose(monthly["coverage"], 0.05)].groupby("method")["pai"].mean()
    assert pai5["model"] > pai5["previous_month"]
    assert pai5["model"] >= pai5["all_prior"]
    assert pai5["perfect"] > pai5["long_run"]


def test_a_harm_weights_file_is_read_or_refused_with_what_to_write(tmp_path):
    from geo_risk.cli.evaluate import forecast_policy
    from geo_risk.config import Policy
    from geo_risk.errors import ValidationError

    surface = Policy.default().surface
    good = tmp_path / "chi.csv"
    good.write_text("Category , Weight\nRobbery,10\n")
    policy = forecast_policy(surface, ("Robbery",), str(good))
    assert dict(policy.forecast_harm_weights) == {"Robbery": 10.0}
    bad = tmp_path / "bad.csv"
    bad.write_text("cat,w\nRobbery,10\n")
    with pytest.raises(ValidationError, match="missing column.*category, weight; write the harm weights with the "
                                                "columns category,weight"):
        forecast_policy(surface, ("Robbery",), str(bad))
