"""CSV exports neutralise cells a spreadsheet would run as formulas (issue 14, item 6)."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from geo_risk.exports import SafeWriter, neutralise_cell, neutralise_frame


@pytest.mark.parametrize("cell", ["=1+1", "+44 117", "-2+3", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x")'])
def test_formula_starts_get_an_apostrophe(cell):
    assert neutralise_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["Burglary", "", "a=b", " =1", -3, -0.5, None, 12])
def test_other_cells_and_numbers_are_unchanged(cell):
    assert neutralise_cell(cell) == cell


def test_frames_keep_numbers_and_neutralise_text():
    frame = pd.DataFrame({"id": ["=cmd|' /C calc'!A0", "p2"], "score": [-1.5, 2.0], "=col": ["-x", "y"]})
    out = neutralise_frame(frame)
    assert out["id"].tolist() == ["'=cmd|' /C calc'!A0", "p2"]
    assert out["score"].tolist() == [-1.5, 2.0]
    assert list(out.columns) == ["id", "score", "'=col"]
    assert frame["id"][0].startswith("=")  # the input is not changed


def test_safe_writer(tmp_path: Path):
    path = tmp_path / "x.csv"
    with path.open("w", newline="") as fh:
        SafeWriter(fh).writerows([["a", "@b"], ["+c", 4]])
    assert list(csv.reader(path.open())) == [["a", "'@b"], ["'+c", "4"]]


def test_the_import_report_csv_neutralises_file_names_and_reasons(tmp_path: Path, monkeypatch):
    from geo_risk.ingest.police_uk import read_police_uk

    from .ingest.test_police_uk import row, write

    monkeypatch.chdir(tmp_path)  # the report names the file as given: here "=HYPERLINK(1).csv"
    f = write(Path("=HYPERLINK(1).csv"), row("a", ctype="Burglary"), row("b", lon="NaN"))
    out = read_police_uk(f, errors="reject").report.to_csv(tmp_path / "report.csv")
    cells = [c for r in csv.reader(out.open()) for c in r]
    assert "'=HYPERLINK(1).csv" in cells
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)
