"""School briefings: levels, rate ratios, conflicts, notices, tiers and the batch (issue 6)."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geo_risk.briefing import Acknowledgement, Notice, TensionOverride, brief_all, brief_school
from geo_risk.briefing.disclosure import FORBIDDEN_SCHOOL_KEYS
from geo_risk.config import Policy
from geo_risk.errors import CRSError, NotFound, ValidationError
from tests.briefing import _world as w

POLICY = Policy.default()
LEVELS = list(POLICY.briefing.levels)


@pytest.fixture(scope="module")
def world():
    schools = w.schools()
    areas = w.areas()
    groups, links, places, people = w.network()
    return {"schools": schools, "areas": areas, "groups": groups, "links": links, "places": places, "people": people}


def _brief(world, incidents, **kwargs):
    kwargs.setdefault("links", world["links"])
    kwargs.setdefault("places", world["places"])
    kwargs.setdefault("groups", world["groups"])
    return brief_all(world["schools"], incidents, world["areas"], as_of=w.AS_OF, policy=POLICY, **kwargs)


def _walk_numbers(node, out):
    if isinstance(node, dict):
        for v in node.values():
            _walk_numbers(v, out)
    elif isinstance(node, list):
        for v in node:
            _walk_numbers(v, out)
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        out.append(float(node))
    return out


def _walk_keys(node, out):
    if isinstance(node, dict):
        for k, v in node.items():
            out.append(k)
            _walk_keys(v, out)
    elif isinstance(node, list):
        for v in node:
            _walk_keys(v, out)
    return out


def test_a_burst_of_serious_incidents_raises_the_level_and_the_rate_ratio(world):
    school = world["schools"].geometry.iloc[0]
    calm = _brief(world, w.incidents(), links=None, places=None)["900001"]
    burst = _brief(world, w.incidents(burst_near=school, burst=14), links=None, places=None)["900001"]
    assert LEVELS.index(burst.tension.level) > LEVELS.index(calm.tension.level)
    # its 7 injuries score once, in the injury rule (2 points); its 7 dated robberies count in
    # the 28-day serious rule beside the month's police.uk records, within their usual
    # variation. Before policy 2026.11-5 the injuries scored again as serious incidents and
    # the robberies again as a 7-day cluster (a record type no importer produces): High.
    assert burst.tension.points == 2
    assert burst.tension.level == "Elevated"
    assert any(r.startswith("several assault injuries") for r in burst.tension.reasons)

    def total_rr(b, window):
        return next(c for c in b.rates if c.row is None and c.period == window)

    for window in ("7d", "28d"):
        assert total_rr(burst, window).ratio > total_rr(calm, window).ratio
    # the burst is significant: the lower bound of the 7-day rate ratio is above 1
    assert total_rr(burst, "7d").low > 1
    # and the other schools, far from it, are not lifted by it
    other_calm = _brief(world, w.incidents(), links=None, places=None)["900002"]
    other_burst = _brief(world, w.incidents(burst_near=school, burst=14), links=None, places=None)["900002"]
    assert other_burst.tension.level == other_calm.tension.level


def test_a_conflict_overlapping_the_area_appears_as_peer_groups_without_any_child(world):
    briefings = _brief(world, w.incidents())
    near = briefings["900001"]
    assert [c.parties for c in near.conflicts] == [("peer group 3", "peer group 7")]
    conflict = near.conflicts[0]
    assert conflict.evidence_age_days == 20 and conflict.recency == "in the last month"
    # the member's hangout puts peer group 7 near the school; the home is never used
    assert [p.kind for p in conflict.places] == ["hangout", "hangout"]
    pseudonyms = set(world["people"]["pseudonym"])
    for tier in ("school", "analyst"):
        text = near.to_json(tier)
        assert "peer group 7" in text
        for pseudonym in pseudonyms:
            assert pseudonym not in text
        assert "YP-" not in text
    # a school far from every place of either group sees no conflict
    assert briefings["900002"].conflicts == ()


def test_an_expired_conflict_link_is_not_shown(world):
    groups, links, places, _ = w.network(expired=True)
    b = _brief(world, w.incidents(), links=links, places=places, groups=groups)["900001"]
    assert b.conflicts == ()


def _notice(**kwargs):
    base = {
        "notice_id": "N1",
        "title": "Disorder near the park",
        "what_happened": "A fight between young people near the park on Friday evening.",
        "what_to_do": "Remind pupils to travel home in groups; staff presence at the gate.",
        "contact": "Community safety team, 0100 000 000",
        "valid_from": w.AS_OF - pd.Timedelta(days=3),
        "valid_to": w.AS_OF + pd.Timedelta(days=7),
        "area": box(w.X0 + 600, w.Y0 + 600, w.X0 + 900, w.Y0 + 900),
    }
    base.update(kwargs)
    return Notice(**base)


def test_live_notices_appear_for_their_area_and_expired_ones_disappear(world):
    live = _notice(acknowledgements=(Acknowledgement("900001", w.AS_OF - pd.Timedelta(days=1)),))
    expired = _notice(notice_id="N2", title="Old notice", valid_from=w.AS_OF - pd.Timedelta(days=30),
                      valid_to=w.AS_OF - pd.Timedelta(days=1))
    by_code = _notice(notice_id="N3", title="Ward notice", area=None, area_codes=("ZW000001",))
    by_urn = _notice(notice_id="N4", title="For one school", area=None, school_urns=("900002",))
    briefings = _brief(world, w.incidents(), notices=[live, expired, by_code, by_urn])
    first = briefings["900001"].to_dict("school")
    assert [n["notice_id"] for n in first["notices"]] == ["N1", "N3"]
    assert first["notices"][0]["acknowledged"] is True
    assert first["notices"][1]["acknowledged"] is False
    assert "a live post-incident notice covers this area" in first["tension"]["reasons"]
    second = briefings["900002"].to_dict("school")
    assert [n["notice_id"] for n in second["notices"]] == ["N4"]
    # a week later the live one has expired too and disappears
    later = brief_all(world["schools"], w.incidents(), world["areas"], as_of=w.AS_OF + pd.Timedelta(days=8),
                      policy=POLICY, notices=[live, expired])
    assert later["900001"].notices == ()


def test_a_notice_needs_its_text_a_window_and_a_place():
    with pytest.raises(ValidationError, match="valid_to must be after valid_from.*give an area"):
        Notice("N9", "t", "x", "y", "z", valid_from="2025-05-02", valid_to="2025-05-01")


def test_a_school_users_json_has_no_incident_coordinates_but_the_analysts_may(world):
    inc = w.incidents(burst_near=world["schools"].geometry.iloc[0], burst=14)
    b = _brief(world, inc, include_points=True)["900001"]
    school = b.to_dict("school")
    analyst = b.to_dict("analyst")
    assert analyst["incidents"], "the analyst tier keeps the incidents of the area"
    coords = {round(v, 1) for p in analyst["incidents"] for v in (p["easting"], p["northing"])}
    numbers = _walk_numbers(school, [])
    assert not coords & {round(v, 1) for v in numbers}
    assert max(numbers) < 100_000, "no British National Grid coordinate of any kind in the school tier"
    keys = {str(k).lower() for k in _walk_keys(school, [])}
    assert not keys & FORBIDDEN_SCHOOL_KEYS
    text = b.to_json("school")
    for p in analyst["incidents"][:50]:
        assert f"{p['easting']:.1f}" not in text and f"{p['northing']:.1f}" not in text


def test_school_tier_publishes_no_count_of_one_to_four(world):
    b = _brief(world, w.incidents(n_police=1500, n_dated=150))["900002"].to_dict("school")
    shown = [c for r in b["counts"]["rows"] for c in r["cells"].values()] + list(b["counts"]["total"].values())
    shown += [a["count_12m"] for a in b["area"]["areas"]] + b["trend"]["all"]
    assert any(s == "<5" for s in shown), "this sparse world has small counts"
    for s in shown:
        assert not (s.isdigit() and 1 <= int(s) <= 4)
    # rates are never shown for a suppressed count
    rows = {(r["category"], r["resolution"]): r["cells"] for r in b["counts"]["rows"]}
    for rate in b["rate_ratios"]:
        if rate["resolution"] == "all":
            continue
        cells = rows[(rate["category"], rate["resolution"])]
        if not (cells[rate["window"]].isdigit() and cells["baseline"].isdigit()):
            assert rate["ratio"] is None and rate["status"] == "suppressed"
    # and a shade is shown only for an area whose count is shown
    for a in b["area"]["areas"]:
        if not a["count_12m"].isdigit():
            assert a["shade"] is None


def test_month_only_incidents_count_in_whole_months_and_never_in_the_7_day_window(world):
    b = _brief(world, w.incidents())["900001"]
    periods = {p.key: p for p in b.periods.all}
    # police.uk-like data ends in 2025-02 (two months behind as_of 2025-05-01)
    assert periods["7d"].months == ()
    assert periods["28d"].months == ("2025-02",)
    assert periods["90d"].months == ("2024-12", "2025-01", "2025-02")
    assert periods["baseline"].months[0] == "2023-12" and periods["baseline"].months[-1] == "2024-11"
    for r, key in enumerate(b.rows):
        if key.resolution == "month only":
            assert b.counts.cell(r, 0) == "n/a"
    assert any("2025-02" in note for note in b.notes)


def test_month_only_counts_match_a_direct_count(world):
    inc = w.incidents()
    b = _brief(world, inc)["900001"]
    school = world["schools"].geometry.iloc[0]
    near = inc[inc.distance(school) <= POLICY.briefing.buffer_m]
    feb = near[(~near["has_time"]) & (near["occurred_at"] == pd.Timestamp("2025-02-01"))]
    raw = b.to_dict("analyst")["raw"]["counts"]
    col = 1  # 28 days
    month_rows = [r for r, k in enumerate(b.rows) if k.resolution == "month only"]
    assert sum(raw[r][col] for r in month_rows) == len(feb)
    dated = near[near["has_time"] & (near["occurred_at"] >= w.AS_OF - pd.Timedelta(days=28))]
    dated_rows = [r for r, k in enumerate(b.rows) if k.resolution == "dated"]
    assert sum(raw[r][col] for r in dated_rows) == len(dated)


def test_an_analyst_override_wins_while_live_and_is_shown(world):
    override = TensionOverride(urn="900002", level="High", reason="Retaliation expected after Friday's incident.",
                               set_at=w.AS_OF - pd.Timedelta(days=1), expires_at=w.AS_OF + pd.Timedelta(days=6),
                               set_by="analyst-7")
    b = _brief(world, w.incidents(), overrides=[override])["900002"]
    d = b.to_dict("school")
    assert d["tension"]["level"] == "High" and d["tension"]["source"] == "analyst override"
    assert d["tension"]["override"]["reason"].startswith("Retaliation")
    assert d["tension"]["computed_level"] == b.tension.computed_level
    assert "set_by" not in d["tension"]["override"]
    assert b.to_dict("analyst")["tension"]["override"]["set_by"] == "analyst-7"
    after = brief_all(world["schools"], w.incidents(), world["areas"], as_of=w.AS_OF + pd.Timedelta(days=7),
                      policy=POLICY, overrides=[override])["900002"]
    assert after.tension.override is None and after.tension.level == after.tension.computed_level


def test_an_override_must_have_a_reason_and_expire_later():
    with pytest.raises(ValidationError, match="reason"):
        TensionOverride("1", "High", " ", set_at="2025-01-01", expires_at="2025-01-02")
    with pytest.raises(ValidationError, match="expire after"):
        TensionOverride("1", "High", "r", set_at="2025-01-02", expires_at="2025-01-01")


def test_what_changed_since_the_last_briefing(world):
    school = world["schools"].geometry.iloc[0]
    before = _brief(world, w.incidents(), links=None, places=None)["900001"]
    notice = _notice()
    after = _brief(world, w.incidents(burst_near=school, burst=14), links=None, places=None, notices=[notice],
                   previous={"900001": before})["900001"]
    changes = {c.what: (c.before, c.after) for c in after.changes}
    assert changes["tension level"] == (before.tension.level, after.tension.level)
    assert changes["notice: Disorder near the park"] == ("none", "new")
    assert any(k.startswith("all incidents, last 7 days") for k in changes)
    # the same from the previous briefing's school-tier JSON
    again = brief_school("900001", world["schools"], w.incidents(burst_near=school, burst=14), world["areas"],
                         as_of=w.AS_OF, policy=POLICY, notices=[notice],
                         previous=json.loads(before.to_json("school")))
    assert again.changes == after.changes
    # changes are published values only
    for c in after.changes:
        for v in (c.before, c.after):
            assert not (v.isdigit() and 1 <= int(v) <= 4)


def test_json_is_stable(world):
    a = _brief(world, w.incidents())["900001"].to_json("school")
    b = _brief(world, w.incidents())["900001"].to_json("school")
    assert a == b
    data = json.loads(a)
    assert list(data) == sorted(data)
    assert data["schema"] == "geo-risk/briefing/2" and data["tier"] == "school"


def test_batch_counts_equal_a_per_school_clip_and_count(world):
    inc = w.incidents()
    briefings = _brief(world, inc)
    start = w.AS_OF - pd.Timedelta(days=90)
    for urn, point in zip(world["schools"]["urn"], world["schools"].geometry):
        clipped = gpd.clip(inc, point.buffer(POLICY.briefing.buffer_m, 64))
        dated = clipped[clipped["has_time"] & (clipped["occurred_at"] >= start) & (clipped["occurred_at"] < w.AS_OF)]
        b = briefings[urn]
        raw = b.to_dict("analyst")["raw"]["counts"]
        got = sum(raw[r][2] for r, k in enumerate(b.rows) if k.resolution == "dated")
        # a 64-segment polygon and a true circle differ only for points on the rim
        assert abs(got - len(dated)) <= 1


def test_brief_school_and_input_checks(world):
    inc = w.incidents()
    one = brief_school("900003", world["schools"], inc, world["areas"], as_of=w.AS_OF, policy=POLICY)
    batch = _brief(world, inc, links=None, places=None)["900003"]
    assert one.to_json("school") == batch.to_json("school")
    with pytest.raises(NotFound, match="URN"):
        brief_school("1", world["schools"], inc, world["areas"], as_of=w.AS_OF, policy=POLICY)
    with pytest.raises(CRSError, match="27700"):
        brief_all(world["schools"].to_crs(4326), inc, world["areas"], as_of=w.AS_OF, policy=POLICY)
    with pytest.raises(ValidationError, match="lacks the column"):
        brief_all(world["schools"], inc.drop(columns=["has_time"]), world["areas"], as_of=w.AS_OF, policy=POLICY)
    with pytest.raises(ValidationError, match="tier"):
        one.to_dict("public")  # type: ignore[arg-type]


def test_a_school_with_nothing_nearby_is_low_and_has_zero_counts(world):
    far = gpd.GeoDataFrame({"urn": ["999"], "name": ["Remote School"], "phase": ["primary"],
                            "geometry": [Point(w.X0 + 20_000, w.Y0 + 20_000)]}, crs=world["schools"].crs)
    b = brief_all(far, w.incidents(), world["areas"], as_of=w.AS_OF, policy=POLICY)["999"]
    assert b.tension.level == "Low"
    assert set(b.to_dict("school")["counts"]["total"].values()) == {"0"}
    assert b.areas == ()
    assert np.all([c.ratio is None or np.isnan(c.ratio) for c in b.rates])
