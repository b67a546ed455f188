"""Emergency-department injuries weigh by the weapon and age band the importer stores (issue 13)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from geo_risk.config import Policy
from geo_risk.surface.intensity import IntensitySurface
from geo_risk.surface.kernel import injury_multipliers

X0, Y0 = 358_000.0, 173_000.0
POLICY = Policy.default()


def _incidents(rows):
    return gpd.GeoDataFrame(
        {"category": [r[0] for r in rows], "weapon": [r[1] for r in rows], "age_band": [r[2] for r in rows],
         "occurred_at": pd.Timestamp("2026-10-01"), "has_time": False},
        geometry=[Point(X0 + 1000 * i, Y0) for i in range(len(rows))], crs=27700)


def test_a_young_persons_knife_injury_weighs_more_than_an_adults_assault():
    sp = POLICY.surface
    df = _incidents([
        ("ED assault injury", "knife or sharp object", "15-17"),
        ("ED assault injury", "bodily force", "35-44"),
        ("ED assault injury", " Knife or Sharp Object ", None),  # case and spaces do not matter; no age: 1
        ("ED assault injury", "a weapon nobody listed", "55+"),
        ("Violence and sexual offences", "knife or sharp object", "15-17"),  # not an injury: never weighted
    ])
    m = injury_multipliers(df, sp.injury_weapon_weights, sp.injury_age_weights)
    np.testing.assert_allclose(m, [4.0, 1.0, 2.0, 1.0, 1.0])
    assert np.all(injury_multipliers(df.drop(columns=["weapon", "age_band"]), sp.injury_weapon_weights,
                                     sp.injury_age_weights) == 1.0)


def test_the_surface_weighs_injuries_by_weapon_and_age():
    df = _incidents([("ED assault injury", "knife or sharp object", "15-17"),
                     ("ED assault injury", "bodily force", "35-44")])
    surface = IntensitySurface(POLICY.surface).fit(df, pd.Timestamp("2026-11-01"))
    knife, fists = surface.intensity_at(np.array([[X0, Y0], [X0 + 1000, Y0]]))
    assert knife == np.float64(4.0) * fists


def test_the_importer_stores_weapon_and_age_band(db, tmp_path):
    from geo_risk.ingest.load import load
    from geo_risk.store.snapshot import load_snapshot

    path = tmp_path / "ed.csv"
    path.write_text("record_id,date,time_band,x,y,weapon,age_band,location_type\n"
                    f"R1,2026-10-01,22:00-22:59,{X0:.0f},{Y0:.0f},knife or sharp object,15-17,street\n"
                    f"R2,2026-10-02,23:00-23:59,{X0 + 50:.0f},{Y0:.0f},,,pub or club\n")
    load("injuries", [path], db)
    incidents = load_snapshot(db).incidents.sort_values("external_id")
    assert incidents["weapon"].iloc[0] == "knife or sharp object" and pd.isna(incidents["weapon"].iloc[1])
    assert incidents["age_band"].iloc[0] == "15-17" and pd.isna(incidents["age_band"].iloc[1])


def test_the_area_forecast_counts_injuries_as_targets_by_weapon_and_age():
    """Placement and route bands rank the area forecast: a young person's knife injury must count in it,
    more than an adult's assault, as in the kernel surface."""
    from geo_risk.surface.forecast import AreaForecast

    rows = [("ED assault injury", "knife or sharp object", "15-17"), ("ED assault injury", "bodily force", "35-44"),
            ("Partner incident", None, None), ("Shoplifting", None, None)]
    df = _incidents(rows)
    xy = np.array([[X0 + 1000 * i, Y0] for i in range(len(rows))])
    forecast = AreaForecast(POLICY.surface, cell_m=250.0).fit(df, "2026-11-01")
    history = forecast.history_
    by_place = dict(zip(map(tuple, np.round(history.xy)), history.target, strict=True))
    assert by_place[(X0, Y0)] == 4.0 * by_place[(X0 + 1000, Y0)] > 0  # knife, 15-17 against bodily force, 35-44
    assert by_place[(X0 + 2000, Y0)] > 0  # a partner's incident is a target
    assert by_place[(X0 + 3000, Y0)] == 0  # shoplifting only informs the features
    f = forecast.forecast_at(xy)
    assert f[0] > f[1] > 0
