"""police.uk street-level CSV importer (issue 2)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geo_risk.errors import CRSError, DataSourceError, ValidationError
from geo_risk.ingest.police_uk import read_police_uk

HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
    "Crime type,Last outcome category,Context"
)
FORCE = "Avon and Somerset Constabulary"


def row(cid: str = "", month: str = "2025-01", lon: str = "-2.5900", lat: str = "51.4540",
        loc: str = "On or near High Street", lsoa: str = "E01014485", ctype: str = "Burglary",
        outcome: str = "Under investigation") -> str:
    return f"{cid},{month},{FORCE},{FORCE},{lon},{lat},{loc},{lsoa},Bristol 023A,{ctype},{outcome},"


def write(path: Path, *rows: str, header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def month_file(tmp_path: Path) -> Path:
    return write(
        tmp_path / "2025-01-avon-and-somerset-street.csv",
        row("aaa1"),                                              # line 2: ok
        row("aaa2", lon="", lat="", loc="No Location", lsoa=""),  # line 3: no coordinates
        row("", ctype="Anti-social behaviour", outcome=""),       # line 4: ASB, no id
        row("", ctype="Anti-social behaviour", outcome=""),       # line 5: identical ASB, a separate incident
        row("aaa1", lon="-2.5910"),                               # line 6: duplicate Crime ID, other location
        row("aaa3", lon="-1.0846", lat="53.2516"),                # line 7: far away but in GB
        row("aaa4", lon="2.3522", lat="48.8566"),                 # line 8: Paris
        row("aaa5", lon="0", lat="0", loc="No Location"),         # line 9: zeroed = no coordinates
    )


def test_every_row_ends_in_one_state(month_file: Path) -> None:
    r = read_police_uk(month_file)
    rep = r.report
    assert rep.rows_read == 8
    assert (rep.accepted, rep.n_rejected, rep.duplicates, rep.out_of_area) == (4, 2, 1, 1)
    assert sorted(rep.rejected) == [(str(month_file), 3, "no coordinates"), (str(month_file), 9, "no coordinates")]
    status = dict(zip(rep.rejections["row"], rep.rejections["status"], strict=True))
    assert status == {3: "rejected", 6: "duplicate", 8: "out_of_area", 9: "rejected"}
    assert "kept line 2" in rep.rejections.set_index("row").loc[6, "reason"]
    assert rep.reason_counts("out_of_area") == {"outside Great Britain": 1}


def test_contract_columns_and_values(month_file: Path) -> None:
    gdf = read_police_uk(month_file).gdf
    assert gdf.crs.to_epsg() == 27700
    for col in ["incident_id", "external_id", "category", "source", "source_type", "occurred_at", "has_time",
                "precision", "geometry", "location_text", "lsoa_code", "lsoa_version"]:
        assert col in gdf.columns
    assert gdf["occurred_at"].dtype == np.dtype("datetime64[ns]")
    assert (gdf["occurred_at"] == pd.Timestamp("2025-01-01")).all()
    assert not gdf["has_time"].any()
    assert set(gdf["precision"]) == {"snap_point"}
    assert set(gdf["source"]) == {"police.uk"} and set(gdf["source_type"]) == {"police"}
    assert gdf["location_text"].iloc[0] == "On or near High Street"
    first = gdf.set_index("source_row").loc[2]
    # Bristol centre: easting ~ 358,900, northing ~ 173,000
    assert 355_000 < first.geometry.x < 362_000 and 170_000 < first.geometry.y < 176_000
    assert first["external_id"] == "aaa1"


@pytest.mark.parametrize("n", [3, 1_500])  # small files strip cell by cell, big ones each distinct value once
def test_padded_cells_are_stripped(tmp_path: Path, n: int) -> None:
    rows = [row(f"id{i} ", month=" 2025-01 ", lsoa="E01014485  ", ctype="Burglary\t") for i in range(n - 1)]
    rows.append(row("last", month="2025-01", lsoa="E01014486", ctype="Robbery"))
    gdf = read_police_uk(write(tmp_path / "padded.csv", *rows)).gdf
    assert len(gdf) == n
    assert set(gdf["month"]) == {"2025-01"}
    assert set(gdf["category"]) == {"Burglary", "Robbery"}
    assert set(gdf["lsoa_code"]) == {"E01014485", "E01014486"}
    assert gdf["external_id"].iloc[0] == "id0" and gdf["external_id"].iloc[-1] == "last"


def test_asb_rows_get_stable_distinct_ids(month_file: Path, tmp_path: Path) -> None:
    a = read_police_uk(month_file).gdf
    b = read_police_uk(month_file).gdf
    asb = a[a["category"] == "Anti-social behaviour"]
    assert len(asb) == 2  # identical rows are two incidents
    assert asb["external_id"].str.match(r"^h:[0-9a-f]{40}$").all()
    assert asb["external_id"].nunique() == 2
    assert list(a["external_id"]) == list(b["external_id"])
    # a renamed copy of the same data gives the same ids
    copy = tmp_path / "copy.csv"
    copy.write_bytes(month_file.read_bytes())
    assert set(read_police_uk(copy).gdf["external_id"]) == set(a["external_id"])


def test_same_data_twice_is_all_duplicates(month_file: Path, tmp_path: Path) -> None:
    copy = tmp_path / "again.csv"
    copy.write_bytes(month_file.read_bytes())
    r = read_police_uk([month_file, copy])
    assert r.report.accepted == 4
    assert r.report.files[1].duplicates == 8
    assert r.report.files[1].accepted == 0
    # the same path given twice is read once
    assert len(read_police_uk([month_file, month_file]).report.files) == 1


def test_duplicate_prefers_located_row(tmp_path: Path) -> None:
    f = write(tmp_path / "a.csv", row("x1", lon="", lat="", loc="No Location"), row("x1"))
    r = read_police_uk(f)
    assert r.report.accepted == 1 and r.report.duplicates == 1 and r.report.n_rejected == 0
    assert r.gdf["source_row"].tolist() == [3]


def test_area_of_interest(month_file: Path) -> None:
    bristol = box(350_000, 165_000, 370_000, 182_000)
    r = read_police_uk(month_file, area=bristol)
    assert r.report.out_of_area == 2
    assert r.report.reason_counts("out_of_area") == {"outside Great Britain": 1, "outside the area of interest": 1}
    assert r.report.accepted == 3


def test_area_in_lonlat_is_refused(month_file: Path) -> None:
    with pytest.raises(CRSError, match="EPSG:27700"):
        read_police_uk(month_file, area=box(-2.7, 51.4, -2.5, 51.5))


def test_lsoa_version_from_codes_and_month(tmp_path: Path) -> None:
    new = write(tmp_path / "new.csv", row("n1", lsoa="E01033769"), row("n2"))
    old = write(tmp_path / "old.csv", row("o1", month="2023-01"), row("o2", month="2023-01"))
    r = read_police_uk([new, old])
    versions = r.gdf.groupby("source_file")["lsoa_version"].unique().apply(list).to_dict()
    assert versions == {str(new): ["2021"], str(old): ["2011"]}  # too few codes in 'old': month decides
    late = write(tmp_path / "late.csv", row("l1", month="2024-06"))
    assert read_police_uk(late).gdf["lsoa_version"].tolist() == ["2021"]


def test_folder_and_zip(month_file: Path, tmp_path: Path) -> None:
    (tmp_path / "2025-01-avon-and-somerset-outcomes.csv").write_text("Crime ID,Month\nx,2025-01\n")
    from_folder = read_police_uk(tmp_path)
    assert len(from_folder.report.files) == 1  # the outcomes file is skipped
    z = tmp_path / "download.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.write(month_file, "2025-01/" + month_file.name)
    from_zip = read_police_uk(z)
    assert from_zip.report.files[0].file.endswith("download.zip/2025-01/" + month_file.name)
    assert from_zip.report.accepted == from_folder.report.accepted == 4


# --- bad input -------------------------------------------------------------------------------------

def test_wrong_columns(tmp_path: Path) -> None:
    f = write(tmp_path / "x-outcomes.csv", "a,2025-01,Unable", header="Crime ID,Month,Outcome type")
    with pytest.raises(ValidationError, match=r"x-outcomes\.csv lacks column\(s\) 'Longitude'.*-street\.csv"):
        read_police_uk(f)


def test_broken_csv(tmp_path: Path) -> None:
    f = write(tmp_path / "b.csv", row("a"), row("b") + ',extra,"fields"')
    with pytest.raises(ValidationError, match=r"b\.csv is not a well-formed police\.uk CSV.*line 3"):
        read_police_uk(f)


def test_not_utf8(tmp_path: Path) -> None:
    f = tmp_path / "latin.csv"
    f.write_bytes((HEADER + "\n" + row("a", loc="On or near Caf\xe9 Row")).encode("latin-1"))
    with pytest.raises(ValidationError, match=r"latin\.csv is not UTF-8 text: byte 0xe9 on line 2.*UTF-8"):
        read_police_uk(f)


def test_empty_file_and_header_only(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(ValidationError, match=r"empty\.csv is empty"):
        read_police_uk(empty)
    header_only = write(tmp_path / "h.csv")
    with pytest.raises(ValidationError, match=r"h\.csv has a header but no rows"):
        read_police_uk(header_only)


def test_swapped_columns(tmp_path: Path) -> None:
    f = write(tmp_path / "s.csv", row("a", lon="51.45", lat="-2.59"), row("b", lon="51.46", lat="-2.58"))
    with pytest.raises(ValidationError, match=r"(?s)s\.csv.*columns are swapped; swap the column headers"):
        read_police_uk(f)


def test_nan_and_text_coordinates_collected_in_one_message(tmp_path: Path) -> None:
    f = write(
        tmp_path / "n.csv",
        row("a", lon="NaN"),
        row("b"),
        row("c", lat="fifty-one"),
        row("d", month="Jan 2025"),
        row("e", ctype=""),
    )
    with pytest.raises(ValidationError) as info:
        read_police_uk(f)
    text = str(info.value)
    assert "n.csv: 4 row(s) with problems" in text
    assert "line 2: Longitude is not a finite number (e.g. 'NaN')" in text
    assert "line 4: Latitude is not a finite number" in text
    assert "line 5: Month is not YYYY-MM" in text
    assert "line 6: Crime type is empty" in text
    assert "leave the cell empty when the location is unknown" in text


def test_errors_reject_keeps_good_rows(tmp_path: Path) -> None:
    f = write(tmp_path / "n.csv", row("a", lon="NaN"), row("b"))
    r = read_police_uk(f, errors="reject")
    assert r.report.accepted == 1
    assert r.report.rejected[0][1] == 2 and "not a finite number" in r.report.rejected[0][2]


def test_size_limit_refused_before_reading(month_file: Path) -> None:
    with pytest.raises(DataSourceError, match=r"over the 100 bytes limit.*split it"):
        read_police_uk(month_file, max_bytes=100)


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(DataSourceError, match="does not exist"):
        read_police_uk(tmp_path / "nope.csv")


def test_report_csv(month_file: Path, tmp_path: Path) -> None:
    out = read_police_uk(month_file).report.to_csv(tmp_path / "rep" / "report.csv")
    rep = pd.read_csv(out)
    assert rep.loc[0, "status"] == "file" and rep.loc[0, "rows_read"] == 8
    assert rep["status"].tolist()[1:] == ["rejected", "duplicate", "out_of_area", "rejected"]


# --- real data -------------------------------------------------------------------------------------

# measured independently with pandas: rows, accepted (distinct Crime IDs with coordinates + located rows
# without Crime ID), rejected (no coordinates, not the twin of a located row), duplicate Crime ID rows
POLICE_COUNTS = {
    "2014-05-avon-and-somerset-street.csv": (13069, 12250, 819, 0, "2011"),
    "2023-01-avon-and-somerset-street.csv": (12566, 11784, 739, 43, "2011"),
    "2025-01-avon-and-somerset-street.csv": (14828, 13726, 1043, 59, "2021"),
    "2025-02-avon-and-somerset-street.csv": (13984, 12581, 1353, 50, "2021"),
    "2025-03-avon-and-somerset-street.csv": (16522, 14508, 1938, 76, "2021"),
    "2025-04-avon-and-somerset-street.csv": (16612, 14616, 1924, 72, "2021"),
    "2014-05-gloucestershire-street.csv": (4512, 4366, 146, 0, "2011"),
    "2014-05-thames-valley-street.csv": (13714, 10284, 3430, 0, "2011"),
}


@pytest.mark.realdata
def test_real_police_uk_counts(shared_data: Path) -> None:
    r = read_police_uk(shared_data / "police_uk")
    assert len(r.report.files) == 8
    for name, (rows, acc, rej, dup, version) in POLICE_COUNTS.items():
        fr = r.report.file_report(name)
        assert (fr.rows_read, fr.accepted, fr.rejected, fr.duplicates, fr.out_of_area) == (rows, acc, rej, dup, 0)
        assert fr.notes["lsoa_version"] == version
    assert r.report.reason_counts("rejected") == {"no coordinates": 11392}
    assert len(r.gdf) == 94115
    assert r.gdf["external_id"].is_unique
    # snap points: many incidents share a location
    assert r.gdf.geometry.x.round(1).astype(str).add(r.gdf.geometry.y.round(1).astype(str)).nunique() < len(r.gdf) / 2


@pytest.mark.realdata
def test_real_police_uk_area_of_interest(shared_data: Path) -> None:
    import geopandas as gpd

    lads = ["E06000022", "E06000023", "E06000024", "E06000025"]
    area = pd.concat(gpd.read_file(shared_data / "boundaries" / f"lsoa_by_lad_{c}.geojson") for c in lads)
    area = gpd.GeoDataFrame(area, crs=4326).to_crs(27700)
    f = shared_data / "police_uk" / "avon_and_somerset" / "2025-01-avon-and-somerset-street.csv"
    r = read_police_uk(f, area=area)
    # independent count: located rows (first of each Crime ID) within the four former-Avon authorities
    raw = pd.read_csv(f)
    raw = raw[raw["Longitude"].notna()]
    raw = raw[raw["Crime ID"].isna() | ~raw["Crime ID"].duplicated()]
    pts = gpd.GeoDataFrame(raw, geometry=gpd.points_from_xy(raw["Longitude"], raw["Latitude"]), crs=4326).to_crs(27700)
    inside = pts.intersects(area.union_all()).sum()
    assert r.report.accepted == inside
    assert r.report.out_of_area > 0
    assert r.report.accepted + r.report.out_of_area + r.report.n_rejected + r.report.duplicates == 14828


def test_surrounding_spaces_do_not_change_ids(tmp_path: Path) -> None:
    f = write(tmp_path / "s.csv", row(" x1 ", month=" 2025-01", lon=" -2.5900", ctype="Burglary "))
    g = read_police_uk(f).gdf
    assert g[["external_id", "month", "category"]].iloc[0].tolist() == ["x1", "2025-01", "Burglary"]


# measured independently with pandas + pyproj: located rows more than 80 km from the median
# point of their file, in British National Grid metres
FAR_80KM = {"2014-05-avon-and-somerset-street.csv": 10, "2023-01-avon-and-somerset-street.csv": 18,
            "2025-01-avon-and-somerset-street.csv": 30, "2025-02-avon-and-somerset-street.csv": 33,
            "2025-03-avon-and-somerset-street.csv": 31, "2025-04-avon-and-somerset-street.csv": 23,
            "2014-05-gloucestershire-street.csv": 0, "2014-05-thames-valley-street.csv": 2}


@pytest.mark.realdata
def test_real_points_far_outside_the_force(shared_data: Path) -> None:
    kept = read_police_uk(shared_data / "police_uk")
    dropped = read_police_uk(shared_data / "police_uk", max_km_from_centre=80)
    for name, far in FAR_80KM.items():
        assert kept.report.file_report(name).notes["far_points_80km"] == str(far)
        # one of the 31 in 2025-03 repeats a Crime ID and is counted as a duplicate instead
        assert dropped.report.file_report(name).out_of_area == (30 if name.startswith("2025-03") else far)
    assert dropped.report.accepted == 94_115 - 146
    assert set(dropped.report.reason_counts("out_of_area")) == {
        "more than 80 km from the median point of its file (outside the force area)"}


def test_max_km_from_centre_validated(month_file: Path) -> None:
    with pytest.raises(ValueError, match="positive number of kilometres"):
        read_police_uk(month_file, max_km_from_centre=0)


def test_a_2_gb_file_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "2025-01-huge-street.csv"
    with big.open("wb") as fh:  # sparse: takes no disk space, and is never read
        fh.truncate(2 * 1024**3)
    with pytest.raises(DataSourceError, match=r"huge-street\.csv is 2\.0 GB, over the 1\.0 GB limit for one file; split it"):
        read_police_uk(big)


def test_crime_types_outside_police_uk_categories_are_rejected_with_a_reason(tmp_path: Path) -> None:
    f = write(
        tmp_path / "t.csv",
        row("a"),
        row("b", ctype="<script>alert(1)</script>"),
        row("c", ctype="Burglery"),
        row("d", ctype="Violent crime"),  # police.uk's own category before May 2013
        row("e", ctype="Violence and sexual offences"),
    )
    r = read_police_uk(f, errors="reject")
    assert sorted(r.gdf["category"]) == ["Burglary", "Violence and sexual offences", "Violent crime"]
    reasons = {line: reason for _file, line, reason in r.report.rejected}
    assert set(reasons) == {3, 4}
    assert reasons[3].startswith("Crime type '<script>alert(1)</script>' is not a police.uk category")
    assert "Violence and sexual offences" in reasons[4] and "Burglery" in reasons[4]
    with pytest.raises(ValidationError, match="line 4: Crime type 'Burglery' is not a police.uk category"):
        read_police_uk(f)
