"""ONS boundary importer (issue 2)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import MultiPolygon, Polygon, box

from geo_risk.errors import CRSError, ValidationError
from geo_risk.ingest.boundaries import detect_fields, read_boundaries


def _feature(props: dict, coords: list) -> dict:
    return {"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": [coords]}}


def _write(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


SQUARE = [[-2.60, 51.45], [-2.59, 51.45], [-2.59, 51.46], [-2.60, 51.46], [-2.60, 51.45]]
BOWTIE = [[-2.60, 51.45], [-2.59, 51.46], [-2.59, 51.45], [-2.60, 51.46], [-2.60, 51.45]]  # self-intersecting


def test_detect_fields() -> None:
    assert detect_fields(["LSOA11CD", "LSOA11NM", "geometry"])[:4] == ("LSOA11CD", "LSOA11NM", "lsoa", "2011")
    assert detect_fields(["OA11CD", "LAD11CD"]) == ("OA11CD", None, "oa", "2011", {"lad": "LAD11CD"})
    assert detect_fields(["WD13CD", "WD13CDO", "WD13NM"])[:4] == ("WD13CD", "WD13NM", "ward", "2013")
    assert detect_fields(["lsoa21cd", "lsoa21nm"])[2:4] == ("lsoa", "2021")
    assert detect_fields(["LAD24CD", "LAD24NM"])[2:4] == ("lad", "2024")
    with pytest.raises(ValidationError, match="no ONS code field.*code_field="):
        detect_fields(["id", "name"])


def test_geojson_lonlat_repaired_and_reprojected(tmp_path: Path) -> None:
    f = _write(tmp_path / "lsoa_by_lad_E06000023.geojson", [
        _feature({"LSOA21CD": "E01000001", "LSOA21NM": "Bristol 001A"}, SQUARE),
        _feature({"LSOA21CD": "E01000002", "LSOA21NM": "Bristol 001B"}, BOWTIE),
        _feature({"LSOA21CD": "E01000001", "LSOA21NM": "again"}, SQUARE),
        _feature({"LSOA21CD": "", "LSOA21NM": "no code"}, SQUARE),
    ])
    r = read_boundaries(f)
    g = r.gdf
    assert g.crs.to_epsg() == 27700
    assert list(g["code"]) == ["E01000001", "E01000002"]
    assert set(g["level"]) == {"lsoa"} and set(g["version"]) == {"2021"}
    assert (g.geom_type == "MultiPolygon").all() and g.is_valid.all()
    assert g.set_index("code").loc["E01000002", "repaired"]
    assert g.set_index("code").loc["E01000002"].geometry.area > 0  # polygonal parts kept
    assert set(g["lad_code"]) == {"E06000023"}  # from the *_by_lad file name
    assert 355_000 < g.geometry.iloc[0].centroid.x < 365_000
    assert (r.report.accepted, r.report.duplicates, r.report.n_rejected) == (2, 1, 1)
    assert r.report.rejected[0][1:] == (4, "no code in field LSOA21CD")


def test_oa_file_uses_code_as_name_and_keeps_lad(tmp_path: Path) -> None:
    f = _write(tmp_path / "oa.geojson", [_feature({"OA11CD": "E00000001", "LAD11CD": "E06000022"}, SQUARE)])
    g = read_boundaries(f).gdf
    assert g.loc[0, ["code", "name", "level", "lad_code"]].tolist() == ["E00000001", "E00000001", "oa", "E06000022"]


def test_area_of_interest(tmp_path: Path) -> None:
    far = [[-1.26, 51.75], [-1.25, 51.75], [-1.25, 51.76], [-1.26, 51.76], [-1.26, 51.75]]  # Oxford
    f = _write(tmp_path / "b.geojson", [_feature({"LSOA11CD": "E1"}, SQUARE), _feature({"LSOA11CD": "E2"}, far)])
    r = read_boundaries(f, area=box(350_000, 165_000, 370_000, 182_000))
    assert list(r.gdf["code"]) == ["E1"]
    assert r.report.reason_counts("out_of_area") == {"outside the area of interest": 1}


def test_shapefile_without_crs_is_refused_unless_labelled(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"MSOA11CD": ["E02000001"], "MSOA11NM": ["x 001"]},
                           geometry=[box(358_000, 172_000, 359_000, 173_000)], crs=None)
    shp = tmp_path / "msoa.shp"
    with pytest.warns(UserWarning, match="crs"):
        gdf.to_file(shp)
    with pytest.raises(CRSError, match=r"msoa\.shp has no coordinate reference system.*crs='EPSG:27700'"):
        read_boundaries(shp)
    g = read_boundaries(shp, crs="EPSG:27700").gdf
    assert g.loc[0, "level"] == "msoa" and g.geometry.iloc[0].area == pytest.approx(1_000_000)


def test_geopackage_in_27700(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"WD24CD": ["E05000001"], "WD24NM": ["Ward"]},
                           geometry=[MultiPolygon([box(358_000, 172_000, 359_000, 173_000)])], crs=27700)
    gpkg = tmp_path / "wards.gpkg"
    gdf.to_file(gpkg, driver="GPKG")
    g = read_boundaries(gpkg).gdf
    assert g.loc[0, ["code", "level", "version"]].tolist() == ["E05000001", "ward", "2024"]


def test_lines_are_rejected_not_polygons(tmp_path: Path) -> None:
    f = tmp_path / "l.geojson"
    f.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"LSOA11CD": "E1"},
         "geometry": {"type": "LineString", "coordinates": SQUARE}},
        _feature({"LSOA11CD": "E2"}, SQUARE)]}))
    r = read_boundaries(f)
    assert list(r.gdf["code"]) == ["E2"]
    assert "not a polygon (LineString)" in r.report.rejected[0][2]


def test_unreadable_file(tmp_path: Path) -> None:
    f = tmp_path / "broken.geojson"
    f.write_text('{"type": "FeatureCollection", "features": [')
    with pytest.raises(ValidationError, match=r"broken\.geojson cannot be read as a boundary file"):
        read_boundaries(f)


def test_polygon_helper_keeps_only_polygonal_parts() -> None:
    from shapely.geometry import GeometryCollection, LineString

    from geo_risk.ingest.boundaries import polygonal

    gc = GeometryCollection([Polygon(box(0, 0, 1, 1)), LineString([(0, 0), (2, 2)])])
    assert polygonal(gc).equals(MultiPolygon([box(0, 0, 1, 1)]))
    assert polygonal(LineString([(0, 0), (1, 1)])) is None


# measured independently: len(gpd.read_file(f)) per level; (~gdf.is_valid).sum() over all files = 6
@pytest.mark.realdata
def test_real_boundaries(shared_data: Path) -> None:
    r = read_boundaries(shared_data / "boundaries")
    assert len(r.report.files) == 18
    counts = r.gdf.groupby(["level", "version"]).size().to_dict()
    assert counts == {("lsoa", "2011"): 761, ("msoa", "2011"): 140, ("oa", "2011"): 3490, ("ward", "2013"): 167}
    assert r.report.accepted == r.report.rows_read == 4558
    assert int(r.gdf["repaired"].sum()) == 6
    assert r.gdf.is_valid.all() and (r.gdf.geom_type == "MultiPolygon").all()
    bristol = r.gdf[(r.gdf["level"] == "lsoa") & (r.gdf["lad_code"] == "E06000023")]
    assert len(bristol) == 263 and bristol["name"].str.startswith("Bristol").all()


def _metres_labelled_degrees(path: Path) -> Path:
    """A boundary file whose coordinates are British National Grid metres but whose CRS (GeoJSON's) is degrees."""
    feats = [{"type": "Feature", "properties": {"LSOA21CD": f"E0100000{i}", "LSOA21NM": f"Area {i}"},
              "geometry": {"type": "Polygon", "coordinates": [[[358000 + 1000 * i, 172000], [359000 + 1000 * i, 172000],
                                                               [359000 + 1000 * i, 173000], [358000 + 1000 * i, 173000],
                                                               [358000 + 1000 * i, 172000]]]}}
             for i in range(3)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return path


def test_metres_in_a_degrees_file_are_rejected_with_the_likely_cause_and_no_warning(tmp_path: Path) -> None:
    import warnings

    f = _metres_labelled_degrees(tmp_path / "bng-as-wgs84.geojson")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = read_boundaries(f)
    assert [str(w.message) for w in caught] == []
    assert len(r.gdf) == 0 and r.report.files[0].rejected == 3
    reasons = {reason for _f, _line, reason in r.report.rejected}
    assert reasons == {("coordinates out of range for EPSG:4326: is the file in British National Grid? "
                       "Label it EPSG:27700 (or re-export it with its true CRS)")}
