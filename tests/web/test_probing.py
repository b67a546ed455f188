"""Issue 14, item 1: an adversary's place cannot be triangulated through the housing and transport doors.

The issue's attack posted 50 free [lat, lon] points a request to ``POST /api/v1/referrals/<id>/placement``
(a 150 m grid, then a 10 m grid around each "within 100 m of an area associated with ... conflict" reason)
and located a place to about 1 m. Here it is replayed against the web city (tests/web/web_seed.py, with a
postcode every 100 m): the points are refused, the grid of postcodes meets the spacing rule and the budget,
and from every answer the attacker did get, the place is somewhere in a region at least the policy's
distance step (500 m) across. Each step writes what the privacy officer needs: the candidates with every
check, and a probing alert.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import re

import numpy as np
import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPoint, Point
from sqlalchemy import select

from geo_risk import accounts, audit
from geo_risk.config import Policy
from geo_risk.store import session_scope
from geo_risk.store.models import AuditEvent, Postcode
from geo_risk.store.snapshot import normalise_postcode
from tests.web.web_seed import X0, Y0

PLACE = (601_700.0, 861_700.0)  # P1: the hangout of the peer group in conflict with YP-0001 (never shown)
POLICY = Policy.default().probing
CONFLICT = re.compile(r"Within (\d+) m of an area associated with (?:a group|people) in (?:active )?conflict")


@pytest.fixture
def city(seeded):
    """A postcode every 100 m over the web city's 2 km square (``Z<column letter><row tens> <row units>AA``);
    name -> (x, y)."""
    engine, _info = seeded
    out = {}
    with session_scope(engine) as s:
        for i, j in itertools.product(range(21), range(21)):
            pc = normalise_postcode(f"Z{'ABCDEFGHJKLMNOPQRSTUVW'[i]}{j // 10} {j % 10}AA")
            x, y = X0 + 100 * i, Y0 + 100 * j
            s.add(Postcode(postcode=pc, quality=10, geom=from_shape(Point(x, y), srid=27700)))
            out[pc] = (x, y)
    return out


def _nearest(city, x, y):
    return min(city, key=lambda pc: math.hypot(city[pc][0] - x, city[pc][1] - y))


def _post(app, username, url, body):
    with session_scope(app.config["GEO_RISK_ENGINE"]) as s:
        token = accounts.issue_token(s, accounts.get_user(s, username))
    return app.test_client().post(url, json=body, headers={"Authorization": f"Bearer {token}"})


def _feasible(answers, step, res=10.0):
    """The points of the city (and 1 km around it) consistent with every "within D m" answer: the true
    distance d satisfies D - step < d <= D (the wording rounds d up to the next step)."""
    xs = np.arange(X0 - 1000, X0 + 3000 + res, res)
    gx, gy = np.meshgrid(xs, np.arange(Y0 - 1000, Y0 + 3000 + res, res))
    keep = np.ones(gx.shape, dtype=bool)
    for (x, y), within in answers:
        d = np.hypot(gx - x, gy - y)
        keep &= (d > within - step) & (d <= within)
    return np.column_stack([gx[keep], gy[keep]])


def _diameter(points):
    hull = MultiPoint([tuple(p) for p in points]).convex_hull
    coords = np.asarray(hull.exterior.coords if hull.geom_type == "Polygon" else hull.coords)
    return max(math.dist(a, b) for a, b in itertools.combinations(coords, 2)) if len(coords) > 1 else 0.0


def _events(engine, action=None):
    with session_scope(engine) as s:
        stmt = select(AuditEvent).where(AuditEvent.pseudonym == "YP-0001").order_by(AuditEvent.seq)
        if action:
            stmt = stmt.where(AuditEvent.action == action)
        return [(e.action, e.outcome, audit.load_details(e.details)) for e in s.scalars(stmt)]


def test_the_grid_attack_cannot_locate_the_place_better_than_the_policys_distance(app, info, city, seeded):
    engine, _ = seeded
    url = f"/api/v1/referrals/{info.referrals['hana']}/placement"
    # 1. the issue's request: 50 free points on a 150 m grid around the city centre -> refused, asking for postcodes
    from geo_risk.crs import en_to_lonlat

    grid = [(X0 + 300 + 150 * (k % 10), Y0 + 300 + 150 * (k // 10)) for k in range(50)]
    points = [[float(lat), float(lon)] for lon, lat in (en_to_lonlat(x, y) for x, y in grid)]
    resp = _post(app, "hana", url, {"points": points})
    assert resp.status_code == 400 and "as postcodes" in resp.get_json()["message"]
    # 2. the same grid as postcodes: over the budget of different addresses (429, with when to try again)
    resp = _post(app, "hana", url, {"postcodes": [_nearest(city, x, y) for x, y in grid]})
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) > 0
    assert "at most 10 per referral in any 24 hours" in resp.get_json()["message"]
    # 3. within the budget: a 3 x 3 grid over the city, 600 m apart
    answers = []

    def ask(pcs):
        r = _post(app, "hana", url, {"postcodes": pcs})
        if r.status_code == 200:
            for f in r.get_json()["features"]:
                found = [int(m.group(1)) for m in map(CONFLICT.search, f["properties"]["reasons"]) if m]
                if found:
                    answers.append((city[f["properties"]["label"]], found[0]))
        return r

    coarse = [_nearest(city, X0 + 400 + 600 * a, Y0 + 400 + 600 * b) for a in range(3) for b in range(3)]
    assert ask(coarse).status_code == 200
    assert answers, ("the coarse grid should hear of the conflict somewhere",
                     [f["properties"]["reasons"] for f in _post(app, "hana", url, {"postcodes": coarse}).get_json()["features"]])
    # the housing wording rounds every distance up to the policy's step
    assert all(within % POLICY.distance_step_m == 0 for _, within in answers)
    best = min(answers, key=lambda a: a[1])[0]
    # 4. the zoom: the address next door to the best answer -> refused, naming the spacing rule
    resp = ask([_nearest(city, best[0] + 100, best[1])])
    assert resp.status_code == 400 and "at least 200 m apart" in resp.get_json()["message"]
    # 5. the one address left, as near the best answer as the spacing allows; then the budget is spent
    used = {city[pc] for pc in coarse}
    spaced = [pc for pc in city if all(math.dist(city[pc], u) >= POLICY.min_spacing_m for u in used)]
    last = min(spaced, key=lambda pc: math.dist(city[pc], best))
    assert ask([last]).status_code == 200
    resp = ask([min(pc for pc in spaced if pc != last and math.dist(city[pc], city[last]) >= 200)])
    assert resp.status_code == 429 and "11 different candidate addresses" in resp.get_json()["message"]
    # 6. repeating the same addresses spends the checks: the 11th check of the day is refused
    statuses = [ask([last]).status_code for _ in range(POLICY.max_checks)]
    assert statuses == [200] * (POLICY.max_checks - 2) + [429, 429]

    # what the attacker learned: the place lies in a region at least the policy's distance step across
    region = _feasible(answers, POLICY.distance_step_m)
    assert len(region) and Point(PLACE).distance(MultiPoint([tuple(p) for p in region]).convex_hull) < 15
    assert _diameter(region) >= POLICY.distance_step_m

    # every answered check kept its candidates (postcode, easting, northing) in the audit chain
    checks = [d for a, o, d in _events(engine, "api.placement.check") if o == "allowed"]
    assert checks[0] == {"referral_id": info.referrals["hana"],
                         "candidates": [{"postcode": pc, "x": city[pc][0], "y": city[pc][1]} for pc in coarse]}
    refused = [d for a, o, d in _events(engine, "api.placement.check") if o == "denied"]
    assert len(refused) == 5 and len(refused[0]["candidates"]) == 50  # refused ones too (points were never read)
    # probing alerts for the privacy officer: the grid, and the budget
    alerts = {d["rule"]: d for _, _, d in _events(engine, "probing.alert")}
    assert set(alerts) == {"grid", "budget"}
    assert alerts["grid"]["checks"] == 1 and alerts["grid"]["min_spacing_m"] == 600
    assert {c["postcode"] for c in alerts["grid"]["candidates"]} == set(coarse)
    assert set(alerts["budget"]) == {"referral_id", "checks", "candidates", "min_spacing_m", "rule"}
    assert audit.verify(engine).ok
    # the privacy officer's summary counts the answered checks and their addresses, not the alerts
    from geo_risk import audit_reports

    with engine.connect() as conn:
        (pattern,) = audit_reports.summarise(audit.events_for_pseudonym(conn, "YP-0001"))
    assert (pattern.checks, pattern.addresses) == (POLICY.max_checks, POLICY.max_candidates)


def test_an_attacker_who_rings_the_place_is_flagged(app, info, city, seeded):
    """Someone who already knows roughly where to look can ring the spot with well-spaced addresses and
    narrow it down (README, known limits); they cannot do it without the probing alert."""
    engine, _ = seeded
    url = f"/api/v1/referrals/{info.referrals['hana']}/placement"
    ring = [_nearest(city, PLACE[0] + 450 * math.cos(k * math.pi / 4), PLACE[1] + 450 * math.sin(k * math.pi / 4))
            for k in range(8)]
    ring = [pc for pc in dict.fromkeys(ring) if X0 <= city[pc][0] <= X0 + 2000 and Y0 <= city[pc][1] <= Y0 + 2000]
    resp = _post(app, "hana", url, {"postcodes": ring[:6]})
    assert resp.status_code == 200
    (alert,) = [d for _, _, d in _events(engine, "probing.alert")]
    assert alert["rule"] in ("grid", "cluster") and len(alert["candidates"]) == 6


def test_the_housing_page_has_no_points_and_shows_the_rules_in_the_error_summary(signed_in, info, city):
    hana = signed_in("hana")
    rid = info.referrals["hana"]
    page = hana.get(f"/housing/referrals/{rid}").get_data(as_text=True)
    assert 'name="points"' not in page and "Click the map" not in page
    assert "up to 10 different addresses, at least 200 m apart" in page
    resp = hana.post(f"/housing/referrals/{rid}/check", {"postcodes": "ZZ1 1AA", "points": "56.0, 2.0"})
    assert resp.status_code == 400 and "as postcodes" in resp.get_data(as_text=True)
    resp = hana.post(f"/housing/referrals/{rid}/check", {"postcodes": "ZA0 0AA\nZA0 1AA"})  # 100 m apart
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and 'class="error-summary"' in html and "at least 200 m apart" in html
    many = "\n".join(pc for pc in city if city[pc][0] % 400 == 0 and city[pc][1] % 400 == 0)
    resp = hana.post(f"/housing/referrals/{rid}/check", {"postcodes": many})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) > 0
    assert 'class="error-summary"' in html and "at most 10 per referral" in html
    # the saved record's form carries postcodes only
    ok = hana.post(f"/housing/referrals/{rid}/check", {"postcodes": "ZZ1 1AA\nZZ1 1AB"}).get_data(as_text=True)
    assert 'name="postcodes"' in ok and 'name="points"' not in ok


def test_the_transport_door_has_the_same_budget(app, info, seeded, signed_in):
    url = f"/api/v1/referrals/{info.referrals['tariq']}/route"
    body = {"home_postcode": "ZZ1 1AA", "school_urn": "100001"}
    statuses = [_post(app, "tariq", url, body).status_code for _ in range(POLICY.max_checks + 1)]
    assert statuses == [200] * POLICY.max_checks + [429]
    resp = _post(app, "tariq", url, {"home_postcode": "ZZ1 1AA", "school_urn": "100001"})
    assert "at most 10 checks per referral in any 24 hours" in resp.get_json()["message"]
    events = [d for a, o, d in _events(seeded[0], "api.route.check") if o == "allowed"]
    assert events[0] == {"referral_id": info.referrals["tariq"],
                         "candidates": [{"postcode": "ZZ1 1AA", "x": 600250, "y": 860250}]}
    assert json.dumps(events)  # plain JSON
    # the page says so in the error summary, beside the postcode
    tariq = signed_in("tariq")
    tariq.get(f"/transport/referrals/{info.referrals['tariq']}")
    resp = tariq.post(f"/transport/referrals/{info.referrals['tariq']}/check", body)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) > 0
    assert 'class="error-summary"' in html and 'id="home_postcode-error"' in html and "at most 10 checks" in html


def test_a_second_referral_for_the_same_young_person_shares_the_officers_budget(app, info, city, seeded):
    """An officer given another referral for the same young person (a renewal, a second case) keeps the
    spacing rule and the budget of the checks made through the first: a new referral is no fresh start."""
    engine, _ = seeded
    from tests.web.web_seed import NOW

    with session_scope(engine) as s:
        second = accounts.grant_referral(s, "YP-0001", accounts.get_user(s, "hana"), "placement",
                                         NOW + dt.timedelta(days=30), as_of=NOW).id
    first_url = f"/api/v1/referrals/{info.referrals['hana']}/placement"
    second_url = f"/api/v1/referrals/{second}/placement"
    assert _post(app, "hana", first_url, {"postcodes": ["ZA0 0AA"]}).status_code == 200
    # the address next door, through the other referral: refused by the spacing rule, naming the first
    resp = _post(app, "hana", second_url, {"postcodes": ["ZB0 0AA"]})
    assert resp.status_code == 400 and "ZB0 0AA is 100 m from ZA0 0AA" in resp.get_json()["message"]
    # the day's checks are counted over both referrals
    statuses = [_post(app, "hana", first_url, {"postcodes": ["ZA0 0AA"]}).status_code
                for _ in range(POLICY.max_checks - 1)]
    assert statuses == [200] * (POLICY.max_checks - 1)
    resp = _post(app, "hana", second_url, {"postcodes": ["ZA0 0AA"]})
    assert resp.status_code == 429 and "at most 10 checks" in resp.get_json()["message"]
    # another officer's referral for the same young person is theirs: harry's budget is his own
    with session_scope(engine) as s:
        harrys = accounts.grant_referral(s, "YP-0001", accounts.get_user(s, "harry"), "placement",
                                         NOW + dt.timedelta(days=30), as_of=NOW).id
    assert _post(app, "harry", f"/api/v1/referrals/{harrys}/placement", {"postcodes": ["ZB0 0AA"]}).status_code == 200
