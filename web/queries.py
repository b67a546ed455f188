"""Small repository functions the views call (no SQL in views)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geo_risk import accounts
from geo_risk.errors import NotFound
from geo_risk.service.people import children_among
from geo_risk.store.models import (
    Assessment,
    Link,
    Person,
    Place,
    Referral,
    TensionOverride,
    User,
)


def current_user_row(session: Session, user_id: int) -> User:
    user = accounts.get_user_by_id(session, user_id)
    if user is None:
        raise NotFound("no such user")
    return user


def my_live_referrals(session: Session, user_id: int, as_of: dt.datetime, purpose: str) -> list[Referral]:
    return accounts.live_referrals(session, current_user_row(session, user_id), as_of, purpose=purpose)


def policy_versions(session: Session) -> list[tuple[str, int, dt.datetime | None]]:
    rows = session.execute(
        select(Assessment.policy_version, func.count(), func.max(Assessment.created_at))
        .group_by(Assessment.policy_version).order_by(Assessment.policy_version)
    ).all()
    return [(r[0], int(r[1]), r[2]) for r in rows]


# --------------------------------------------------------------------------- people


def people(session: Session, *, children_only: bool = True, limit: int = 2000) -> list[Person]:
    stmt = select(Person).order_by(Person.pseudonym).limit(limit)
    if children_only:
        stmt = stmt.where(Person.is_child.is_(True))
    return list(session.execute(stmt).scalars())


def person_by_id(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None or not person.is_child:
        raise NotFound("no such young person")
    return person


def person_by_pseudonym(session: Session, pseudonym: str) -> Person | None:
    return session.execute(select(Person).where(Person.pseudonym == pseudonym)).scalar_one_or_none()


def evidence_children(session: Session, target_kind: str, target_id: str) -> list[str]:
    """Children a link (either end) or a place (its owner) concerns; empty if there is no such target."""
    if target_kind == "link":
        row = session.execute(select(Link.from_kind, Link.from_key, Link.to_kind, Link.to_key)
                              .where(Link.link_id == str(target_id))).first()
        keys = [] if row is None else [k for kind, k in ((row[0], row[1]), (row[2], row[3])) if kind == "person"]
    elif target_kind == "place":
        row = session.execute(select(Place.entity_kind, Place.entity_key)
                              .where(Place.place_id == str(target_id))).first()
        keys = [row[1]] if row is not None and row[0] == "person" else []
    else:
        keys = []
    return children_among(session, keys)


# --------------------------------------------------------------------------- notices


def add_override(session: Session, *, urn: str, level: str, reason: str, user_id: int, at: dt.datetime,
                 expires_at: dt.datetime) -> TensionOverride:
    row = TensionOverride(school_urn=str(urn), level=level, reason=reason, set_by=user_id, set_at=at,
                          expires_at=expires_at)
    session.add(row)
    session.flush()
    return row


def referral_rows(session: Session, limit: int = 500) -> list[tuple[Referral, str]]:
    rows = session.execute(
        select(Referral, User.username).join(User, User.id == Referral.user_id)
        .order_by(Referral.id.desc()).limit(limit)
    ).all()
    return [(r[0], r[1]) for r in rows]


def users_by_role(session: Session, roles: tuple[str, ...]) -> list[User]:
    return list(session.execute(
        select(User).where(User.role.in_(roles), User.disabled.is_(False)).order_by(User.username)
    ).scalars())
