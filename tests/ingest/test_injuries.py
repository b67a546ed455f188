"""Emergency-department assault importer, Cardiff model (issue 2)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geo_risk.errors import ValidationError
from geo_risk.ingest.injuries import parse_time_bands, read_injuries

ED = (
    "date,time_band,x,y,weapon,age_band,location_type\n"
    "2025-03-01,22:00-22:59,359000,173000,knife,15-17,street\n"
    "01/03/2025,,359100,173100,none,18-24,bar\n"
    "2025-03-02,8,,,,,\n"
    "2025-03-03,0300-0359,359000,173000,knife,15-17,street\n"
)


def test_time_bands() -> None:
    start, valid, band = parse_time_bands(pd.Series(["08:00-08:59", "0800-0859", "8", "23:30", "", "25:00", "noon"]))
    assert start.tolist() == [480, 480, 480, 1410, -1, -1, -1]
    assert valid.tolist() == [True, True, True, True, True, False, False]
    assert band.tolist()[:4] == ["08:00-08:59", "08:00-08:59", "08:00", "23:30"]


def test_records(tmp_path: Path) -> None:
    f = tmp_path / "ed.csv"
    f.write_text(ED)
    r = read_injuries(f, source="Bristol Royal Infirmary ED")
    g = r.gdf
    assert g["occurred_at"].tolist() == [pd.Timestamp("2025-03-01 22:00"), pd.Timestamp("2025-03-01"),
                                         pd.Timestamp("2025-03-03 03:00")]
    assert g["has_time"].tolist() == [True, False, True]
    assert set(g["category"]) == {"ED assault injury"} and set(g["source_type"]) == {"health"}
    assert set(g["source"]) == {"Bristol Royal Infirmary ED"} and set(g["precision"]) == {"exact"}
    assert g["month"].tolist() == ["2025-03"] * 3
    assert g["weapon"].tolist() == ["knife", "none", "knife"]
    assert r.report.rejected == [(str(f), 4, "no coordinates")]
    assert g["external_id"].is_unique and g["external_id"].str.startswith("h:").all()
    assert read_injuries(f).gdf["external_id"].tolist() == g["external_id"].tolist()  # stable on re-read


def test_postcode_locations(tmp_path: Path) -> None:
    f = tmp_path / "ed.csv"
    f.write_text("record_id,date,time_band,incident_postcode,weapon,age_band\n"
                 "A1,2025-03-01,22:00-22:59,bs11ad,knife,15-17\nA2,2025-03-04,23:00-23:59,ZZ9 9ZZ,knife,15-17\n")
    with pytest.raises(ValidationError, match="by incident postcode only; pass a postcode lookup"):
        read_injuries(f)
    r = read_injuries(f, postcodes={"BS1 1AD": (360205, 173432)})
    assert r.gdf["external_id"].tolist() == ["ed:A1"] and r.gdf["precision"].tolist() == ["postcode"]
    assert "ZZ9 9ZZ" in r.report.rejected[0][2]


@pytest.mark.parametrize(("column", "what"), [
    ("nhs_number", "an NHS number"), ("NHS No", "an NHS number"), ("Surname", "a name"), ("dob", "a date of birth"),
    ("home_postcode", "the postcode of residence"), ("address", "an address"), ("postcode", "a postcode that may be the patient's home"),
])
def test_patient_identifiers_are_refused(tmp_path: Path, column: str, what: str) -> None:
    f = tmp_path / "ed.csv"
    f.write_text(f"date,time_band,x,y,{column}\n2025-03-01,22:00-22:59,359000,173000,secret\n")
    with pytest.raises(ValidationError, match=rf"ed\.csv has identifying column\(s\) '{column}' \({what}"):
        read_injuries(f)


def test_identifier_message_names_the_fix(tmp_path: Path) -> None:
    f = tmp_path / "ed.csv"
    f.write_text("date,time_band,x,y,nhs_number\n2025-03-01,22:00-22:59,359000,173000,x\n")
    with pytest.raises(ValidationError, match=r"Delete these columns from the file \(share where, when and how"):
        read_injuries(f)


def test_bad_rows(tmp_path: Path) -> None:
    f = tmp_path / "ed.csv"
    f.write_text("date,time_band,lon,lat\n2025-13-45,22:00-22:59,-2.59,51.45\n2025-03-01,late,-2.59,51.45\n"
                 "2025-03-01,01:00,51.45,-2.59\n")
    with pytest.raises(ValidationError) as info:
        read_injuries(f)
    text = str(info.value)
    assert "line 2: date is not a date" in text
    assert "line 3: time_band must look like 08:00-08:59" in text
    assert "line 4: lat looks like a UK longitude" in text


def test_missing_columns(tmp_path: Path) -> None:
    f = tmp_path / "ed.csv"
    f.write_text("when,where\n2025-03-01,here\n")
    with pytest.raises(ValidationError, match=r"ed\.csv lacks a date column \(date\) and a location"):
        read_injuries(f)


def test_a_time_band_is_the_hospitals_clock_stored_as_utc(tmp_path: Path) -> None:
    f = tmp_path / "ed.csv"
    f.write_text("record_id,date,time_band,x,y\nS1,2025-06-10,08:00-08:59,358000,173000\n"
                 "S2,2025-01-10,08:00-08:59,358000,173000\nS3,2025-07-01,00:00-00:59,358000,173000\n"
                 "S4,2025-07-01,,358000,173000\n")
    g = read_injuries(f).gdf
    # British Summer Time is UTC+1; January is UTC; the clock month is kept
    assert g["occurred_at"].tolist() == [pd.Timestamp("2025-06-10 07:00"), pd.Timestamp("2025-01-10 08:00"),
                                         pd.Timestamp("2025-06-30 23:00"), pd.Timestamp("2025-07-01")]
    assert g["month"].tolist() == ["2025-06", "2025-01", "2025-07", "2025-07"]
