"""Sessions, CSRF, redirects, headers, error pages and logs."""

from __future__ import annotations

import logging
import re

import pytest

from geo_risk import accounts
from geo_risk.config import Settings
from geo_risk.errors import ConfigError
from geo_risk.store import session_scope
from web_seed import PASSWORD


def _session_cookie(client) -> str | None:
    cookie = client.get_cookie("geo_risk_session")
    return cookie.value if cookie else None


# --------------------------------------------------------------------------- sign-in


def test_login_with_wrong_password_is_refused(signed_in):
    b = signed_in(None)
    resp = b.post("/login", {"username": "hana", "password": "not-the-password"})
    assert resp.status_code == 401
    assert "not right" in resp.get_data(as_text=True)
    assert b.get("/housing/").status_code == 302


def test_login_is_rate_limited(signed_in):
    b = signed_in(None)
    for _ in range(5):
        assert b.post("/login", {"username": "hana", "password": "wrong-password"}).status_code == 401
    resp = b.post("/login", {"username": "hana", "password": PASSWORD})
    assert resp.status_code == 429
    # Another user is not locked out by hana's failures.
    assert b.post("/login", {"username": "tariq", "password": PASSWORD}).status_code == 302


def test_new_session_on_login_no_fixation(app, signed_in):
    b = signed_in(None)
    before = _session_cookie(b.client)
    assert before is not None  # the login page's CSRF token lives in an anonymous session
    ser = app.session_interface.get_signing_serializer(app)
    assert "uid" not in ser.loads(before)
    assert b.post("/login", {"username": "hana", "password": PASSWORD}).status_code == 302
    after = _session_cookie(b.client)
    assert after != before
    data = ser.loads(after)
    assert data["uid"] and data["sid"]
    assert "csrf_token" not in data  # the pre-login CSRF token is gone with the old session
    # The pre-login cookie does not carry the signed-in session.
    fresh = app.test_client()
    fresh.set_cookie("geo_risk_session", before)
    assert fresh.get("/housing/").status_code == 302


def test_logout_replay_is_refused(app, signed_in):
    b = signed_in("hana")
    cookie = _session_cookie(b.client)
    assert b.get("/housing/").status_code == 200
    assert b.post("/logout").status_code == 302
    replay = app.test_client()
    replay.set_cookie("geo_risk_session", cookie)
    resp = replay.get("/housing/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_logout_needs_post(signed_in):
    b = signed_in("hana")
    assert b.client.get("/logout").status_code == 405
    assert b.get("/housing/").status_code == 200


def test_disabling_a_user_ends_their_sessions(app, seeded, signed_in):
    engine, _ = seeded
    b = signed_in("hana")
    assert b.get("/housing/").status_code == 200
    with session_scope(engine) as s:
        accounts.set_disabled(s, accounts.get_user(s, "hana"))
    assert b.get("/housing/").status_code == 302
    assert signed_in(None).post("/login", {"username": "hana", "password": PASSWORD}).status_code == 401


def test_idle_timeout(signed_in, clock):
    b = signed_in("hana")
    clock.advance(minutes=29)
    assert b.get("/housing/").status_code == 200
    clock.advance(minutes=31)
    resp = b.get("/housing/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_absolute_timeout(signed_in, clock):
    import datetime as dt

    b = signed_in("hana")
    start = clock.now
    ended_after = None
    for _ in range(40):  # active every 20 minutes: never idle
        clock.advance(minutes=20)
        if b.get("/housing/").status_code != 200:
            ended_after = clock.now - start
            break
    assert ended_after is not None
    assert dt.timedelta(hours=12) < ended_after <= dt.timedelta(hours=12, minutes=20)


@pytest.mark.parametrize("target", ["https://evil.example/x", "//evil.example/x", "/\\evil.example",
                                    "javascript:alert(1)", "http:/evil.example"])
def test_next_redirects_only_inside_the_app(signed_in, target):
    b = signed_in(None)
    resp = b.post("/login", {"username": "ana", "password": PASSWORD, "next": target})
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/analyst/"


def test_next_inside_the_app_is_followed(signed_in):
    b = signed_in(None)
    resp = b.post("/login", {"username": "ana", "password": PASSWORD, "next": "/analyst/people"})
    assert resp.headers["Location"] == "/analyst/people"


# --------------------------------------------------------------------------- CSRF and GET


def test_csrf_refused_without_token(signed_in, info, seeded):
    b = signed_in("hana")
    rid = info.referrals["hana"]
    for path, data in ((f"/housing/referrals/{rid}/check", {"postcodes": "ZZ1 1AA"}),
                       (f"/housing/referrals/{rid}/decisions", {"postcodes": "ZZ1 1AA"}),
                       ("/logout", {})):
        assert b.post(path, data, csrf=False).status_code == 400
        assert b.post(path, {**data, "csrf_token": "forged"}, csrf=False).status_code == 400
    from sqlalchemy import text

    with seeded[0].connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM assessment")).scalar_one() == 0
    assert b.get("/housing/").status_code == 200  # logout did not happen


def test_csrf_on_login_form(signed_in):
    b = signed_in(None)
    assert b.post("/login", {"username": "hana", "password": PASSWORD}, csrf=False).status_code == 400


def test_api_with_session_needs_csrf_header_but_token_does_not(app, seeded, signed_in, info):
    rid = info.referrals["hana"]
    b = signed_in("hana")
    assert b.client.post(f"/api/v1/referrals/{rid}/placement", json={"postcodes": ["ZZ1 1AA"]}).status_code == 400
    ok = b.client.post(f"/api/v1/referrals/{rid}/placement", json={"postcodes": ["ZZ1 1AA"]},
                       headers={"X-CSRFToken": b.token})
    assert ok.status_code == 200
    with session_scope(seeded[0]) as s:
        token = accounts.issue_token(s, accounts.get_user(s, "hana"))
    api = app.test_client()
    resp = api.post(f"/api/v1/referrals/{rid}/placement", json={"postcodes": ["ZZ1 1AA"]},
                    headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200
    assert resp.get_json()["features"][0]["properties"]["band"]
    bad = api.get("/api/v1/referrals", headers={"Authorization": "Bearer grk_wrong"})
    assert bad.status_code == 401


def test_no_state_change_on_get(app):
    """Every route that changes state takes POST only; no GET route is one of them."""
    changing = ("check", "save", "create", "end", "grant", "revoke", "acknowledge", "disable", "enable",
                "token", "logout", "placement", "route", "by_person", "by_user")
    for rule in app.url_map.iter_rules():
        name = rule.endpoint.split(".")[-1]
        if name in changing or any(name.endswith(f"_{c}") for c in changing):
            assert "GET" not in rule.methods, f"{rule.endpoint} accepts GET"


# --------------------------------------------------------------------------- headers and errors


def test_security_headers(signed_in):
    b = signed_in("hana")
    resp = b.get("/housing/")
    h = resp.headers
    csp = h["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "http:" not in csp and "https:" not in csp and "*" not in csp.replace("'", "")
    assert re.search(r"script-src 'self' 'nonce-[^']+'", csp)
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "no-referrer"
    assert h["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in h  # plain HTTP
    assert re.fullmatch(r"[0-9a-f]{16}", h["X-Request-Id"])


def test_hsts_on_https(signed_in):
    b = signed_in(None)
    resp = b.client.get("/login", base_url="https://localhost")
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")


def test_session_cookie_flags(seeded, clock):
    from web import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "k" * 32, "GEO_RISK_ENGINE": seeded[0],
                      "GEO_RISK_CLOCK": clock, "GEO_RISK_SETTINGS": Settings(cookie_secure=True)})
    resp = app.test_client().get("/login", base_url="https://localhost")
    cookie = resp.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_tile_url_setting_is_the_only_extra_image_source(seeded, clock):
    from web import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "k" * 32, "GEO_RISK_ENGINE": seeded[0],
                      "GEO_RISK_CLOCK": clock,
                      "GEO_RISK_SETTINGS": Settings(cookie_secure=False, tile_url="https://tiles.internal/{z}/{x}/{y}.png")})
    csp = app.test_client().get("/login").headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://tiles.internal;" in csp


def test_generic_error_pages_with_request_id(app, signed_in, monkeypatch):
    b = signed_in("ana")
    resp = b.get("/no/such/page")
    assert resp.status_code == 404
    assert resp.headers["X-Request-Id"] in resp.get_data(as_text=True)

    import web.analyst

    def boom():
        raise RuntimeError("secret detail YP-0001")

    monkeypatch.setitem(app.view_functions, "analyst.index", boom)
    resp = b.get("/analyst/")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 500
    assert "secret detail" not in body and "Traceback" not in body and "YP-0001" not in body
    assert resp.headers["X-Request-Id"] in body
    assert web.analyst  # imported for the monkeypatch target's module


def test_debug_is_off_and_refused(seeded):
    from web import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "k" * 32, "GEO_RISK_ENGINE": seeded[0],
                      "GEO_RISK_SETTINGS": Settings()})
    assert app.debug is False
    with pytest.raises(ConfigError, match="DEBUG"):
        create_app({"DEBUG": True, "SECRET_KEY": "k" * 32, "GEO_RISK_SETTINGS": Settings()})


def test_secret_key_is_required_outside_tests():
    from web import create_app

    with pytest.raises(ConfigError, match="GEO_RISK_SECRET_KEY"):
        create_app({"GEO_RISK_SETTINGS": Settings()})


def test_no_pseudonyms_in_query_strings_or_logs(signed_in, info, caplog):
    caplog.set_level(logging.DEBUG)
    b = signed_in("hana")
    rid = info.referrals["hana"]
    pages = [b.get("/housing/"), b.get(f"/housing/referrals/{rid}"),
             b.post(f"/housing/referrals/{rid}/check", {"postcodes": "ZZ1 1AA\nZZ1 1AB", "points": ""})]
    a = signed_in("ana")
    pages += [a.get("/analyst/people"), a.get(f"/analyst/people/{info.people['YP-0001']}"),
              a.get("/analyst/referrals")]
    for resp in pages:
        assert resp.status_code == 200
        for url in re.findall(r'(?:href|action|src)="([^"]*)"', resp.get_data(as_text=True)):
            query = url.split("?", 1)[1] if "?" in url else ""
            assert "YP-" not in query and "AD-" not in query, url
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "/housing/" in logged  # requests were logged ...
    assert "YP-" not in logged and "AD-" not in logged  # ... without any pseudonym
    assert "ZZ1 1A" not in logged  # ... or any address


def test_failed_sign_ins_are_audited_without_unknown_names(signed_in, seeded):
    from sqlalchemy import text

    b = signed_in(None)
    b.post("/login", {"username": "hana", "password": "wrong-password"})
    b.post("/login", {"username": "my-secret-password", "password": "x"})
    with seeded[0].connect() as conn:
        rows = conn.execute(text("SELECT username, outcome FROM audit_event WHERE action = 'auth.login' "
                                 "ORDER BY seq")).all()
    assert ("hana", "denied") in rows and ("(unknown)", "denied") in rows
    assert all(r.username != "my-secret-password" for r in rows)


def test_checks_do_not_flood_the_log_with_same_day_surface_warnings(signed_in, info, caplog):
    caplog.set_level(logging.WARNING)
    hana = signed_in("hana")
    assert hana.post(f"/housing/referrals/{info.referrals['hana']}/check", {"postcodes": "ZZ1 1AA"}).status_code == 200
    assert not [r for r in caplog.records if "surface was fitted" in r.getMessage()]


def test_a_secret_key_shorter_than_32_bytes_is_refused():
    from web import create_app

    good = Settings(audit_key="a" * 32)
    with pytest.raises(ConfigError, match="GEO_RISK_SECRET_KEY is 31 bytes long; it must be at least 32"):
        create_app({"SECRET_KEY": "k" * 31, "GEO_RISK_SETTINGS": good})
    with pytest.raises(ConfigError, match="at least 32"):
        create_app({"TESTING": True, "SECRET_KEY": "short", "GEO_RISK_SETTINGS": good})
    assert create_app({"SECRET_KEY": "k" * 32, "GEO_RISK_SETTINGS": good}).config["SECRET_KEY"] == "k" * 32


def test_the_app_refuses_to_start_without_an_audit_key(tmp_path):
    from web import create_app

    with pytest.raises(ConfigError, match="GEO_RISK_AUDIT_KEY"):
        create_app({"SECRET_KEY": "k" * 32, "GEO_RISK_SETTINGS": Settings()})

    with pytest.raises(ConfigError, match="at least 32"):
        create_app({"SECRET_KEY": "k" * 32, "GEO_RISK_SETTINGS": Settings(audit_key="short")})
    key_file = tmp_path / "audit.key"
    key_file.write_text("f" * 40 + "\n")
    app = create_app({"SECRET_KEY": "k" * 32, "GEO_RISK_SETTINGS": Settings(audit_key_file=key_file)})
    assert app.config["GEO_RISK_AUDIT_KEY"] == b"f" * 40


def test_the_configured_audit_key_is_bound_to_an_engine_handed_in(tmp_path):
    from geo_risk import audit
    from geo_risk.store.engine import create_store_engine
    from web import create_app

    engine = create_store_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")
    app = create_app({"SECRET_KEY": "k" * 32, "GEO_RISK_ENGINE": engine,
                      "GEO_RISK_SETTINGS": Settings(audit_key="z" * 40)})
    with app.app_context():
        assert audit.key_for(app.extensions["geo_risk.store"].engine) == b"z" * 40
    engine.dispose()
