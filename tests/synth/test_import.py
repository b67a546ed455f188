"""Every generated file passes its importer with exactly the planted quirks, and loads into SpatiaLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo_risk import ingest
from geo_risk.synth import CityManifest


@pytest.fixture(scope="module")
def postcodes(small_city: CityManifest) -> ingest.ImportResult:
    return ingest.read_postcodes(small_city.path("postcodes"))


@pytest.mark.parametrize("kind", ["boundaries", "postcodes", "streets", "schools", "police_uk", "injuries", "network"])
def test_importer_accepts_everything_but_the_planted_quirks(
    small_city: CityManifest, postcodes: ingest.ImportResult, kind: str
) -> None:
    options = {"postcodes": postcodes} if kind in ("schools", "injuries") else {}
    result = ingest.READERS[kind](small_city.path(kind), **options)
    rep = result.report
    exp = small_city.expected_for(kind)
    assert (rep.rows_read, rep.accepted, rep.n_rejected, rep.duplicates, rep.out_of_area) == (
        exp.rows_read,
        exp.accepted,
        exp.rejected,
        exp.duplicates,
        exp.out_of_area,
    ), rep.reason_counts()
    if kind == "police_uk":
        reasons = rep.reason_counts()
        assert reasons.get("no coordinates") == exp.rejected
        assert sum(n for r, n in reasons.items() if r.startswith("duplicate Crime ID")) == exp.duplicates
        assert set(result.gdf["precision"]) == {"snap_point"}
    if kind == "streets":
        gdf = result.gdf
        assert len(gdf) == dict(small_city.counts)["street_segments"]
        assert 2_000 <= len(gdf) <= 4_500
        assert not gdf.loc[gdf["highway"] == "motorway", "walkable"].any()
        assert gdf.loc[gdf["highway"] == "footway", "walkable"].all()
    if kind == "injuries":
        assert set(result.gdf["precision"]) == {"exact", "postcode"}
        assert result.gdf["has_time"].all()
    if kind == "boundaries":
        assert set(result.gdf["level"]) == {"lsoa", "msoa", "ward", "lad"}
        assert not result.gdf["repaired"].any()


def test_whole_city_loads_into_a_fresh_spatialite_file(small_city: CityManifest, tmp_path: Path) -> None:
    from geo_risk.ingest.load import load
    from geo_risk.store.engine import create_store_engine
    from geo_risk.store.migrate import upgrade

    engine = create_store_engine(f"sqlite:///{tmp_path / 'geo-risk.sqlite'}")
    upgrade(engine)
    for kind, _ in small_city.import_paths:
        res = load(kind, small_city.path(kind), engine)
        exp = small_city.expected_for(kind)
        assert res.report.accepted == exp.accepted, kind
        if kind == "streets":
            assert res.inserted == dict(small_city.counts)["street_segments"]
        elif kind != "network":
            assert res.inserted == exp.accepted, kind
    # idempotent: a second import of the police files adds nothing
    again = load("police_uk", small_city.path("police_uk"), engine)
    assert again.inserted == 0
    engine.dispose()
