"""Issue 14: no administrator acts as anyone else, every admin action is audited, sign-in takes a
second factor for privileged roles (the synthetic city's demo and test accounts are exempt)."""

from __future__ import annotations

import re

import pyotp
from sqlalchemy import text

from geo_risk import accounts, audit
from geo_risk.store import session_scope
from web_seed import NOW, PASSWORD

from .conftest import Browser, csrf_of


def _events(engine) -> list[audit.AuditRecord]:
    with engine.connect() as conn:
        return list(reversed(audit.recent_events(conn, limit=1000)))


def _password_step(app, username: str, password: str = PASSWORD) -> Browser:
    b = Browser(app.test_client())
    b.get("/login")
    resp = b.post("/login", {"username": username, "password": password})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/login/continue"), resp.status_code
    b.get("/login/continue")
    return b


def _totp_at(secret: str, at) -> str:
    import datetime as dt

    return pyotp.TOTP(secret).at(at.replace(tzinfo=dt.UTC))


def test_an_admin_cannot_mint_a_token_for_someone_else(app, signed_in, info):
    adam = signed_in("adam")
    resp = adam.post(f"/admin/users/{info.users['ana']}/token")
    assert resp.status_code in (404, 405)
    assert "grk_" not in resp.get_data(as_text=True)
    with session_scope(app.config["GEO_RISK_ENGINE"]) as s:
        assert accounts.get_user(s, "ana").api_token_hash is None


def test_a_token_is_made_by_its_holder_and_reads_are_audited_as_token_or_session(app, signed_in, seeded):
    engine = seeded[0]
    hana = signed_in("hana")
    hana.get("/account")
    assert hana.post("/account/token", {"password": "wrong-password-0"}).status_code == 400
    token = re.search(r'id="new-token">(grk_[^<]+)<', hana.post("/account/token", {"password": PASSWORD})
                      .get_data(as_text=True)).group(1)
    api = app.test_client().get("/api/v1/referrals", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200
    hana.get("/housing/")
    events = _events(engine)
    made = [e for e in events if e.action == "account.token.create"]
    assert [(e.outcome, e.via) for e in made] == [("denied", "session"), ("allowed", "session")]
    reads = [e for e in events if e.username == "hana" and e.purpose != "account" and e.action != "auth.login"]
    assert {e.via for e in reads if e.action.startswith("api.")} == {"token"}
    assert {e.via for e in reads if not e.action.startswith("api.")} == {"session"}
    assert audit.verify(engine).ok


def test_creating_an_analyst_takes_two_admins_and_neither_can_sign_in_as_it(app, signed_in, seeded):
    engine = seeded[0]
    with session_scope(engine) as s:
        accounts.create_user(s, "alex", "admin", PASSWORD, demo_account=True)
    adam = signed_in("adam")
    adam.get("/admin/users")
    assert adam.post("/admin/users", {"username": "nadia", "role": "analyst",
                                      "password": "nadia-first-pass-7"}).status_code == 303
    page = adam.get("/admin/users").get_data(as_text=True)
    assert "nadia" in page and "another administrator decides" in page
    with engine.connect() as conn:
        rid = conn.execute(text("SELECT id FROM account_request WHERE username = 'nadia'")).scalar_one()
        assert conn.execute(text("SELECT count(*) FROM app_user WHERE username = 'nadia'")).scalar_one() == 0
    assert adam.post(f"/admin/requests/{rid}/approve").status_code == 403  # not one's own request
    alex = signed_in("alex")
    alex.get("/admin/users")
    approved = alex.post(f"/admin/requests/{rid}/approve").get_data(as_text=True)
    code = re.search(r'id="activation-code">([^<]+)<', approved).group(1)
    # the requester knows the password but not the code
    b = _password_step(app, "nadia", "nadia-first-pass-7")
    wrong = b.post("/login/continue", {"code": "act-guess"})
    assert wrong.status_code == 401 and "not right" in wrong.get_data(as_text=True)
    assert b.get("/analyst/").status_code == 302  # not signed in
    # the holder, with both: activation, then two-factor enrolment (a real account: no exemption)
    b = _password_step(app, "nadia", "nadia-first-pass-7")
    assert b.post("/login/continue", {"code": code}).status_code == 303
    enrol = b.get("/login/continue").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', enrol).group(1)
    b.token = csrf_of(enrol)
    done = b.post("/login/continue", {"code": _totp_at(secret, NOW)})
    assert done.status_code == 200 and len(re.findall(r"<li><code>", done.get_data(as_text=True))) == 10
    assert b.get("/analyst/").status_code == 200
    actions = [(e.username, e.action, e.target, e.outcome) for e in _events(engine)
               if e.purpose == "administration"]
    assert actions == [("adam", "admin.user.request_create", "nadia", "allowed"),
                       ("adam", "admin.request.approve", "nadia", "denied"),
                       ("alex", "admin.request.approve", "nadia", "allowed")]
    assert audit.verify(engine).ok


def test_every_admin_action_is_an_audit_event(app, signed_in, seeded, info):
    engine = seeded[0]
    adam = signed_in("adam")
    adam.get("/admin/users")
    harry = info.users["harry"]
    assert adam.post("/admin/users", {"username": "helen", "role": "housing",
                                      "password": "helen-first-pass-7"}).status_code == 303
    assert adam.post(f"/admin/users/{harry}/disable").status_code == 303
    assert adam.post(f"/admin/users/{harry}/enable").status_code == 303
    assert adam.post(f"/admin/users/{harry}/role", {"role": "transport"}).status_code == 303
    assert adam.post(f"/admin/users/{harry}/role", {"role": "admin"}).status_code == 303  # a request
    with session_scope(engine) as s:
        assert accounts.get_user(s, "harry").role == "transport"
    got = [(e.action, e.target, e.via) for e in _events(engine) if e.purpose == "administration"]
    assert got == [("admin.user.create", "helen", "session"), ("admin.user.disable", "harry", "session"),
                   ("admin.user.enable", "harry", "session"), ("admin.user.role", "harry", "session"),
                   ("admin.user.request_role", "harry", "session")]


def _real_analyst(engine, username="rhea"):
    with session_scope(engine) as s:
        accounts.create_user(s, username, "analyst", PASSWORD)


def _enrol(app, username="rhea") -> tuple[str, list[str]]:
    b = _password_step(app, username)
    page = b.get("/login/continue").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    done = b.post("/login/continue", {"code": _totp_at(secret, NOW)}).get_data(as_text=True)
    return secret, re.findall(r"<li><code>([^<]+)</code>", done)


def test_a_privileged_account_enrols_at_first_sign_in_then_needs_a_code(app, seeded, clock):
    engine = seeded[0]
    _real_analyst(engine)
    b = _password_step(app, "rhea")
    assert b.get("/analyst/").status_code == 302  # the password alone is not a session
    secret, codes = _enrol(app)
    assert len(codes) == 10
    clock.advance(minutes=2)
    b = _password_step(app, "rhea")
    page = b.get("/login/continue").get_data(as_text=True)
    assert "authenticator" in page and "totp-secret" not in page
    assert b.post("/login/continue", {"code": "000000"}).status_code == 401
    assert b.post("/login/continue", {"code": _totp_at(secret, clock.now)}).status_code == 302
    assert b.get("/analyst/").status_code == 200
    # a code is used once
    b2 = _password_step(app, "rhea")
    assert b2.post("/login/continue", {"code": _totp_at(secret, clock.now)}).status_code == 401
    # a recovery code works once
    clock.advance(minutes=2)
    b3 = _password_step(app, "rhea")
    assert b3.post("/login/continue", {"code": codes[0]}).status_code == 302
    b4 = _password_step(app, "rhea")
    assert b4.post("/login/continue", {"code": codes[0]}).status_code == 401


def test_wrong_codes_count_as_failed_sign_ins(app, seeded):
    _real_analyst(seeded[0])
    _enrol(app)
    b = _password_step(app, "rhea")  # the password is right, but counts as failed until the code is too
    for _ in range(4):
        assert b.post("/login/continue", {"code": "123456"}).status_code == 401
    assert b.post("/login/continue", {"code": "123456"}).status_code == 429
    c = Browser(app.test_client())
    c.get("/login")
    assert c.post("/login", {"username": "rhea", "password": PASSWORD}).status_code == 429


def test_wrong_codes_start_the_sign_in_over(app, seeded):
    from web import create_app

    _real_analyst(seeded[0])
    _enrol(app)
    roomy = create_app({**app.config, "GEO_RISK_LOGIN_LIMIT": (20, 300), "GEO_RISK_LOGIN_USER_LIMIT": (100, 300)})
    b = _password_step(roomy, "rhea")
    for _ in range(4):
        assert b.post("/login/continue", {"code": "123456"}).status_code == 401
    last = b.post("/login/continue", {"code": "123456"})
    assert last.status_code == 401 and "Sign in again" in last.get_data(as_text=True)
    again = b.get("/login/continue")  # nothing pending any more
    assert again.status_code == 200 and 'name="password"' in again.get_data(as_text=True)


def test_demo_accounts_are_exempt_only_on_the_synthetic_city(app, seeded):
    engine = seeded[0]
    page = app.test_client().get("/login").get_data(as_text=True)
    assert 'id="demo-two-factor"' in page
    with engine.begin() as conn:  # the data is no longer the synthetic city
        conn.execute(text("UPDATE area SET name = replace(name, '(synthetic)', '')"))
        conn.execute(text("UPDATE school SET name = replace(name, '(synthetic)', '')"))
    from web import create_app

    real = create_app({**app.config})
    assert 'id="demo-two-factor"' not in real.test_client().get("/login").get_data(as_text=True)
    b = Browser(real.test_client())
    b.get("/login")
    resp = b.post("/login", {"username": "ana", "password": PASSWORD})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/login/continue")
    # an unprivileged role is not asked
    b = Browser(real.test_client())
    b.get("/login")
    resp = b.post("/login", {"username": "hana", "password": PASSWORD})
    assert resp.status_code == 302 and "/login" not in resp.headers["Location"]


def test_optional_two_factor_for_other_roles(signed_in, app, clock):
    hana = signed_in("hana")
    hana.get("/account")
    page = hana.post("/account/two-factor", {"action": "begin"}).get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    assert hana.post("/account/two-factor", {"action": "confirm", "code": "000000"}).status_code == 400
    hana.post("/account/two-factor", {"action": "begin"})
    with session_scope(app.config["GEO_RISK_ENGINE"]) as s:
        secret = accounts.get_user(s, "hana").totp_secret
    on = hana.post("/account/two-factor", {"action": "confirm", "code": _totp_at(secret, clock.now)})
    assert on.status_code == 200 and "recovery-codes" in on.get_data(as_text=True)
    b = Browser(app.test_client())
    b.get("/login")
    assert b.post("/login", {"username": "hana", "password": PASSWORD}).status_code == 303  # now asked
