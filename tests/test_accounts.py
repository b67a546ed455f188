"""Users, argon2id hashes, API tokens and referrals."""

from __future__ import annotations

import datetime as dt

import pytest

from geo_risk import accounts
from geo_risk.errors import NotFound, ValidationError
from geo_risk.store import session_scope
from geo_risk.store.models import Person

NOW = dt.datetime(2026, 11, 1, 12, 0)
PW = "correct horse battery"


def _child(s, pseudonym="YP-0001", is_child=True):
    s.add(Person(pseudonym=pseudonym, is_child=is_child, source="social care", source_type="social_care"))
    s.flush()


def test_password_is_stored_as_argon2id_and_verifies(db):
    with session_scope(db) as s:
        user = accounts.create_user(s, "Alice", "analyst", PW)
        assert user.username == "alice"
        assert user.password_hash.startswith("$argon2id$")
        assert PW not in user.password_hash
        assert accounts.verify_password(user, PW)
        assert not accounts.verify_password(user, PW + "x")
        assert not accounts.verify_password(None, PW)
    with session_scope(db) as s:
        assert accounts.authenticate(s, "ALICE", PW).username == "alice"
        assert accounts.authenticate(s, "alice", "wrong password!") is None
        assert accounts.authenticate(s, "nobody", PW) is None


@pytest.mark.parametrize(
    ("username", "role", "password", "urns", "match"),
    [
        ("bob", "superuser", PW, (), "unknown role"),
        ("b", "analyst", PW, (), "username"),
        ("bob smith", "analyst", PW, (), "username"),
        ("bob", "analyst", "short", (), "at least"),
        ("bob", "school", PW, (), "school URN"),
        ("bob", "housing", PW, ("100001",), "only school users"),
        ("bob", "school", PW, ("10/01",), "not valid"),
    ],
)
def test_create_user_refuses_bad_input(db, username, role, password, urns, match):
    with session_scope(db) as s, pytest.raises(ValidationError, match=match):
        accounts.create_user(s, username, role, password, school_urns=urns)


def test_username_must_be_unique(db):
    with session_scope(db) as s:
        accounts.create_user(s, "carol", "admin", PW)
        with pytest.raises(ValidationError, match="taken"):
            accounts.create_user(s, "Carol", "admin", PW)


def test_school_urns_round_trip(db):
    with session_scope(db) as s:
        user = accounts.create_user(s, "head", "school", PW, school_urns=["100002", "100001", "100001"])
        assert accounts.user_school_urns(user) == ["100001", "100002"]


def test_disabling_ends_sessions_and_blocks_login_and_token(db):
    with session_scope(db) as s:
        user = accounts.create_user(s, "dave", "housing", PW)
        token = accounts.issue_token(s, user)
        assert accounts.user_for_token(s, token).id == user.id
        version = user.session_version
        accounts.set_disabled(s, user)
        assert user.session_version == version + 1
        assert accounts.user_for_token(s, token) is None
        assert accounts.authenticate(s, "dave", PW) is None


def test_tokens_are_stored_hashed_and_replaced(db):
    with session_scope(db) as s:
        user = accounts.create_user(s, "erin", "analyst", PW)
        first = accounts.issue_token(s, user)
        assert first not in (user.api_token_hash or "")
        second = accounts.issue_token(s, user)
        assert accounts.user_for_token(s, first) is None
        assert accounts.user_for_token(s, second).id == user.id
        assert accounts.user_for_token(s, "grk_guess") is None
        assert accounts.user_for_token(s, "") is None


def test_referrals_live_until_expiry_or_revocation(db):
    with session_scope(db) as s:
        _child(s, "YP-0001")
        _child(s, "YP-0002")
        housing = accounts.create_user(s, "hannah", "housing", PW)
        other = accounts.create_user(s, "harry", "housing", PW)
        analyst = accounts.create_user(s, "ann", "analyst", PW)
        r1 = accounts.grant_referral(s, "YP-0001", housing, "placement", NOW + dt.timedelta(days=30),
                                     details={"postcodes": ["ZZ1 1AA"]}, created_by=analyst, as_of=NOW)
        r2 = accounts.grant_referral(s, "YP-0002", housing, "placement", NOW + dt.timedelta(days=1), as_of=NOW)
        assert [r.id for r in accounts.live_referrals(s, housing, NOW)] == [r2.id, r1.id]
        assert [r.id for r in accounts.live_referrals(s, housing, NOW + dt.timedelta(days=2))] == [r1.id]
        assert accounts.live_referrals(s, other, NOW) == []
        assert accounts.has_live_referral(s, housing, "YP-0001", NOW, purpose="placement")
        assert not accounts.has_live_referral(s, other, "YP-0001", NOW)
        assert accounts.live_referral(s, housing, r1.id, NOW).child_pseudonym == "YP-0001"
        for who, rid, when in ((other, r1.id, NOW), (housing, r2.id, NOW + dt.timedelta(days=2)),
                               (housing, 99999, NOW)):
            with pytest.raises(NotFound, match="no such referral"):
                accounts.live_referral(s, who, rid, when)
        accounts.revoke_referral(s, r1.id, at=NOW)
        assert accounts.live_referrals(s, housing, NOW) == [r2]
        accounts.set_disabled(s, housing)
        assert accounts.live_referrals(s, housing, NOW) == []


def test_grant_referral_checks_role_purpose_expiry_and_child(db):
    with session_scope(db) as s:
        _child(s, "YP-0001")
        _child(s, "AD-0001", is_child=False)
        housing = accounts.create_user(s, "hannah", "housing", PW)
        transport = accounts.create_user(s, "tom", "transport", PW)
        school = accounts.create_user(s, "sam", "school", PW, school_urns=["100001"])
        later = NOW + dt.timedelta(days=7)
        with pytest.raises(ValidationError, match="placement referrals, not route"):
            accounts.grant_referral(s, "YP-0001", housing, "route", later, as_of=NOW)
        with pytest.raises(ValidationError, match="only housing and transport"):
            accounts.grant_referral(s, "YP-0001", school, "placement", later, as_of=NOW)
        with pytest.raises(ValidationError, match="future"):
            accounts.grant_referral(s, "YP-0001", transport, "route", NOW, as_of=NOW)
        with pytest.raises(NotFound):
            accounts.grant_referral(s, "YP-9999", transport, "route", later, as_of=NOW)
        with pytest.raises(NotFound):
            accounts.grant_referral(s, "AD-0001", transport, "route", later, as_of=NOW)
        assert accounts.grant_referral(s, "YP-0001", transport, "route", later, as_of=NOW).purpose == "route"


# --------------------------------------------------------------------------- CLI: geo-risk users


def _cli(args: list[str], db_url: str, input: str | None = None):
    from click.testing import CliRunner

    from geo_risk.cli import _context, main

    for cached in (_context.settings, _context.policy, _context.engine):
        cached.cache_clear()
    try:
        return CliRunner().invoke(main, args, input=input, env={"GEO_RISK_DATABASE_URL": db_url})
    finally:
        _context.engine().dispose()
        for cached in (_context.settings, _context.policy, _context.engine):
            cached.cache_clear()


def test_cli_users_add_list_disable_token(db, db_url):
    result = _cli(["users", "add", "Dora", "--role", "school", "--school", "100001", "--password", PW], db_url)
    assert result.exit_code == 0, result.output
    assert "added dora (school)" in result.output
    assert "--password is deprecated" in result.output
    prompted = _cli(["users", "add", "eve", "--role", "analyst"], db_url, input=f"{PW}\n{PW}\n")
    assert "added eve (analyst)" in prompted.output  # no enabled administrator yet: added at once
    assert prompted.exit_code == 0, prompted.output
    listing = _cli(["users", "list"], db_url)
    assert "dora" in listing.output and "100001" in listing.output and "eve" in listing.output
    token = _cli(["users", "token", "eve"], db_url).output.strip()
    assert token.startswith("grk_")
    assert _cli(["users", "disable", "eve"], db_url).exit_code == 0
    assert "disabled" in _cli(["users", "list"], db_url).output
    with session_scope(db) as s:
        assert accounts.user_for_token(s, token) is None
        assert accounts.authenticate(s, "eve", PW) is None
    bad = _cli(["users", "add", "xavier", "--role", "analyst", "--password", "short"], db_url)
    assert bad.exit_code == 2 and "at least 10 characters" in bad.output
    missing = _cli(["users", "disable", "nobody"], db_url)
    assert missing.exit_code == 2 and "no user" in missing.output


# --------------------------------------------------------------------------- issue 14: administrators


def _admins(s, *names):
    return [accounts.create_user(s, n, "admin", PW) for n in names]


def _actor(user, at=NOW):
    return accounts.Actor(username=user.username, role=user.role, user_id=user.id, request_id="req", at=at)


def _events(db):
    from geo_risk import audit

    with db.connect() as conn:
        return list(reversed(audit.recent_events(conn)))


def test_a_privileged_account_needs_a_second_administrator(db):
    from geo_risk.errors import AccessDenied

    with session_scope(db) as s:
        alice, _bob = _admins(s, "alice", "bob")
        asked = accounts.add_account(s, _actor(alice), "newana", "analyst", PW)
        assert not asked.done and asked.request is not None
        assert s.execute(accounts.select(accounts.User).where(accounts.User.username == "newana")).first() is None
        rid = asked.request.id
    with session_scope(db) as s, pytest.raises(AccessDenied, match="second administrator"):
        accounts.decide_request(s, _actor(accounts.get_user(s, "alice")), rid, approve=True)
    with session_scope(db) as s:
        done = accounts.decide_request(s, _actor(accounts.get_user(s, "bob")), rid, approve=True)
        code = done.activation_code
        user = accounts.get_user(s, "newana")
        assert user.role == "analyst" and user.activation_hash
        assert accounts.check_activation(user, code) and not accounts.check_activation(user, code + "x")
        assert accounts.verify_password(user, PW)  # the requester's password, and the approver's code: both needed
    events = [(e.username, e.action, e.target, e.outcome) for e in _events(db)]
    assert events == [("alice", "admin.user.request_create", "newana", "allowed"),
                      ("bob", "admin.request.approve", "newana", "allowed")]


def test_an_unprivileged_account_is_added_at_once_and_audited(db):
    with session_scope(db) as s:
        (alice,) = _admins(s, "alice")
        result = accounts.add_account(s, _actor(alice), "hanna", "housing", PW)
        assert result.done and result.user.role == "housing"
    assert [(e.action, e.target) for e in _events(db)] == [("admin.user.create", "hanna")]


def test_promotion_waits_for_approval_and_other_admin_actions_are_audited(db):
    with session_scope(db) as s:
        alice, bob = _admins(s, "alice", "bob")
        hanna = accounts.create_user(s, "hanna", "housing", PW)
        asked = accounts.change_role(s, _actor(alice), hanna, "analyst")
        assert not asked.done and hanna.role == "housing"
        rejected = accounts.decide_request(s, _actor(bob), asked.request.id, approve=False)
        assert rejected.activation_code is None and hanna.role == "housing"
        moved = accounts.change_role(s, _actor(alice), hanna, "transport")
        assert moved.done and hanna.role == "transport"
        accounts.disable_account(s, _actor(alice), hanna)
        accounts.enable_account(s, _actor(alice), hanna)
        with pytest.raises(ValidationError, match="your own role"):
            accounts.change_role(s, _actor(alice), alice, "analyst")
        with pytest.raises(ValidationError, match="your own account"):
            accounts.disable_account(s, _actor(alice), alice)
    assert [(e.username, e.action, e.target) for e in _events(db)] == [
        ("alice", "admin.user.request_role", "hanna"), ("bob", "admin.request.reject", "hanna"),
        ("alice", "admin.user.role", "hanna"), ("alice", "admin.user.disable", "hanna"),
        ("alice", "admin.user.enable", "hanna")]


def test_the_last_enabled_administrator_cannot_be_removed(db):
    with session_scope(db) as s:
        (alice,) = _admins(s, "alice")
        operator = accounts.Actor.operator("run-1", NOW)
        with pytest.raises(ValidationError, match="only enabled administrator"):
            accounts.disable_account(s, operator, alice)
        with pytest.raises(ValidationError, match="only enabled administrator"):
            accounts.change_role(s, operator, alice, "housing")


def test_only_the_holder_creates_their_token(db):
    from geo_risk.errors import AccessDenied

    with session_scope(db) as s:
        (alice,) = _admins(s, "alice")
        ana = accounts.create_user(s, "ana", "analyst", PW)
        with pytest.raises(AccessDenied):
            accounts.create_own_token(s, _actor(alice), ana, PW)
        with pytest.raises(ValidationError, match="password"):
            accounts.create_own_token(s, _actor(ana), ana, "not the password")
        token = accounts.create_own_token(s, _actor(ana), ana, PW)
        assert accounts.user_for_token(s, token).username == "ana"
    assert [(e.username, e.action, e.outcome) for e in _events(db)] == [("ana", "account.token.create", "allowed")]


def test_cli_bootstraps_the_first_admin_then_files_requests(db, db_url):
    first = _cli(["users", "add", "root", "--role", "admin"], db_url, input=f"{PW}\n{PW}\n")
    assert first.exit_code == 0 and "added root (admin)" in first.output
    second = _cli(["users", "add", "boss", "--role", "analyst", "--password-stdin"], db_url, input=f"{PW}\n")
    assert second.exit_code == 0 and "a second administrator must approve" in second.output
    with session_scope(db) as s, pytest.raises(NotFound):
        accounts.get_user(s, "boss")
    housing = _cli(["users", "add", "hanna", "--role", "housing", "--password-stdin"], db_url, input=f"{PW}\n")
    assert "added hanna (housing)" in housing.output
    listing = _cli(["users", "list"], db_url)
    assert "boss -> analyst" in listing.output
    events = _events(db)
    assert [e.action for e in events] == ["admin.user.create", "admin.user.request_create", "admin.user.create"]
    assert {e.via for e in events} == {"cli"} and {e.role for e in events} == {"operator"}
    assert all(e.username.startswith("cli:") for e in events)


@pytest.mark.parametrize("password", ["aaaaaaaaaa", "password12", "Password123!", "1234567890", "abcabcabca",
                                      "qwertyuiop", "P@ssw0rd2024", "iloveyou99", "abababab12"])
def test_common_breached_and_repetitive_passwords_are_refused(db, password):
    with session_scope(db) as s, pytest.raises(ValidationError, match="that password is"):
        accounts.create_user(s, "zed", "housing", password)


@pytest.mark.parametrize("password", ["correct horse battery", "zq8-Lm2k-Tr", "lantern orbit cactus"])
def test_uncommon_passwords_are_accepted(password):
    accounts.check_password_strength(password)


def test_the_operator_resets_a_lost_second_factor_and_it_is_audited(db, db_url):
    from geo_risk.errors import AccessDenied

    with session_scope(db) as s:
        (alice,) = _admins(s, "alice")
        ana = accounts.create_user(s, "ana", "analyst", PW)
        accounts.begin_totp(s, ana)
        import pyotp

        assert accounts.confirm_totp(s, ana, pyotp.TOTP(ana.totp_secret).at(NOW.replace(tzinfo=dt.UTC)), NOW)
        assert accounts.totp_enrolled(ana)
        with pytest.raises(AccessDenied):
            accounts.reset_two_factor(s, _actor(alice), ana)
    out = _cli(["users", "reset-two-factor", "ana"], db_url)
    assert out.exit_code == 0, out.output
    with session_scope(db) as s:
        assert not accounts.totp_enrolled(accounts.get_user(s, "ana"))
    assert [(e.action, e.target, e.via) for e in _events(db)] == [("admin.user.reset_two_factor", "ana", "cli")]
