"""The city is labelled synthetic, uses no real codes, and avoids words the project never uses."""

from __future__ import annotations

import csv
import json
import re

from geo_risk.synth import CityManifest


def test_no_forbidden_words_anywhere(small_city: CityManifest) -> None:
    for f in small_city.files:
        text = (small_city.out_dir / f.path).read_text(encoding="utf-8").lower()
        assert not re.search(r"\bgangs?\b", text), f.path
        assert "nominal" not in text, f.path


def test_every_displayed_name_is_labelled_synthetic(small_city: CityManifest) -> None:
    d = small_city.out_dir
    for f in small_city.files:
        if f.kind == "boundaries":
            for feat in json.loads((d / f.path).read_text(encoding="utf-8"))["features"]:
                names = [v for k, v in feat["properties"].items() if k.endswith("NM")]
                assert names and all(n.endswith("(synthetic)") for n in names)
    with open(d / "schools" / "edubase_synthetown.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            assert row["EstablishmentName"].endswith("(synthetic)")
            assert row["LA (name)"] == row["Town"] == "Synthetown (synthetic)"
    osm = (d / "streets" / "synthetown.osm").read_text(encoding="utf-8")
    assert '<tag k="name" v="Synthetown (synthetic)"/>' in osm
    assert "Not a real place" in osm
    readme = (d / "README.txt").read_text(encoding="utf-8")
    assert "synthetic" in readme and "Nothing here is real" in readme


def test_no_real_area_codes_or_postcode_areas(small_city: CityManifest) -> None:
    real_code = re.compile(r"\b[EWSN]0[0-9]\d{6}\b")
    for f in small_city.files:
        text = (small_city.out_dir / f.path).read_text(encoding="utf-8")
        assert not real_code.search(text), f.path
    pcs = (small_city.out_dir / "postcodes" / "Data" / "CSV" / "zz.csv").read_text()
    assert all(line.startswith('"ZZ') for line in pcs.splitlines())


def test_injury_records_carry_no_patient_identifiers(small_city: CityManifest) -> None:
    with open(small_city.out_dir / "injuries" / "ed_assaults_synthetown.csv", newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
    assert reader.fieldnames == [
        "record_id",
        "date",
        "time_band",
        "x",
        "y",
        "incident_postcode",
        "weapon",
        "age_band",
        "location_type",
    ]
    assert all(re.fullmatch(r"\d{2}:00-\d{2}:59", r["time_band"]) for r in rows)
    by_postcode = [r for r in rows if r["x"] == ""]
    assert 0 < len(by_postcode) < len(rows) / 3
    assert all(r["incident_postcode"].startswith("ZZ") for r in by_postcode)
