"""Briefings for the Bristol schools from the Avon & Somerset 2025 police.uk months (issue 6)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from geo_risk.briefing import brief_all
from geo_risk.briefing.render import render_html
from geo_risk.config import Policy
from geo_risk.crs import STORE_CRS

pytestmark = pytest.mark.realdata

AS_OF = pd.Timestamp("2025-05-01")


def _schools(folder):
    path = folder / "schools" / "DERIVED_bristol_schools_2014_15_geocoded_codepoint2025.csv"
    try:
        from geo_risk.ingest.schools import read_schools
    except ImportError:  # pragma: no cover - before the ingest module landed
        df = pd.read_csv(path, dtype=str).dropna(subset=["Easting", "Northing"])
        return gpd.GeoDataFrame(
            {"urn": df["URN"], "name": df["SCHNAME"], "phase": "other"},
            geometry=gpd.points_from_xy(df["Easting"].astype(float), df["Northing"].astype(float)),
            crs=STORE_CRS,
        )
    return read_schools(path, errors="reject").gdf


@pytest.fixture(scope="module")
def bristol(shared_data):
    from geo_risk.ingest.boundaries import read_boundaries
    from geo_risk.ingest.police_uk import read_police_uk

    schools = _schools(shared_data)
    areas = read_boundaries(shared_data / "boundaries" / "lsoa_by_lad_E06000023.geojson").gdf
    months = sorted((shared_data / "police_uk" / "avon_and_somerset").glob("2025-*-street.csv"))
    incidents = read_police_uk(months, errors="reject").gdf
    briefings = brief_all(schools, incidents, areas, as_of=AS_OF, policy=Policy.default())
    return {"schools": schools, "areas": areas, "incidents": incidents, "briefings": briefings}


def test_every_located_bristol_school_gets_a_briefing(bristol):
    briefings = bristol["briefings"]
    # 165 schools, 5 of whose postcodes did not match
    assert len(briefings) == len(bristol["schools"]) >= 155
    with_areas = sum(1 for b in briefings.values() if b.areas)
    assert with_areas >= 0.95 * len(briefings)
    busiest = max(briefings.values(), key=lambda b: b.to_dict("analyst")["raw"]["totals"][2])
    assert busiest.to_dict("analyst")["raw"]["totals"][2] > 500
    assert {b.tension.level for b in briefings.values()} <= set(Policy.default().briefing.levels)


def test_police_uk_months_are_counted_as_whole_months_and_said_so(bristol):
    b = next(iter(bristol["briefings"].values()))
    periods = {p.key: p for p in b.periods.all}
    assert periods["7d"].months == () and periods["7d"].dated_start is None
    assert periods["28d"].months == ("2025-04",)
    assert periods["90d"].months == ("2025-02", "2025-03", "2025-04")
    assert periods["baseline"].month_exposure == 1  # only 2025-01 of the 12 months before is in the data
    d = b.to_dict("school")
    assert d["counts"]["total"]["7d"] == "n/a"
    assert any("1 of 12 months" in n for n in d["notes"])
    assert d["trend"]["partial"][:8] == [True] * 8 and d["trend"]["partial"][-4:] == [False] * 4


def test_school_tier_of_real_briefings_is_disclosure_controlled(bristol):
    small = 0
    for b in bristol["briefings"].values():
        d = b.to_dict("school")  # refuses points, ids and people
        shown = [c for r in d["counts"]["rows"] for c in r["cells"].values()]
        shown += [a["count_12m"] for a in d["area"]["areas"]] + d["trend"]["all"]
        small += sum(s == "<5" for s in shown)
        assert not any(s.isdigit() and 1 <= int(s) <= 4 for s in shown)
    assert small > 0


def test_a_real_briefing_renders(bristol):
    b = next(iter(bristol["briefings"].values()))
    page = render_html(b, areas=bristol["areas"])
    assert b.school_name in page and "<svg" in page and "size: A4" in page
