"""A housing or transport officer sees only young people referred to them, while the referral is live;
anything else answers exactly like a missing record. School users see only their own schools."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from geo_risk import accounts
from geo_risk.store import session_scope
from web_seed import PLACEMENT_DECISION


def _shape(resp) -> tuple[int, str]:
    """Status and body with the request id taken out (it differs on every request)."""
    body = resp.get_data(as_text=True).replace(resp.headers.get("X-Request-Id", "-"), "RID")
    import re

    body = re.sub(r'name="csrf_token" value="[^"]+"', "", body)
    return resp.status_code, body


def test_other_officers_referral_looks_missing(signed_in, info):
    harry = signed_in("harry")
    mine = info.referrals["hana_other"]
    assert harry.get(f"/housing/referrals/{mine}").status_code == 200
    theirs = harry.get(f"/housing/referrals/{info.referrals['hana']}")
    missing = harry.get("/housing/referrals/999999")
    assert theirs.status_code == 404
    assert _shape(theirs) == _shape(missing)
    assert "YP-0001" not in theirs.get_data(as_text=True)
    post = harry.post(f"/housing/referrals/{info.referrals['hana']}/check", {"postcodes": "ZZ1 1AA"})
    post_missing = harry.post("/housing/referrals/999999/check", {"postcodes": "ZZ1 1AA"})
    assert _shape(post) == _shape(post_missing) and post.status_code == 404


def test_transport_referral_is_not_a_housing_referral(signed_in, info):
    # tariq's route referral id, asked for on the housing side by a housing officer: missing
    hana = signed_in("hana")
    assert hana.get(f"/housing/referrals/{info.referrals['tariq']}").status_code == 404


def test_expired_and_revoked_referrals_look_missing(signed_in, info, seeded, clock):
    hana = signed_in("hana")
    rid = info.referrals["hana"]
    assert hana.get(f"/housing/referrals/{rid}").status_code == 200
    clock.advance(days=31)  # past expiry (and signs in again: idle timeout)
    hana = signed_in("hana")
    expired = hana.get(f"/housing/referrals/{rid}")
    assert _shape(expired) == _shape(hana.get("/housing/referrals/999999"))
    assert "YP-0001" not in hana.get("/housing/").get_data(as_text=True)
    tariq = signed_in("tariq")
    with session_scope(seeded[0]) as s:
        accounts.revoke_referral(s, info.referrals["tariq"], at=clock.now - dt.timedelta(days=40))
    assert tariq.get(f"/transport/referrals/{info.referrals['tariq']}").status_code == 404


def test_api_referral_idor(app, seeded, info):
    with session_scope(seeded[0]) as s:
        token = accounts.issue_token(s, accounts.get_user(s, "harry"))
    c = app.test_client()
    h = {"Authorization": f"Bearer {token}"}
    theirs = c.post(f"/api/v1/referrals/{info.referrals['hana']}/placement", json={"postcodes": ["ZZ1 1AA"]}, headers=h)
    missing = c.post("/api/v1/referrals/999999/placement", json={"postcodes": ["ZZ1 1AA"]}, headers=h)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.get_json()["message"] == missing.get_json()["message"]
    listed = c.get("/api/v1/referrals", headers=h).get_json()["referrals"]
    assert [r["young_person"] for r in listed] == ["YP-0002"]


def test_decision_records_are_private_to_their_officer(signed_in, info):
    hana = signed_in("hana")
    resp = hana.post(f"/housing/referrals/{info.referrals['hana']}/decisions", {"postcodes": "ZZ1 1AA", **PLACEMENT_DECISION})
    assert resp.status_code == 303
    url = resp.headers["Location"]
    assert hana.get(url).status_code == 200
    harry = signed_in("harry")
    assert _shape(harry.get(url)) == _shape(harry.get("/housing/decisions/999999"))


def test_school_users_see_only_their_schools(signed_in, seeded):
    sami = signed_in("sami")
    assert sami.get("/schools/100001").status_code == 200
    other = sami.get("/schools/100002")
    missing = sami.get("/schools/999999")
    assert other.status_code == missing.status_code == 404
    assert _shape(other) == _shape(missing)
    assert sami.get("/api/v1/schools/100002/briefing").status_code == 404
    # The refusals are audited (without a young person: a briefing is about an area).
    with seeded[0].connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM audit_event WHERE outcome = 'not_found' "
                              "AND username = 'sami'")).scalar_one()
    assert n == 3


def test_admin_pages_show_no_young_people(signed_in):
    adam = signed_in("adam")
    body = adam.get("/admin/users").get_data(as_text=True)
    assert "YP-" not in body and "AD-0001" not in body
