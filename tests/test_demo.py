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
