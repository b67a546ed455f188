"""What each audience's pages show, and the words they never use."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import text

from web_seed import ROUTE_DECISION

FORBIDDEN = re.compile(r"\b(gang|gangs|nominal|nominals)\b", re.IGNORECASE)


def _text(resp) -> str:
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


def _geojson_layers(html: str) -> list[dict]:
    return [json.loads(m) for m in re.findall(r"L\.geoJSON\((\{.*?\}), \{\n", html, re.DOTALL)]


def test_housing_check_ranks_and_bands_candidates(signed_in, info, far_postcode):
    hana = signed_in("hana")
    rid = info.referrals["hana"]
    form = _text(hana.get(f"/housing/referrals/{rid}"))
    assert "ZZ1 1AA" in form  # the referral's candidate postcodes are filled in
    html = _text(hana.post(f"/housing/referrals/{rid}/check",
                           {"postcodes": f"ZZ1 1AA\nZZ1 1AB\nZZ1 1AC\n{far_postcode}"}))
    # the far postcode (56.0N 2.0E) is in GB's grid but far outside the test city's data: it cannot be
    # assessed, and comes last
    bands = re.findall(r'<tr data-band="([^"]+)">', html)
    assert len(bands) == 4
    order = ["Low", "Medium", "High", "Very high", "Cannot assess"]
    assert [order.index(b) for b in bands] == sorted(order.index(b) for b in bands)  # safest first
    assert bands[-1] == "Cannot assess" and "outside the data&#39;s coverage" in html
    assert "advisory" in html
    layers = _geojson_layers(html)
    candidates = [f for layer in layers for f in layer["features"] if "band" in f["properties"]]
    assert sorted(f["properties"]["band"] for f in candidates) == sorted(bands)
    assert "data-print" in html
    # Housing wording names no other person or group, and no evidence ids.
    assert not re.search(r"\b(G0\d|AD-\d+|L\d|P\d)\b", html)


def test_housing_officers_give_postcodes_and_an_analysts_point_outside_great_britain_is_refused(signed_in, info):
    hana = signed_in("hana")
    resp = hana.post(f"/housing/referrals/{info.referrals['hana']}/check", {"postcodes": "", "points": "40.0, -74.0"})
    assert resp.status_code == 400
    assert "give the candidate addresses as postcodes" in resp.get_data(as_text=True)
    ana = signed_in("ana")
    resp = ana.post(f"/analyst/people/{info.people['YP-0001']}/placement", {"postcodes": "", "points": "40.0, -74.0"})
    assert resp.status_code == 400
    assert "outside Great Britain" in resp.get_data(as_text=True)


def test_unknown_postcode_is_explained(signed_in, info):
    hana = signed_in("hana")
    resp = hana.post(f"/housing/referrals/{info.referrals['hana']}/check", {"postcodes": "ZZ9 9ZZ"})
    assert resp.status_code == 400
    assert "not found" in resp.get_data(as_text=True)


def test_transport_check_shows_both_routes_and_a_recommendation(signed_in, info):
    tariq = signed_in("tariq")
    rid = info.referrals["tariq"]
    html = _text(tariq.post(f"/transport/referrals/{rid}/check", {"home_postcode": "ZZ1 1AA", "school_urn": "100001"}))
    roles = re.findall(r'<tr data-role="([^"]+)">', html)
    assert roles[0] == "shortest" and "lowest_risk" in roles
    assert "Recommendation (advisory)" in html
    layers = _geojson_layers(html)
    route_roles = {f["properties"].get("role") for layer in layers for f in layer["features"]}
    assert {"shortest", "lowest_risk"} <= route_roles
    assert not re.search(r"\b(G0\d|AD-\d+|P\d)\b", html)


def test_school_briefing_shows_areas_never_points(signed_in):
    sami = signed_in("sami")
    html = _text(sami.get("/schools/", follow_redirects=True))
    assert "Tension level" in html and 'id="trend"' in html and "<svg" in html
    layers = _geojson_layers(html)
    points = [f for layer in layers for f in layer["features"] if f["geometry"]["type"] == "Point"]
    assert len(points) == 1  # the school itself; never an incident
    counts = [f["properties"]["count_12m"] for layer in layers for f in layer["features"]
              if "count_12m" in f["properties"]]
    assert counts and all(c in ("0", "<5", "[c]") or int(c) >= 5 for c in counts)
    cells = re.findall(r"<td>([^<]*)</td>", html.split('id="counts"')[1].split("</table>")[0])
    assert all(c.strip() in ("", "0", "<5", "[c]", "n/a") or not c.strip().isdigit() or int(c) >= 5
               for c in cells if c.strip().isdigit() or c.strip() in ("<5", "[c]"))


def test_analyst_sets_the_tension_level(signed_in, seeded):
    ana = signed_in("ana")
    ana.get("/schools/100001")
    resp = ana.post("/schools/100001/tension", {"level": "Critical", "reason": "Disorder at the station",
                                                "days": "3"})
    assert resp.status_code == 303
    html = _text(signed_in("sami").get("/schools/100001"))
    assert re.search(r'id="tension-level">Critical<', html)
    assert "Disorder at the station" in html


def test_notice_is_published_and_acknowledged(signed_in, seeded):
    ana = signed_in("ana")
    ana.get("/analyst/notices")
    resp = ana.post("/analyst/notices", {"step": "publish", "title": "Disorder near the station", "what_happened": "Adults fought.",
                                         "what_to_do": "Remind pupils to travel in groups.", "contact": "Hub",
                                         "valid_from": "2026-11-20T08:00", "valid_to": "2026-11-27T08:00",
                                         "school_urns": "100001"})
    assert resp.status_code == 303
    sami = signed_in("sami")
    html = _text(sami.get("/schools/100001"))
    assert "Disorder near the station" in html
    nid = re.search(r'data-notice="(\d+)"', html).group(1)
    assert sami.post(f"/schools/100001/notices/{nid}/ack").status_code == 303
    assert "Acknowledged." in _text(sami.get("/schools/100001"))
    with seeded[0].connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM notice_ack")).scalar_one() == 1


def test_analyst_network_view_hides_homes(signed_in, info):
    ana = signed_in("ana")
    html = _text(ana.get(f"/analyst/people/{info.people['YP-0001']}"))
    assert "<svg" in html and "peer group 1" in html
    assert "P2" in html  # the exploitation site of someone who may exploit them
    assert "P3" not in html  # their home: never displayed
    assert "Missing from home overnight" in html  # chronology


def test_referral_grant_and_revoke(signed_in, info, seeded):
    ana = signed_in("ana")
    ana.get("/analyst/referrals")
    resp = ana.post("/analyst/referrals", {"pseudonym": "YP-0003", "user_id": str(info.users["hana"]),
                                           "days": "7", "postcodes": "ZZ1 1AD"})
    assert resp.status_code == 303
    hana = signed_in("hana")
    assert "YP-0003" in _text(hana.get("/housing/"))
    with seeded[0].connect() as conn:
        rid = conn.execute(text("SELECT id FROM referral WHERE child_pseudonym = 'YP-0003'")).scalar_one()
    assert ana.post(f"/analyst/referrals/{rid}/revoke").status_code == 303
    assert "YP-0003" not in _text(hana.get("/housing/"))


def test_admin_adds_and_disables_users(signed_in, info):
    adam = signed_in("adam")
    adam.get("/admin/users")
    assert adam.post("/admin/users", {"username": "newbie", "role": "housing",
                                      "password": "another-password-9"}).status_code == 303
    assert "newbie" in _text(adam.get("/admin/users"))
    assert adam.post("/admin/users", {"username": "x", "role": "analyst", "password": "p"}).status_code == 400
    assert adam.post(f"/admin/users/{info.users['adam']}/disable").status_code == 400  # not oneself


def test_users_create_their_own_token_shown_once(signed_in):
    harry = signed_in("harry")
    harry.get("/account")
    issued = harry.post("/account/token", {"password": "test-password-1"})
    assert re.search(r'id="new-token">grk_', _text(issued))
    assert "grk_" not in issued.headers.get("Set-Cookie", "")
    assert 'id="new-token"' not in _text(harry.get("/account"))  # shown once


@pytest.mark.parametrize("who", ["hana", "tariq", "sami", "ana", "adam", "pat"])
def test_pages_never_use_forbidden_words_and_label_synthetic_data(signed_in, info, who):
    b = signed_in(who)
    home = b.get("/", follow_redirects=True)
    html = _text(home)
    assert not FORBIDDEN.search(html)
    assert "Synthetic data" in html
    for link in set(re.findall(r'href="(/(?!static)[^"]*)"', html)):
        resp = b.get(link, follow_redirects=True)
        if resp.status_code == 200:
            assert not FORBIDDEN.search(resp.get_data(as_text=True)), link


def test_openapi_needs_sign_in(app, signed_in):
    assert app.test_client().get("/api/v1/openapi.json").status_code == 401
    doc = signed_in("hana").get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.") and "/referrals/{id}/placement" in doc["paths"]


def test_snapshot_is_rebuilt_when_data_changes(signed_in, seeded):
    import datetime as dt

    from geoalchemy2.shape import from_shape
    from shapely.geometry import Point

    from geo_risk.store import session_scope
    from geo_risk.store.models import Incident

    ana = signed_in("ana")
    count = re.compile(r"<th>incidents</th><td>([\d,]+)</td>")
    before = int(count.search(_text(ana.get("/analyst/"))).group(1).replace(",", ""))
    with session_scope(seeded[0]) as s:
        s.add(Incident(external_id="NEW1", category="Robbery", occurred_at=dt.datetime(2026, 11, 1), has_time=False,
                       month="2026-11", precision="snap_point", source="police.uk", source_type="police",
                       geom=from_shape(Point(600500, 860500), srid=27700)))
    after = int(count.search(_text(ana.get("/analyst/"))).group(1).replace(",", ""))
    assert after == before + 1


def test_a_link_that_expired_this_morning_no_longer_counts(signed_in, info, seeded, clock):
    import datetime as dt

    from geo_risk.store import session_scope
    from geo_risk.store.models import EvidenceReview, Link

    hana = signed_in("hana")
    rid = info.referrals["hana"]
    html = _text(hana.post(f"/housing/referrals/{rid}/check", {"postcodes": "ZZ1 1AB"}))
    assert "in conflict" in html
    with session_scope(seeded[0]) as s:
        link = s.query(Link).filter_by(link_id="L2").one()  # the peer groups' conflict
        link.expires_at = clock.now - dt.timedelta(hours=1)  # this morning, after midnight
        # as an evidence review records it (the review counter is part of the snapshot's data key)
        s.add(EvidenceReview(target_kind="link", target_id="L2", action="expire", reason="no longer current",
                             at=clock.now - dt.timedelta(hours=1)))
    html = _text(hana.post(f"/housing/referrals/{rid}/check", {"postcodes": "ZZ1 1AB"}))
    assert "in conflict" not in html


def test_route_decision_record_shows_what_was_decided(signed_in, info):
    tariq = signed_in("tariq")
    rid = info.referrals["tariq"]
    checked = _text(tariq.post(f"/transport/referrals/{rid}/check", {"home_postcode": "ZZ1 1AA", "school_urn": "100001"}))
    saved = tariq.post(f"/transport/referrals/{rid}/decisions", {"home_postcode": "ZZ1 1AA", "school_urn": "100001",
                                                                **ROUTE_DECISION})
    assert saved.status_code == 303
    record = _text(tariq.get(saved.headers["Location"]))
    assert "shown as it was decided" in record
    rows = re.compile(r'<tr data-role="[^"]+">.*?</tr>', re.DOTALL)
    assert rows.findall(record) == rows.findall(checked)
    recommendation = re.compile(r'id="recommendation">.*?</div>', re.DOTALL)
    assert recommendation.search(record).group(0) == recommendation.search(checked).group(0)


def test_analyst_sees_every_schools_tension_level(signed_in):
    html = _text(signed_in("ana").get("/analyst/briefings"))
    rows = re.findall(r'<span class="level (\w+)">', html)
    assert len(rows) == 2  # both schools of the test city
    assert "Synthetown Academy (synthetic)" in html and "/schools/100002" in html
