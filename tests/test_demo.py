"""The demo: synthetic city generated, imported through the real importers, users and referrals."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from geo_risk.demo import DEMO_ROLES, prepare_demo
from geo_risk.store.models import Incident, Link, Person, PopulationCount, Referral, StreetSegment, User

NOW = dt.datetime(2026, 11, 2, 9, 0)


def test_prepare_demo_then_reuse_then_reset(db, tmp_path):
    lines: list[str] = []
    info = prepare_demo(db, tmp_path, size="small", seed=7, progress=lines.append, now=NOW)
    assert info.generated and info.imported
    assert set(info.new_passwords) == set(DEMO_ROLES)
    assert any("police-uk" in line for line in lines)
    with db.connect() as conn:
        assert conn.execute(select(func.count(Incident.id))).scalar_one() > 4000
        assert conn.execute(select(func.count(StreetSegment.id))).scalar_one() > 1000
        assert conn.execute(select(func.count(Person.id))).scalar_one() > 100
        assert conn.execute(select(func.count(Link.id)).where(Link.status == "expired")).scalar_one() > 0
        assert conn.execute(select(func.count(PopulationCount.id))).scalar_one() > 0
        purposes = dict(conn.execute(select(Referral.purpose, func.count()).group_by(Referral.purpose)).all())
        roles = set(conn.execute(select(User.role)).scalars())
    assert purposes.get("placement", 0) >= 1 and purposes.get("route", 0) >= 1
    assert roles == set(DEMO_ROLES)
    assert info.referrals == purposes["placement"] + purposes["route"]

    again = prepare_demo(db, tmp_path, size="small", seed=7, progress=lines.append, now=NOW)
    assert not again.generated and not again.imported
    assert again.new_passwords == {} and again.referrals == 0
    with db.connect() as conn:
        assert conn.execute(select(func.count(Referral.id))).scalar_one() == info.referrals

    from geo_risk.accounts import verify_password

    with db.connect() as conn:
        hashes = dict(conn.execute(select(User.role, User.password_hash)).all())
    assert verify_password(hashes["housing"], info.new_passwords["housing"])

    fresh = prepare_demo(db, tmp_path, size="small", seed=7, reset=True, progress=lines.append, now=NOW)
    assert fresh.generated and fresh.imported
    assert set(fresh.new_passwords) == set(DEMO_ROLES)
    with db.connect() as conn:
        assert conn.execute(select(func.count(User.id))).scalar_one() == len(DEMO_ROLES)
        assert conn.execute(select(func.count(Referral.id))).scalar_one() == info.referrals


def test_an_old_demo_database_keeps_its_unkeyed_chain_and_its_exempt_accounts(tmp_path, monkeypatch):
    """A demo made before the audit chain was keyed: its key records from which event the chain is keyed,
    `geo-risk audit verify` then passes, and its accounts stay exempt from two-factor sign-in."""
    import datetime as dt

    from click.testing import CliRunner
    from sqlalchemy import text

    from geo_risk import accounts, audit
    from geo_risk.cli import _context, main
    from geo_risk.cli.demo import start_demo_audit_key
    from geo_risk.store import session_scope
    from geo_risk.store.engine import create_store_engine
    from geo_risk.store.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'geo-risk.sqlite'}"
    engine = create_store_engine(url)
    upgrade(engine)
    prev = audit.GENESIS_HASH
    for i in (1, 2):  # two events as an older release wrote them
        event = {"seq": i, "at": dt.datetime(2026, 11, 1, 9, i), "username": "demo-analyst", "role": "analyst",
                 "purpose": "analysis", "pseudonym": None, "action": "x", "outcome": "allowed", "request_id": "r",
                 "prev_hash": prev}
        prev = audit.event_hash(event)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO audit_event (seq, at, username, role, purpose, pseudonym, action, outcome, "
                              "request_id, prev_hash, hash) VALUES (:seq, :at, :username, :role, :purpose, "
                              ":pseudonym, :action, :outcome, :request_id, :prev_hash, :hash)"), {**event, "hash": prev})
    with session_scope(engine) as s:
        accounts.create_user(s, "demo-analyst", "analyst", "correct horse battery")  # no demo flag yet
    start_demo_audit_key(tmp_path, url)
    assert (tmp_path / "demo-audit-keyed-from").read_text().strip() == "3"
    key = (tmp_path / "demo-audit-key").read_bytes().strip()
    audit.bind_key(engine, key)
    with session_scope(engine) as s:
        audit.record(s, username="demo-admin", role="admin", purpose="x", pseudonym=None, action="x",
                     outcome="allowed", request_id="r", at=dt.datetime(2026, 12, 1))
    monkeypatch.delenv("GEO_RISK_AUDIT_KEY", raising=False)
    for cached in (_context.settings, _context.policy, _context.engine):
        cached.cache_clear()
    try:
        out = CliRunner().invoke(main, ["audit", "verify"], env={"GEO_RISK_DATA_DIR": str(tmp_path),
                                                                "GEO_RISK_DATABASE_URL": url})
    finally:
        _context.engine().dispose()
        for cached in (_context.settings, _context.policy, _context.engine):
            cached.cache_clear()
    assert out.exit_code == 0, out.output
    assert "3 events verified (2 from before the chain was keyed" in out.output
    from geo_risk.demo import _create_users

    _create_users(engine, ["900001"])
    with session_scope(engine) as s:
        assert accounts.get_user(s, "demo-analyst").demo_account
    engine.dispose()
