"""Peer network importer (issue 2): validation and the pseudonyms-only rule."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geo_risk.errors import ValidationError
from geo_risk.ingest.network import NETWORK_FORMAT, read_network

PEOPLE = (
    "pseudonym,is_child,birth_month,cce_concern,cse_concern,looked_after,sex,ethnicity,religion,source,source_type\n"
    "YP-0001,true,2010-04,true,false,false,M,,,children's social care,social_care\n"
    "YP-0002,yes,,no,no,1,F,,,school,education\n"
    "ADULT-0001,false,,,,,,,,police intelligence,police\n"
)
GROUPS = "code,label,source,source_type\nG01,peer group 1,youth offending team,youth_justice\nG02,peer group 2,parent,parent_carer\n"
LINKS = (
    "link_id,from_kind,from_key,to_kind,to_key,type,evidence_grade,source,source_type,first_seen,last_seen,review_by,expires_at,status\n"
    "L1,person,YP-0001,group,G01,member_of,B,yot,youth_justice,2025-01-10,2025-06-01,2025-09-01,2026-06-01,\n"
    "L2,group,G01,group,G02,in_conflict_with,c,community,community,2025-02-01,2025-05-01,,2026-05-01,live\n"
    "L3,person,ADULT-0001,person,YP-0002,exploits,A,a parent,parent_carer,01/03/2025,,,2026-03-01,expired\n"
)
PLACES = (
    "place_id,entity_kind,entity_key,kind,evidence_grade,source,source_type,first_seen,last_seen,review_by,expires_at,status,x,y\n"
    "P1,group,G01,hangout,B,community,community,2025-01-01,2025-05-01,,2026-01-01,live,359000,173000\n"
    "P2,person,YP-0001,home,A,social care,social_care,2025-01-01,,,2026-01-01,,358500,172500\n"
)


def write(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def network(tmp_path: Path) -> Path:
    return write(tmp_path / "net", people=PEOPLE, groups=GROUPS, links=LINKS, places=PLACES)


def test_valid_network(network: Path) -> None:
    r = read_network(network)
    people, links, places = r.tables["people"], r.tables["links"], r.tables["places"]
    assert people["pseudonym"].tolist() == ["YP-0001", "YP-0002", "ADULT-0001"]
    assert people["is_child"].tolist() == [True, True, False]
    assert people["looked_after"].tolist() == [False, True, False]
    assert links["evidence_grade"].tolist() == ["B", "C", "A"]
    assert links["status"].tolist() == ["live", "live", "expired"]
    assert links["first_seen"].iloc[2] == pd.Timestamp("2025-03-01")  # DD/MM/YYYY accepted
    assert links["expires_at"].dtype == "datetime64[ns]"
    assert places.crs.to_epsg() == 27700 and places.geometry.x.tolist() == [359000, 358500]
    assert r.gdf is places
    assert r.report.rows_read == 10


def test_identifying_columns_are_refused(tmp_path: Path) -> None:
    folder = write(tmp_path / "n", people=PEOPLE.replace("sex,", "first_name,", 1), links=LINKS, groups=GROUPS)
    with pytest.raises(ValidationError, match=r"people\.csv has identifying column\(s\) 'first_name' \(a name\).*pseudonyms only"):
        read_network(folder)
    folder = write(tmp_path / "m", people=PEOPLE.replace("religion,", "Date of Birth,", 1), links=LINKS, groups=GROUPS)
    with pytest.raises(ValidationError, match=r"'Date of Birth' \(a date of birth\)"):
        read_network(folder)


def test_every_problem_reported_once(tmp_path: Path) -> None:
    links = LINKS.replace("member_of,B", "member_of,F").replace(",2026-05-01,live", ",,live") \
        .replace("ADULT-0001,person,YP-0002", "ADULT-0009,person,YP-0002").replace("community,community", "community,neighbours")
    people = PEOPLE + "John Smith,true,,,,,,,,school,education\n"
    groups = GROUPS + "G03,the Mill Street gang,police,police\n"
    folder = write(tmp_path / "n", people=people, groups=groups, links=links, places=PLACES)
    with pytest.raises(ValidationError) as info:
        read_network(folder)
    text = str(info.value)
    assert "people.csv" in text and "line 5: pseudonym 'John Smith' does not look like a pseudonym" in text
    assert "groups.csv" in text and "line 4: label must be neutral" in text
    assert "line 2: evidence_grade must be one of A, B, C, D, E (got 'F')" in text
    assert "line 3: expires_at is empty; it is required" in text
    assert "line 4: from_key names a person not in people.csv (ADULT-0009)" in text
    assert "source_type must be one of police, social_care" in text
    assert "NETWORK_FORMAT.md" in text


def test_link_shape_rules(tmp_path: Path) -> None:
    links = LINKS.replace("L1,person,YP-0001,group,G01,member_of", "L1,group,G01,person,YP-0001,member_of")
    folder = write(tmp_path / "n", people=PEOPLE, groups=GROUPS, links=links)
    with pytest.raises(ValidationError, match="member_of goes from a person to a group"):
        read_network(folder)


def test_required_files_and_unknown_files(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="needs links.csv"):
        read_network(write(tmp_path / "a", people=PEOPLE))
    with pytest.raises(ValidationError, match=r"notes\.csv: unexpected file"):
        read_network(write(tmp_path / "b", people=PEOPLE, links=LINKS, notes="a\n1\n"))


def test_place_outside_gb_is_an_error(tmp_path: Path) -> None:
    places = PLACES.replace("359000,173000", "900000,173000")
    folder = write(tmp_path / "n", people=PEOPLE, groups=GROUPS, links=LINKS, places=places)
    with pytest.raises(ValidationError, match="line 2: outside Great Britain"):
        read_network(folder)


def test_format_document_lists_every_column() -> None:
    for col in ["pseudonym", "is_child", "birth_month", "cce_concern", "link_id", "evidence_grade", "expires_at",
                "place_id", "entity_kind", "exploitation_site", "parent_carer", "young_person"]:
        assert f"`{col}`" in NETWORK_FORMAT
    assert "gang" not in NETWORK_FORMAT.lower()
