"""Population-denominator CSV: parsing, validation and storage (issue 8)."""

from __future__ import annotations

import pytest

from geo_risk.errors import ValidationError
from geo_risk.fairness.population import load_population, parse_population, read_population_csv, save_population
from geo_risk.store.engine import session_scope

GOOD = """area_code,dimension,group,count
A1,ethnicity,White,1200
A1,Ethnicity,"Mixed, multiple",40
A1,sex,Female,600

A2,ethnicity,White,800
"""


def test_parse_reads_rows_and_normalises_dimension(tmp_path):
    path = tmp_path / "pop.csv"
    path.write_text("\ufeff" + GOOD, encoding="utf-8")
    frame = read_population_csv(path)
    assert list(frame.columns) == ["area_code", "dimension", "group", "count"]
    assert len(frame) == 4
    assert frame.loc[1, "group"] == "Mixed, multiple" and frame.loc[1, "dimension"] == "ethnicity"
    assert frame["count"].dtype == "int64"


def test_parse_reports_every_problem_with_line_numbers():
    text = (
        "area_code,dimension,group,count\n"
        "A1,religion,White,5\n"
        "A1,sex,,5\n"
        "A1,sex,Male,-3\n"
        ",sex,Male,2\n"
        "A1,sex,Female,10\n"
        "A1,sex,female,11\n"
        "A1,sex\n"
    )
    with pytest.raises(ValidationError) as info:
        parse_population(text, name="pop.csv")
    msg = str(info.value)
    assert "6 problem(s)" in msg
    for expected in ("line 2: dimension 'religion'", "line 3: group is empty", "line 4: count '-3'",
                     "line 5: area_code is empty", "line 7: repeats area A1, sex 'female' from line 6",
                     "line 8: expected 4 fields"):
        assert expected in msg


def test_parse_rejects_wrong_header():
    with pytest.raises(ValidationError, match="header must be exactly area_code,dimension,group,count"):
        parse_population("lsoa,dimension,group,count\nA1,sex,Male,1\n")
    with pytest.raises(ValidationError, match="no rows"):
        parse_population("area_code,dimension,group,count\n")


def test_save_replaces_counts_per_area_and_dimension(db):
    with session_scope(db) as s:
        save_population(s, parse_population(GOOD))
    again = "area_code,dimension,group,count\nA1,ethnicity,White,1300\n"
    with session_scope(db) as s:
        save_population(s, parse_population(again))
    frame = load_population(db)
    eth = frame[frame["dimension"] == "ethnicity"].set_index(["area_code", "group"])["count"]
    assert eth.to_dict() == {("A1", "White"): 1300, ("A2", "White"): 800}  # A1 ethnicity replaced, A2 kept
    assert load_population(db, dimension="sex")["count"].tolist() == [600]  # A1 sex untouched
