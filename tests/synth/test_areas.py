"""Boundaries, postcodes and schools: real formats, fake codes, sensible sizes."""

from __future__ import annotations

import csv
import json
import re

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from geo_risk.crs import GB_LONLAT_BOUNDS, lonlat_to_en
from geo_risk.synth import CityManifest
from geo_risk.synth._spec import ALLOWED_BOX, SIZES
from geo_risk.synth.city import City

LAD = "X06000001"


def _features(city: CityManifest, name: str) -> list[dict]:
    data = json.loads((city.out_dir / "boundaries" / name).read_text(encoding="utf-8"))
    assert data["crs"]["properties"]["name"] == "urn:ogc:def:crs:OGC:1.3:CRS84"
    return data["features"]


def _to_en(geom: dict) -> shapely.Geometry:
    g = shape(geom)
    return shapely.transform(g, lambda c: np.column_stack(lonlat_to_en(c[:, 0], c[:, 1])))


@pytest.mark.parametrize(
    ("name", "code_field", "name_field", "prefix"),
    [
        (f"lsoa_by_lad_{LAD}.geojson", "LSOA11CD", "LSOA11NM", "X01"),
        (f"msoa_by_lad_{LAD}.geojson", "MSOA11CD", "MSOA11NM", "X02"),
        (f"wards_by_lad_{LAD}.geojson", "WD13CD", "WD13NM", "X05"),
        (f"lad_{LAD}.geojson", "LAD11CD", "LAD11NM", "X06"),
    ],
)
def test_boundary_files_use_ons_fields_and_fake_codes(
    small_city: CityManifest, name: str, code_field: str, name_field: str, prefix: str
) -> None:
    feats = _features(small_city, name)
    codes = [f["properties"][code_field] for f in feats]
    assert len(codes) == len(set(codes)) > 0
    assert all(re.fullmatch(prefix + r"\d{6}", c) for c in codes)
    assert all(f["properties"][name_field].endswith("(synthetic)") for f in feats)
    assert set(feats[0]["properties"]) == {code_field, name_field}
    for f in feats:
        g = shape(f["geometry"])
        assert g.is_valid and g.geom_type in ("Polygon", "MultiPolygon")
        lon0, lat0, lon1, lat1 = g.bounds
        gx0, gy0, gx1, gy1 = GB_LONLAT_BOUNDS
        assert gx0 <= lon0 and lon1 <= gx1 and gy0 <= lat0 and lat1 <= gy1


def test_lsoas_hold_about_1500_residents_and_tile_the_city(small_drawn: City) -> None:
    a = small_drawn.areas
    assert a.lsoa_pop.sum() == SIZES["small"].population
    assert 1_200 <= np.median(a.lsoa_pop) <= 1_800
    assert a.lsoa_pop.min() >= 600 and a.lsoa_pop.max() <= 3_500
    assert shapely.area(a.lsoa_geom).sum() == pytest.approx(a.lad_geom.area, rel=1e-6)
    # LSOAs nest in wards and MSOAs
    for w in range(len(a.ward_code)):
        members = shapely.union_all(a.lsoa_geom[a.lsoa_ward == w])
        assert members.symmetric_difference(a.ward_geom[w]).area < 1.0
    assert len(a.ward_code) >= 2 and len(a.msoa_code) >= 2


def test_lsoa_names_follow_the_ons_pattern(small_drawn: City) -> None:
    a = small_drawn.areas
    for name, msoa in zip(a.lsoa_name, a.lsoa_msoa, strict=True):
        m = re.fullmatch(r"Synthetown (\d{3})([A-Z]) \(synthetic\)", name)
        assert m, name
        assert int(m.group(1)) == msoa + 1
    assert list(a.lsoa_name) == sorted(a.lsoa_name)


def test_the_city_is_in_the_north_sea_box(small_city: CityManifest) -> None:
    x0, y0, x1, y1 = small_city.bbox
    bx0, by0, bx1, by1 = ALLOWED_BOX
    assert bx0 <= x0 < x1 <= bx1 and by0 <= y0 < y1 <= by1
    lon0, lat0, lon1, lat1 = small_city.bbox_lonlat
    assert 1.0 < lon0 < lon1 < 1.85 and 57.4 < lat0 < lat1 < 58.0


@pytest.fixture(scope="module")
def postcodes(small_city: CityManifest) -> list[list[str]]:
    with open(small_city.out_dir / "postcodes" / "Data" / "CSV" / "zz.csv", newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_postcodes_are_code_point_rows_in_a_fake_area(small_city: CityManifest, postcodes: list[list[str]]) -> None:
    raw = (small_city.out_dir / "postcodes" / "Data" / "CSV" / "zz.csv").read_bytes()
    assert raw.startswith(b'"ZZ1 1AA",10,') and raw.endswith(b"\r\n")
    header = (small_city.out_dir / "postcodes" / "Doc" / "Code-Point_Open_Column_Headers.csv").read_text()
    assert header.splitlines()[0] == "PC,PQ,EA,NO,CY,RH,LH,CC,DC,WC"
    codes = [r[0] for r in postcodes]
    assert len(codes) == len(set(codes)) >= 400
    assert all(re.fullmatch(r"ZZ\d{1,2} \d[ABD-HJLNP-UW-Z]{2}", c) for c in codes)
    assert all(len(r) == 10 and r[4] == "X92000001" and r[8] == LAD and r[9].startswith("X05") for r in postcodes)
    e = np.array([int(r[2]) for r in postcodes])
    n = np.array([int(r[3]) for r in postcodes])
    x0, y0, x1, y1 = small_city.bbox
    assert ((e >= x0) & (e <= x1) & (n >= y0) & (n <= y1)).all()


def test_schools_are_gias_rows_with_unreal_urns(small_city: CityManifest, postcodes: list[list[str]]) -> None:
    with open(small_city.out_dir / "schools" / "edubase_synthetown.csv", newline="", encoding="utf-8") as fh:
        schools = list(csv.DictReader(fh))
    assert len(schools) == SIZES["small"].schools
    for col in (
        "URN",
        "EstablishmentName",
        "PhaseOfEducation (name)",
        "TypeOfEstablishment (name)",
        "Postcode",
        "Easting",
        "Northing",
    ):
        assert col in schools[0]
    assert all(re.fullmatch(r"9\d{5}", s["URN"]) for s in schools)
    assert all(s["EstablishmentName"].endswith("(synthetic)") for s in schools)
    phases = {s["PhaseOfEducation (name)"] for s in schools}
    assert {"Primary", "Secondary"} <= phases
    known = {r[0] for r in postcodes}
    assert all(s["Postcode"] in known for s in schools)
