"""Every demo referral gets the same answer through ``geo-risk assess ... --json``, the JSON API and
the page: band, rank and reasons of each candidate address; band of each walk, its "passes near"
wording and the transport recommendation."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from geo_risk import accounts
from geo_risk.config import Settings
from geo_risk.demo import prepare_demo
from geo_risk.store import session_scope
from geo_risk.store.models import Referral
from tests.web.conftest import Clock, sign_in
from tests.web.test_parity import _answer, _page, _route_answer, _route_page, as_page, run_cli

NOW = dt.datetime(2026, 11, 2, 9, 0)


@pytest.fixture
def demo(db, db_url, tmp_path):
    from web import create_app

    info = prepare_demo(db, tmp_path, size="small", seed=7, progress=lambda _line: None, now=NOW)
    clock = Clock(NOW + dt.timedelta(hours=3))
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret-key-0123456789abcdef", "GEO_RISK_ENGINE": db,
                      "GEO_RISK_CLOCK": clock, "GEO_RISK_SETTINGS": Settings(cookie_secure=False),
                      "GEO_RISK_DATA_CHECK_SECONDS": 0.0, "GEO_RISK_WARM_UP": False})
    with session_scope(db) as s:
        referrals = [(r.id, r.purpose, r.child_pseudonym, dict(r.details or {}))
                     for r in s.execute(select(Referral).order_by(Referral.id)).scalars()]
    return app, clock, info, referrals


def _api(app, username, url, body):
    with session_scope(app.config["GEO_RISK_ENGINE"]) as s:
        token = accounts.issue_token(s, accounts.get_user(s, username))
    resp = app.test_client().post(url, json=body, headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    return resp.get_json()


def test_every_demo_referral_gets_the_same_answer_through_every_door(demo, db_url):
    import json

    app, clock, info, referrals = demo
    assert {p for _r, p, _c, _d in referrals} == {"placement", "route"}
    as_of = clock.now.isoformat(timespec="minutes")
    housing, transport = info.usernames["housing"], info.usernames["transport"]
    officers = {"housing": sign_in(app, housing, info.new_passwords["housing"]),
                "transport": sign_in(app, transport, info.new_passwords["transport"])}
    for rid, purpose, child, details in referrals:
        if purpose == "placement":
            pcs = list(details["candidate_postcodes"])
            args = ["assess", "placement", "--child", child, "--as-of", as_of, "--json"]
            for pc in pcs:
                args += ["--postcode", pc]
            out = run_cli(args, db_url)
            assert out.returncode == 0, out.stderr
            cli = _answer([{"rank": c["rank"], "label": c["label"], **c["assessment"]}
                           for c in json.loads(out.stdout)["candidates"]])
            api = _answer([f["properties"] for f in
                           _api(app, housing, f"/api/v1/referrals/{rid}/placement", {"postcodes": pcs})["features"]])
            page = _page(officers["housing"], rid, pcs)
            shown = cli
        else:
            home, urn = details["home_postcode"], str(details["school_urn"])
            out = run_cli(["assess", "route", "--child", child, "--from", home, "--to-school", urn, "--as-of", as_of,
                           "--json"], db_url)
            assert out.returncode == 0, out.stderr
            result = json.loads(out.stdout)
            cli = _route_answer(result["recommendation"], result["routes"])
            body = _api(app, transport, f"/api/v1/referrals/{rid}/route", {"home_postcode": home, "school_urn": urn})
            api = _route_answer(body["recommendation"], [f["properties"] for f in body["features"]])
            page = _route_page(officers["transport"], rid, home, urn)
            shown = as_page(cli)  # the page groups each walk's "passes near" items
        assert cli == api and shown == page, (rid, purpose, child)
