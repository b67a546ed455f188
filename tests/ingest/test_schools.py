"""School list importer (issue 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo_risk.errors import ValidationError
from geo_risk.ingest.postcodes import read_postcodes
from geo_risk.ingest.schools import read_schools

GIAS = (
    "URN,EstablishmentName,TypeOfEstablishment (name),PhaseOfEducation (name),Postcode,Easting,Northing\n"
    "100001,Hill Primary,Community school,Primary,BS1 1AD,358000,173000\n"
    "100002,Vale Academy,Academy converter,Secondary,BS1 1BT,359000,174000\n"
    "100003,Riverside,Community special school,Not applicable,BS1 1BU,357000,172000\n"
    "100004,Town All-through,Academy sponsor led,All-through,BS1 1AD,,\n"
    "100005,Sixth Form College,Sixth form centres,16 plus,,356000,171000\n"
    "100001,Hill Primary,Community school,Primary,BS1 1AD,358000,173000\n"
)


def test_gias_columns_phases_and_duplicates(tmp_path: Path) -> None:
    f = tmp_path / "gias.csv"
    f.write_text(GIAS)
    r = read_schools(f, postcodes={"BS1 1AD": (360205, 173432)})
    g = r.gdf.set_index("urn")
    assert g["phase"].to_dict() == {"100001": "primary", "100002": "secondary", "100003": "special",
                                    "100004": "all-through", "100005": "post-16"}
    assert g.loc["100004", "located_by"] == "postcode"
    assert (g.loc["100004"].geometry.x, g.loc["100004"].geometry.y) == (360205, 173432)
    assert g.loc["100001", "located_by"] == "coordinates"
    assert r.report.duplicates == 1 and "duplicate URN 100001; kept line 2" in r.report.rejections.iloc[0]["reason"]


def test_without_lookup_rows_without_coordinates_are_rejected(tmp_path: Path) -> None:
    f = tmp_path / "gias.csv"
    f.write_text(GIAS)
    r = read_schools(f)
    assert r.report.rejected == [(str(f), 5, "no coordinates (pass a postcode lookup to locate it by postcode)")]


def test_dfe_flags(tmp_path: Path) -> None:
    f = tmp_path / "spine.csv"
    f.write_text(
        "URN,SCHNAME,POSTCODE,MINORGROUP,ISPRIMARY,ISSECONDARY,ISPOST16,Easting,Northing\n"
        "1,A,BS1 1AD,Maintained School,1,0,0,358000,173000\n"
        "2,B,BS1 1AD,Academy,0,1,1,358000,173000\n"
        "3,C,BS1 1AD,Academy,1,1,1,358000,173000\n"
        "4,D,BS1 1AD,College,0,0,1,358000,173000\n"
        "5,E,BS1 1AD,Special School,1,0,0,358000,173000\n"
    )
    assert read_schools(f).gdf["phase"].tolist() == ["primary", "secondary", "all-through", "post-16", "special"]


def test_postcode_only_list_needs_a_lookup(tmp_path: Path) -> None:
    f = tmp_path / "ks4.csv"
    f.write_text("Postcode,SchName,URN,SchLevel\nBS1 1AD,A,1,Secondary\nZZ9 9ZZ,B,2,Primary\n")
    with pytest.raises(ValidationError, match=r"locates schools by postcode only; pass a postcode lookup"):
        read_schools(f)
    r = read_schools(f, postcodes={"bs11ad": (360205, 173432)})
    assert r.gdf["urn"].tolist() == ["1"]
    assert r.report.rejected[0][2] == "no coordinates and postcode 'ZZ9 9ZZ' is not in the postcode lookup"


def test_wrong_columns_and_degrees(tmp_path: Path) -> None:
    f = tmp_path / "x.csv"
    f.write_text("id,title\n1,A\n")
    with pytest.raises(ValidationError, match=r"x\.csv lacks column\(s\) URN, EstablishmentName"):
        read_schools(f)
    g = tmp_path / "deg.csv"
    g.write_text("URN,EstablishmentName,Easting,Northing\n1,A,-2.59,51.45\n")
    with pytest.raises(ValidationError, match=r"line 2: Easting/Northing look like longitude/latitude degrees"):
        read_schools(g)


# measured independently with pandas: rows, URNs, rows with Easting, postcodes found in Code-Point 2025
SCHOOL_COUNTS = {
    "DERIVED_bristol_schools_2014_15_geocoded_codepoint2025.csv": (165, 160, 5, 0),
    "DERIVED_bristol_ks4_schools_2022_2023_geocoded_codepoint2025.csv": (76, 39, 1, 36),
    "bristol_ks4_schools_2022_2023.csv": (76, 39, 1, 36),
    "dfe_performance_tables_2014_15_bristol/801_spine.csv": (165, 160, 5, 0),
}


@pytest.mark.realdata
@pytest.mark.parametrize("name", list(SCHOOL_COUNTS))
def test_real_school_files(shared_data: Path, name: str) -> None:
    postcodes = read_postcodes(shared_data / "postcodes" / "codepoint_open_2025")
    r = read_schools(shared_data / "schools" / name, postcodes=postcodes)
    rows, accepted, rejected, dups = SCHOOL_COUNTS[name]
    assert (r.report.rows_read, r.report.accepted, r.report.n_rejected, r.report.duplicates) == (
        rows, accepted, rejected, dups)
    assert r.gdf["urn"].is_unique
    assert set(r.gdf["phase"]) <= {"primary", "secondary", "all-through", "special", "post-16", "other"}
    # Bristol: every school within 20 km of the centre
    assert (r.gdf.distance(r.gdf.geometry.iloc[0]) < 20_000).all()
    if name.startswith("DERIVED"):
        assert set(r.gdf["located_by"]) == {"coordinates"}
