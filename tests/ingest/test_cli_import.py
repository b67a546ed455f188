"""``geo-risk import KIND PATH...`` (issue 2): exit codes, messages, the report CSV."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from .test_police_uk import row, write


def _run(args: list[str], db_url: str):
    from click.testing import CliRunner

    from geo_risk.cli import _context, main

    for cached in (_context.settings, _context.policy, _context.engine):
        cached.cache_clear()
    try:
        return CliRunner().invoke(main, args, env={"GEO_RISK_DATABASE_URL": db_url, "GEO_RISK_AREA_OF_INTEREST": ""})
    finally:
        _context.engine().dispose()
        for cached in (_context.settings, _context.policy, _context.engine):
            cached.cache_clear()


def test_import_police_uk_with_report(db_url: str, tmp_path: Path) -> None:
    f = write(tmp_path / "2025-01-street.csv", row("a1"), row("a2", lon="", lat="", loc="No Location"), row("a1"))
    report = tmp_path / "out" / "report.csv"
    result = _run(["import", "police-uk", str(f), "--report-csv", str(report), "--no-progress"], db_url)
    assert result.exit_code == 0, result.output
    assert "3 read, 1 accepted, 1 rejected, 1 duplicates, 0 out of area; 1 stored, 0 already stored" in result.output
    assert "1  no coordinates" in result.output
    rep = pd.read_csv(report)
    assert rep["status"].tolist() == ["file", "rejected", "duplicate"]
    again = _run(["import", "police_uk", str(f), "--no-progress"], db_url)
    assert again.exit_code == 0 and "0 stored, 1 already stored" in again.output


def test_bad_input_exits_non_zero_with_the_fix(db_url: str, tmp_path: Path) -> None:
    f = tmp_path / "latin.csv"
    f.write_bytes("Crime ID,Month\nx,caf\xe9\n".encode("latin-1"))
    result = _run(["import", "police-uk", str(f)], db_url)
    assert result.exit_code == 2
    assert "is not UTF-8 text: byte 0xe9 on line 2" in result.output
    assert "Traceback" not in result.output


def test_unknown_kind_and_help(db_url: str, tmp_path: Path) -> None:
    result = _run(["import", "crimes", str(tmp_path)], db_url)
    assert result.exit_code == 2 and "KIND" in result.output
    helped = _run(["import", "--help"], db_url)
    assert helped.exit_code == 0
    for kind in ["police-uk", "boundaries", "schools", "postcodes", "streets", "network", "injuries"]:
        assert kind in helped.output


@pytest.mark.parametrize("flag", ["--max-bytes"])
def test_size_limit_option(db_url: str, tmp_path: Path, flag: str) -> None:
    f = write(tmp_path / "a.csv", row("a1"))
    result = _run(["import", "police-uk", str(f), flag, "10"], db_url)
    assert result.exit_code == 2 and "over the 10 bytes limit" in result.output


def test_an_import_with_every_row_rejected_exits_non_zero(db_url: str, tmp_path: Path) -> None:
    from .test_boundaries import _metres_labelled_degrees

    f = _metres_labelled_degrees(tmp_path / "bng-as-wgs84.geojson")
    result = _run(["import", "boundaries", str(f), "--no-progress"], db_url)
    assert result.exit_code == 2, result.output
    assert "coordinates out of range for EPSG:4326: is the file in British National Grid?" in result.output
    assert "nothing was imported: 3 of 3 row(s) were rejected" in result.output
    assert "not a polygon" not in result.output and "RuntimeWarning" not in result.output


def test_police_uk_with_every_row_rejected_exits_non_zero(db_url: str, tmp_path: Path) -> None:
    f = write(tmp_path / "2025-01-street.csv", row("a1", ctype="<b>Burglary</b>"), row("a2", lon="NaN"))
    result = _run(["import", "police-uk", str(f), "--errors", "reject", "--no-progress"], db_url)
    assert result.exit_code == 2 and "nothing was imported: 2 of 2 row(s)" in result.output
    mixed = write(tmp_path / "2025-02-street.csv", row("b1"), row("b2", lon="NaN"))
    ok = _run(["import", "police-uk", str(mixed), "--errors", "reject", "--no-progress"], db_url)
    assert ok.exit_code == 0, ok.output


def test_the_cli_prints_no_library_warning_for_a_bad_boundary_file(tmp_path: Path, db_url: str) -> None:
    import os
    import subprocess
    import sys

    from .test_boundaries import _metres_labelled_degrees

    f = _metres_labelled_degrees(tmp_path / "bng-as-wgs84.geojson")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}  # what a user's shell shows
    env.update(GEO_RISK_DATABASE_URL=db_url, GEO_RISK_AREA_OF_INTEREST="")
    out = subprocess.run([sys.executable, "-m", "geo_risk.cli", "import", "boundaries", str(f), "--no-progress"],
                         capture_output=True, text=True, env=env, check=False, timeout=300)
    assert out.returncode == 2
    assert "Warning" not in out.stderr, out.stderr
    assert "is the file in British National Grid?" in out.stdout
