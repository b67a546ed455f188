"""Housing and transport officers see bands and plain words, never scores or risk numbers.

A user who probes many addresses or walks could triangulate where an adversary spends time
from continuous numbers. The checks here give every assessment distinctive "canary" numbers
(a score, factor values, walk and segment risks) and look for them, and for the keys that
carried them, in everything those officers get: the pages, the map layers, the JSON API and
saved decision records -- including records saved when those tiers still carried scores.
The analyst keeps every number.
"""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
from sqlalchemy import select

from geo_risk.store import session_scope
from geo_risk.store.models import Assessment
from tests._records import save_as_version_1, upgrade_as_the_migration_does
from tests._tree import keys, numbers
from web_seed import PLACEMENT_DECISION, ROUTE_DECISION

BANDS = {"Low", "Medium", "High", "Very high", "Cannot assess"}
# outcome (consult the analyst, cannot assess), flags ("verify by" a date) and the two component bands are
# coarse words: no number, place, person or distance
HOUSING_PROPS = {"rank", "label", "band", "lifted_by", "factors", "reasons", "confidence", "freshness",
                 "policy_version", "inputs_hash", "outcome", "flags", "area_band", "child_band"}
ROUTE_PROPS = {"role", "length_m", "walk_minutes", "band", "detour_m", "detour_ratio", "riskiest_street", "segments",
               "near"}
NUMBER_KEYS = {"score", "value", "raw", "weight", "contribution", "threshold", "nearest_adversary_m",
               "nearest_exploiter_m", "mean_exposure", "peak_exposure", "exposure", "alpha", "mean_risk", "peak_risk"}
# distinctive numbers no honest output contains
SCORE, VALUE, RAW, CONTRIBUTION = 87.65, 0.4321, 12.3456, 43.21
WALK_SCORE, MEAN_EXP, PEAK_EXP, EXPOSURE, ALPHA, SEG_MEAN, SEG_PEAK = 76.54, 0.6543, 0.7654, 123.4567, 3.21, 0.5432, 0.8765
CANARIES = (SCORE, VALUE, RAW, CONTRIBUTION, WALK_SCORE, MEAN_EXP, PEAK_EXP, EXPOSURE, ALPHA, SEG_MEAN, SEG_PEAK)
CANARY_TEXT = ("87.6", "87.7", ">88<", "0.4321", "12.3456", "43.21", "76.5", "0.6543", "0.7654", "123.4567",
               "0.5432", "0.8765")
PLACEMENT = {"postcodes": "ZZ1 1AA\nZZ1 1AB\nZZ1 1AC\nZZ8 8ZZ"}  # the last: the far_postcode fixture's
ROUTE = {"home_postcode": "ZZ1 1AA", "school_urn": "100001"}


@pytest.fixture
def canaries(monkeypatch):
    """Every placement and route check carries the canary numbers (bands and ranks unchanged)."""
    import geo_risk.routing
    import geo_risk.scoring

    real_placement, real_route = geo_risk.scoring.rank_placements, geo_risk.routing.assess_route

    def placement_check(*args, **kwargs):
        ranking = real_placement(*args, **kwargs)
        candidates = tuple(
            dataclasses.replace(c, assessment=dataclasses.replace(
                c.assessment, score=SCORE,
                factors=tuple(dataclasses.replace(f, value=VALUE, raw=RAW, contribution=CONTRIBUTION)
                              for f in c.assessment.factors)))
            for c in ranking.candidates)
        return dataclasses.replace(ranking, candidates=candidates)

    def route_check(*args, **kwargs):
        result = real_route(*args, **kwargs)
        routes = tuple(
            dataclasses.replace(r, score=WALK_SCORE, mean_exposure=MEAN_EXP, peak_exposure=PEAK_EXP, exposure=EXPOSURE,
                                alpha=ALPHA, segments=tuple(dataclasses.replace(s, mean_risk=SEG_MEAN, peak_risk=SEG_PEAK)
                                                            for s in r.segments))
            for r in result.routes)
        return dataclasses.replace(result, routes=routes)

    monkeypatch.setattr(geo_risk.scoring, "rank_placements", placement_check)
    monkeypatch.setattr(geo_risk.routing, "assess_route", route_check)


def _text(resp) -> str:
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


def _layers(html: str) -> dict[str, dict]:
    """The page's GeoJSON map layers by name."""
    found = re.findall(r"L\.geoJSON\((\{.*?\}), \{\n.*?window\.geoRiskLayers\[(\"[^\"]*\")\]", html, re.DOTALL)
    return {json.loads(name): json.loads(data) for data, name in found}


def _without_scripts(html: str) -> str:
    return re.sub(r"<script\b.*?</script>", "", html, flags=re.DOTALL)






def assert_no_numbers(data) -> None:
    """No key that carries a continuous number, and no canary number, anywhere in ``data``."""
    found = keys(data, skip=("_style",)) & NUMBER_KEYS  # a map style's keys, such as a line's weight, aside
    assert not found, found
    canaries = {round(n, 6) for n in numbers(data, skip=("geometry", "_style", "point", "joined"))} & set(CANARIES)
    assert not canaries, canaries


def assert_page_shows_no_numbers(html: str) -> None:
    # the page and its map, but the site-wide footer (its general advisory sentence is not ours)
    assert "score" not in re.sub(r"<footer>.*?</footer>", "", html, flags=re.DOTALL).lower()
    visible = _without_scripts(html)
    for text in CANARY_TEXT:
        assert text not in visible, text
    for layer in _layers(html).values():
        assert_no_numbers(layer)


def _stored(engine, aid: int | None = None) -> tuple[int, dict]:
    with session_scope(engine) as s:
        rows = s.execute(select(Assessment).order_by(Assessment.id)).scalars().all()
        row = rows[-1] if aid is None else next(r for r in rows if r.id == aid)
        result = row.result
        return row.id, json.loads(result) if isinstance(result, str) else dict(result)


def test_housing_result_page_and_map_show_bands_not_scores(signed_in, info, canaries, far_postcode):
    hana = signed_in("hana")
    rid = info.referrals["hana"]
    hana.get(f"/housing/referrals/{rid}")
    html = _text(hana.post(f"/housing/referrals/{rid}/check", PLACEMENT))
    assert_page_shows_no_numbers(html)
    head = re.search(r'<table id="candidates">\s*<thead>(.*?)</thead>', html, re.DOTALL).group(1)
    assert re.findall(r"<th>([^<]*)</th>", head) == ["Rank", "Address", "Band", "Why", "Confidence"]
    assert "Bands are advisory" in html
    features = _layers(html)["candidates"]["features"]
    assert len(features) == 4
    for f in features:
        props = f["properties"]
        assert set(props) == HOUSING_PROPS | {"_tip", "_style", "_label"}  # _label: the rank on its marker
        assert props["band"] in BANDS
        assert re.fullmatch(r"\d+\. .+: (Low|Medium|High|Very high|Cannot assess) \(advisory\)", props["_tip"])
        assert all(set(factor) == {"name", "label"} for factor in props["factors"])
    assert [f["properties"]["rank"] for f in features] == [1, 2, 3, 4]


def test_housing_api_gives_bands_ranks_and_factor_names_only(signed_in, info, canaries, far_postcode):
    hana = signed_in("hana")
    resp = hana.client.post(f"/api/v1/referrals/{info.referrals['hana']}/placement",
                            json={"postcodes": ["ZZ1 1AA", "ZZ1 1AB", far_postcode]},
                            headers={"X-CSRFToken": hana.token})
    fc = resp.get_json()
    assert resp.status_code == 200 and fc["order"] == "safest first"
    assert_no_numbers(fc)
    assert "score" not in resp.get_data(as_text=True).lower()
    for rank, f in enumerate(fc["features"], start=1):
        props = f["properties"]
        assert set(props) == HOUSING_PROPS  # a new key here is a new thing housing officers see: review it
        assert props["rank"] == rank and props["band"] in BANDS
        names = sorted(factor["name"] for factor in props["factors"])
        if props["band"] == "Cannot assess":  # the far postcode: outside the test city's data, nothing scored
            assert names == [] and props["outcome"] == "cannot_assess"
        else:
            assert names == ["area_intensity", "conflict_exposure", "exploitation_exposure",
                             "exploitation_site_proximity"]
        assert props["policy_version"] == fc["policy_version"] and len(props["inputs_hash"]) == 64


def test_housing_decision_record_stores_and_shows_no_score(signed_in, info, seeded, canaries, far_postcode):
    engine = seeded[0]
    hana = signed_in("hana")
    rid = info.referrals["hana"]
    hana.get(f"/housing/referrals/{rid}")
    saved = hana.post(f"/housing/referrals/{rid}/decisions", {**PLACEMENT, **PLACEMENT_DECISION})
    assert saved.status_code == 303
    _aid, record = _stored(engine)
    assert_no_numbers(record)
    html = _text(hana.get(saved.headers["Location"]))
    assert_page_shows_no_numbers(html)
    assert len(re.findall(r'<tr data-band="([^"]+)">', html)) == 4


def test_an_old_housing_decision_record_with_scores_shows_none(signed_in, info, seeded, far_postcode):
    """Records saved while the housing tier carried the score and factor values show neither."""
    engine = seeded[0]
    hana = signed_in("hana")
    rid = info.referrals["hana"]
    hana.get(f"/housing/referrals/{rid}")
    hana.post(f"/housing/referrals/{rid}/decisions", {**PLACEMENT, **PLACEMENT_DECISION})
    aid, record = _stored(engine)
    for c in record["candidates"]:
        c["assessment"]["score"] = SCORE
        c["assessment"]["factors"] = [{**f, "value": VALUE, "raw": RAW, "weight": 0.35, "contribution": CONTRIBUTION,
                                       "threshold": None, "lifts_band": False} for f in c["assessment"]["factors"]]
        # the area reason as it was worded then, with the percentile
        c["assessment"]["reasons"] = ["Recorded incidents around this address: busier than 87% of the area covered."]
    save_as_version_1(engine, aid, record)
    assert hana.get(f"/housing/decisions/{aid}").status_code == 404  # not shown until it is upgraded
    upgrade_as_the_migration_does(engine, aid)
    html = _text(hana.get(f"/housing/decisions/{aid}"))
    assert_page_shows_no_numbers(html)
    assert len(_layers(html)["candidates"]["features"]) == 4
    candidates = _layers(html)["candidates"]["features"]
    assert "busier than 87%" not in html and not any("%" in r for f in candidates for r in f["properties"]["reasons"])
    assert "Recorded incidents around this address: among the busiest quarter of the area covered." in html


def test_the_analyst_still_sees_the_scores(signed_in, info, canaries):
    ana = signed_in("ana")
    pid = info.people["YP-0001"]
    ana.get(f"/analyst/people/{pid}")
    html = _text(ana.post(f"/analyst/people/{pid}/placement", {"postcodes": "ZZ1 1AA\nZZ1 1AB", "points": ""}))
    assert "<th>Score (0-100)</th>" in html and html.count("<td>88</td>") == 2
    assert "Scores are advisory" in html


# --------------------------------------------------------------------------- transport


def test_transport_result_page_and_map_show_bands_not_risk_numbers(signed_in, info, canaries):
    tariq = signed_in("tariq")
    rid = info.referrals["tariq"]
    tariq.get(f"/transport/referrals/{rid}")
    html = _text(tariq.post(f"/transport/referrals/{rid}/check", ROUTE))
    assert_page_shows_no_numbers(html)
    assert "Bands are advisory" in html
    head = re.search(r'<table id="routes">\s*<thead>(.*?)</thead>', html, re.DOTALL).group(1)
    assert re.findall(r"<th>([^<]*)</th>", head) == ["Walk", "Length", "Minutes", "Band", "Detour", "Riskiest street",
                                                      "Passes near"]
    segments = _layers(html)["segments"]["features"]
    assert segments
    for f in segments:
        assert set(f["properties"]) == {"role", "band", "_tip", "_style"}
        assert f["properties"]["band"] in BANDS
        assert re.fullmatch(r".+: (Low|Medium|High|Very high) \(.+\)", f["properties"]["_tip"])


def test_transport_api_gives_bands_per_segment_and_no_risk_numbers(signed_in, info, canaries):
    tariq = signed_in("tariq")
    resp = tariq.client.post(f"/api/v1/referrals/{info.referrals['tariq']}/route", json=ROUTE,
                             headers={"X-CSRFToken": tariq.token})
    assert resp.status_code == 200
    fc = resp.get_json()
    assert_no_numbers(fc)
    assert "score" not in resp.get_data(as_text=True).lower()
    roles = [f["properties"]["role"] for f in fc["features"]]
    assert roles[0] == "shortest"
    for f in fc["features"]:
        props = f["properties"]
        assert set(props) == ROUTE_PROPS  # a new key here is a new thing transport officers see: review it
        assert props["band"] in BANDS and props["length_m"] > 0 and props["walk_minutes"] > 0
        assert props["segments"] and all(set(s) == {"street", "highway", "length_m", "band"} and s["band"] in BANDS
                                         for s in props["segments"])
        assert all(n["within_m"] % 100 == 0 for n in props["near"])


def test_transport_decision_record_stores_and_shows_no_risk_numbers(signed_in, info, seeded, canaries):
    engine = seeded[0]
    tariq = signed_in("tariq")
    rid = info.referrals["tariq"]
    tariq.get(f"/transport/referrals/{rid}")
    saved = tariq.post(f"/transport/referrals/{rid}/decisions", {**ROUTE, **ROUTE_DECISION})
    assert saved.status_code == 303
    _aid, record = _stored(engine)
    assert record["tier"] == "transport"
    assert_no_numbers(record)
    html = _text(tariq.get(saved.headers["Location"]))
    assert_page_shows_no_numbers(html)
    assert re.findall(r'<tr data-role="([^"]+)">', html)[0] == "shortest"


def test_an_old_transport_decision_record_with_risk_numbers_shows_none(signed_in, info, seeded):
    """Records saved while the transport tier carried scores, exposures and segment risks show none."""
    engine = seeded[0]
    tariq = signed_in("tariq")
    rid = info.referrals["tariq"]
    tariq.get(f"/transport/referrals/{rid}")
    tariq.post(f"/transport/referrals/{rid}/decisions", {**ROUTE, **ROUTE_DECISION})
    aid, record = _stored(engine)
    for r in record["routes"]:
        r.update(score=WALK_SCORE, mean_exposure=MEAN_EXP, peak_exposure=PEAK_EXP, exposure=EXPOSURE, alpha=ALPHA)
        for s in r["segments"]:
            s.update(mean_risk=SEG_MEAN, peak_risk=SEG_PEAK)
    save_as_version_1(engine, aid, record)
    upgrade_as_the_migration_does(engine, aid)
    html = _text(tariq.get(f"/transport/decisions/{aid}"))
    assert_page_shows_no_numbers(html)
    assert _layers(html)["segments"]["features"]
