"""Code-Point Open importer (issue 2)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geo_risk.errors import ValidationError
from geo_risk.ingest.postcodes import normalise_postcodes, postcode_lookup, read_postcodes

ROWS = [
    '"BS1 1AD",10,360205,173432,"E92000001","E19000002","E18000010","","E06000023","E05010907"',
    '"bs11bt",10,358709,172898,"E92000001","E19000002","E18000010","","E06000023","E05010892"',
    '"BS1  1BU",90,0,0,"E92000001","E19000002","E18000010","","E06000023","E05010892"',
    '"BS1 1AD",10,360205,173432,"E92000001","E19000002","E18000010","","E06000023","E05010907"',
]


def test_normalise_postcodes() -> None:
    out, valid = normalise_postcodes(pd.Series(["bs11aa", " BS1  1AA ", "SW1A1AA", "nonsense", "", "EC1A 1BB"]))
    assert out.tolist() == ["BS1 1AA", "BS1 1AA", "SW1A 1AA", "", "", "EC1A 1BB"]
    assert valid.tolist() == [True, True, True, False, False, True]


def test_builtin_headers_and_row_states(tmp_path: Path) -> None:
    (tmp_path / "bs.csv").write_text("\n".join(ROWS) + "\n")
    r = read_postcodes(tmp_path)
    assert r.gdf["postcode"].tolist() == ["BS1 1AD", "BS1 1BT"]
    assert r.gdf.crs.to_epsg() == 27700
    assert (r.gdf.geometry.x.iloc[0], r.gdf.geometry.y.iloc[0]) == (360205, 173432)
    assert r.report.rejected == [(str(tmp_path / "bs.csv"), 3, "no coordinates (positional quality 90)")]
    assert r.report.duplicates == 1
    assert r.report.files[0].notes["headers"] == "built in"


def test_header_file_in_doc_folder(tmp_path: Path) -> None:
    data = tmp_path / "Data" / "CSV"
    data.mkdir(parents=True)
    (tmp_path / "Doc").mkdir()
    (tmp_path / "Doc" / "Code-Point_Open_Column_Headers.csv").write_text(
        "PC,PQ,EA,NO,CY,RH,LH,CC,DC,WC\nPostcode,Positional_quality_indicator,Eastings,Northings,x,x,x,x,x,x\n")
    (data / "bs.csv").write_text(ROWS[0] + "\n")
    r = read_postcodes(data)
    assert r.report.files[0].notes["headers"] == "Code-Point_Open_Column_Headers.csv"
    assert r.gdf.loc[0, "admin_district_code"] == "E06000023"


def test_bad_rows_in_one_message(tmp_path: Path) -> None:
    f = tmp_path / "bs.csv"
    f.write_text('"NOT A PC",10,1,2\n"BS1 1AD",10,east,173432\n')
    with pytest.raises(ValidationError) as info:
        read_postcodes(f)
    text = str(info.value)
    assert "line 1: not a valid UK postcode" in text and "line 2: easting is not a finite number" in text


def test_too_few_columns(tmp_path: Path) -> None:
    f = tmp_path / "bs.csv"
    f.write_text('"BS1 1AD",10\n')
    with pytest.raises(ValidationError, match=r"bs\.csv has 2 column\(s\); Code-Point Open rows have at least 4"):
        read_postcodes(f)


def test_lookup_from_gdf_and_dict(tmp_path: Path) -> None:
    (tmp_path / "bs.csv").write_text(ROWS[0] + "\n")
    r = read_postcodes(tmp_path)
    assert postcode_lookup(r) == {"BS1 1AD": (360205.0, 173432.0)}
    assert postcode_lookup({"bs11ad": (1, 2)}) == {"BS1 1AD": (1.0, 2.0)}


# measured independently: wc -l of each file; no duplicates, no zero coordinates, PQ in {10, 50, 60}
@pytest.mark.realdata
def test_real_codepoint(shared_data: Path) -> None:
    r = read_postcodes(shared_data / "postcodes" / "codepoint_open_2025")
    assert [(Path(f.file).name, f.rows_read, f.accepted) for f in r.report.files] == [
        ("ba.csv", 15513, 15513), ("bs.csv", 27371, 27371), ("ox.csv", 20417, 20417)]
    assert r.gdf["postcode"].is_unique
    assert r.gdf["postcode"].str.fullmatch(r"[A-Z0-9]{2,4} [0-9][A-Z]{2}").all()
    assert set(r.gdf["quality"].unique()) == {10, 50, 60}
