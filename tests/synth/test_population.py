"""Population denominators: the fairness format, one LSOA each, labels matching the case records."""

from __future__ import annotations

import csv

import numpy as np

from geo_risk.fairness import read_population_csv
from geo_risk.synth import CityManifest
from geo_risk.synth._spec import CENSUS_ETHNICITY
from geo_risk.synth.city import City


def test_population_file_reads_and_covers_every_lsoa(small_city: CityManifest, small_drawn: City) -> None:
    df = read_population_csv(small_city.file("population"))
    assert set(df["area_code"]) == set(small_drawn.areas.lsoa_code)
    eth = df[df["dimension"] == "ethnicity"]
    sex = df[df["dimension"] == "sex"]
    assert set(eth["group"]) == set(CENSUS_ETHNICITY)
    assert set(sex["group"]) == {"Female", "Male"}
    by_area_eth = eth.groupby("area_code")["count"].sum()
    by_area_sex = sex.groupby("area_code")["count"].sum()
    assert (by_area_eth == by_area_sex).all()
    pop = dict(zip(small_drawn.areas.lsoa_code, small_drawn.areas.lsoa_pop, strict=True))
    share = by_area_eth / np.array([pop[a] for a in by_area_eth.index])
    assert ((share > 0.15) & (share < 0.27)).all()


def test_case_records_use_the_same_labels_and_areas(small_city: CityManifest) -> None:
    df = read_population_csv(small_city.file("population"))
    with open(small_city.out_dir / "network" / "people.csv", newline="", encoding="utf-8") as fh:
        people = [p for p in csv.DictReader(fh) if p["is_child"] == "true"]
    groups = set(df.loc[df["dimension"] == "ethnicity", "group"])
    assert {p["ethnicity"] for p in people} - {""} <= groups
    assert {p["home_area_code"] for p in people} <= set(df["area_code"])
