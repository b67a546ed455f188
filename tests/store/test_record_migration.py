"""Migration 0007 upgrades decision records saved before they had a schema version, once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from geo_risk.store.engine import create_store_engine
from geo_risk.store.migrate import upgrade
from tests._tree import keys

OLD_PLACEMENT = {
    "child": "YP-1", "as_of": "2026-11-20T12:00:00", "policy_version": "p", "order": "safest first",
    "inputs": {"postcodes": ["ZZ1 1AA"], "points": ""},
    "candidates": [{"rank": 1, "label": "ZZ1 1AA", "assessment": {
        "kind": "placement", "child": "YP-1", "point": [600250.0, 860250.0], "as_of": "2026-11-20T12:00:00",
        "band": "Medium", "score": 43.2, "lifted_by": [], "nearest_adversary_m": 321.5,
        "factors": [{"name": "area_intensity", "label": "Area intensity", "value": 0.87, "raw": 87.0,
                     "weight": 0.35, "contribution": 30.4, "threshold": None, "lifts_band": False}],
        "reasons": ["Recorded incidents around this address: busier than 87% of the area covered."],
        "reasons_analyst": ["area percentile 87.0"], "evidence": ["P1"],
        "freshness": {"latest_incident": None, "latest_link": None, "latest_place": None},
        "confidence": "high", "policy_version": "p", "inputs_hash": "h", "advisory": True}}],
}
OLD_ROUTE = {
    "kind": "route", "child": "YP-1", "as_of": "2026-11-20T12:00:00", "tier": "transport", "crs": "EPSG:27700",
    "origin": {"label": "home"}, "destination": {"label": "school"}, "detour_cap_m": 500.0,
    "recommendation": {"text": "Does not meet the bar", "reasons": []}, "policy_version": "p", "policy_digest": "d",
    "advisory": "Advisory only. School holidays were not given: every weekday counted as a school day.",
    "inputs": {"home_postcode": "ZZ1 1AA", "school_urn": "100001"}, "map_segment_ids": [[1, 2]],
    "routes": [{"role": "shortest", "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
                "length_m": 100.0, "walk_minutes": 1.3, "band": "Low", "detour_m": 0.0, "detour_ratio": 1.0,
                "riskiest_street": "Row 1 Road", "score": 12.5, "mean_exposure": 0.1, "peak_exposure": 0.2,
                "exposure": 10.0, "alpha": 3.0,
                "segments": [{"street": "Row 1 Road", "highway": "residential", "length_m": 100.0, "band": "Low",
                              "segment_id": 1, "mean_risk": 0.1, "peak_risk": 0.2}],
                "near": [{"street": "Row 1 Road", "kind": "adversary_activity", "within_m": 200,
                          "text": "segment near Row 1 Road passes within 200 m of ...", "distance_m": 151.2,
                          "segment_ids": [1]}]}],
}


def test_old_records_are_upgraded_once_and_new_ones_are_left_alone(tmp_path):
    import json

    engine = create_store_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    upgrade(engine, "0006")
    with engine.begin() as conn:
        for kind, result in (("placement", OLD_PLACEMENT), ("route", OLD_ROUTE)):
            conn.execute(text("INSERT INTO assessment (kind, child_pseudonym, inputs_hash, policy_version, result, "
                              "created_at) VALUES (:k, 'YP-1', 'h', 'p', :r, :at)"),
                         {"k": kind, "r": json.dumps(result), "at": dt.datetime(2026, 11, 20)})
    upgrade(engine)
    with engine.connect() as conn:
        rows = {k: (json.loads(r) if isinstance(r, str) else r, v) for k, r, v in conn.execute(
            text("SELECT kind, result, schema_version FROM assessment"))}
    placement, version = rows["placement"]
    assert version == 2
    a = placement["candidates"][0]["assessment"]
    assert not keys(placement) & {"score", "value", "raw", "weight", "contribution", "nearest_adversary_m",
                                  "reasons_analyst", "evidence"}
    assert a["reasons"] == ["Recorded incidents around this address: among the busiest quarter of the area covered."]
    assert placement["inputs"] == OLD_PLACEMENT["inputs"] and a["band"] == "Medium"
    route, version = rows["route"]
    assert version == 2
    assert not keys(route) & {"score", "mean_exposure", "peak_exposure", "exposure", "alpha", "mean_risk",
                              "peak_risk", "distance_m", "segment_id", "segment_ids"}
    assert route["advisory"] == "Advisory only."
    assert route["notes"] == ["School holidays were not given: every weekday counted as a school day."]
    assert route["map_segment_ids"] == [[1, 2]] and route["routes"][0]["near"][0]["within_m"] == 200
    engine.dispose()
