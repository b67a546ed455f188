"""Thin database functions for evidence reviews and disproportionality inputs.

The decisions themselves are checked by the pure functions of
:mod:`geo_risk.fairness.reviews`; these functions only read the rows they need and write
the planned changes, each with its :class:`~geo_risk.store.models.EvidenceReview` row, in
the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pandas as pd
from sqlalchemy import select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from geo_risk.contract import due_to_expire_clause
from geo_risk.errors import NotFound, ValidationError
from geo_risk.fairness import reviews as rv
from geo_risk.store.models import Assessment, EvidenceReview, Link, Person, Place, Referral, User

log = logging.getLogger(__name__)

_MODELS = {"link": (Link, Link.link_id), "place": (Place, Place.place_id)}
_EVIDENCE_COLS = ("evidence_grade", "source", "source_type", "first_seen", "last_seen", "review_by", "expires_at",
                  "status")
LINK_COLUMNS = ("link_id", "from_kind", "from_key", "to_kind", "to_key", "type", *_EVIDENCE_COLS)
PLACE_COLUMNS = ("place_id", "entity_kind", "entity_key", "kind", *_EVIDENCE_COLS)
_DATE_COLS = ("first_seen", "last_seen", "review_by", "expires_at")


def _frame(rows: list[Any], columns: tuple[str, ...]) -> pd.DataFrame:
    frame = pd.DataFrame([tuple(r) for r in rows], columns=list(columns))
    for col in _DATE_COLS:
        if col in frame.columns:
            frame[col] = pd.to_datetime(frame[col], errors="coerce").astype("datetime64[ns]")
    return frame


def _run(bind: Engine | Connection | Session, fn, *args, **kwargs):
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return fn(conn, *args, **kwargs)
    return fn(bind, *args, **kwargs)


def load_evidence(bind: Engine | Connection | Session) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every link and place (places without geometry), as data-contract frames."""
    return _run(bind, _load_evidence)


def _load_evidence(conn: Connection | Session) -> tuple[pd.DataFrame, pd.DataFrame]:
    links = conn.execute(select(*(getattr(Link, c) for c in LINK_COLUMNS)).order_by(Link.link_id)).all()
    places = conn.execute(select(*(getattr(Place, c) for c in PLACE_COLUMNS)).order_by(Place.place_id)).all()
    return _frame(links, LINK_COLUMNS), _frame(places, PLACE_COLUMNS)


def load_target(session: Session, target_kind: str, target_id: str, *, lock: bool = False) -> dict[str, Any]:
    """The current state of one link or place, as the mapping the ``plan_*`` functions take.

    Raises
    ------
    NotFound
        If there is no such link or place.
    """
    if target_kind not in _MODELS:
        msg = f"target_kind must be 'link' or 'place', got {target_kind!r}"
        raise ValidationError(msg)
    model, key = _MODELS[target_kind]
    stmt = select(model).where(key == str(target_id))
    if lock:
        stmt = stmt.with_for_update()
    obj = session.execute(stmt).scalar_one_or_none()
    if obj is None:
        msg = f"no {target_kind} with id {target_id!r}"
        raise NotFound(msg)
    current: dict[str, Any] = {"target_kind": target_kind, "target_id": str(target_id)}
    for col in ("evidence_grade", "source", "source_type", "first_seen", "last_seen", "review_by", "expires_at",
                "status"):
        current[col] = getattr(obj, col)
    return current


def apply_change(session: Session, change: rv.ReviewChange) -> EvidenceReview:
    """Write a planned change and its review record in the caller's transaction."""
    model, key = _MODELS[change.target_kind]
    if change.updates:
        result = session.execute(update(model).where(key == change.target_id).values(**dict(change.updates)))
        if result.rowcount == 0:
            msg = f"no {change.target_kind} with id {change.target_id!r}"
            raise NotFound(msg)
    review = EvidenceReview(
        target_kind=change.target_kind, target_id=change.target_id, action=change.action,
        old_grade=change.old_grade, new_grade=change.new_grade, reason=change.reason, user_id=change.user_id,
        at=change.at,
    )
    session.add(review)
    session.flush()
    log.info("evidence review: %s %s %s", change.action, change.target_kind, change.target_id)
    return review


def confirm(session: Session, target_kind: str, target_id: str, **kwargs: Any) -> rv.ReviewChange:
    """Confirm a link or place with new evidence (arguments of :func:`reviews.plan_confirm`)."""
    change = rv.plan_confirm(load_target(session, target_kind, target_id, lock=True), **kwargs)
    apply_change(session, change)
    return change


def downgrade(session: Session, target_kind: str, target_id: str, **kwargs: Any) -> rv.ReviewChange:
    """Lower a link's or place's grade (arguments of :func:`reviews.plan_downgrade`)."""
    change = rv.plan_downgrade(load_target(session, target_kind, target_id, lock=True), **kwargs)
    apply_change(session, change)
    return change


def expire(session: Session, target_kind: str, target_id: str, **kwargs: Any) -> rv.ReviewChange:
    """Expire a link or place now (arguments of :func:`reviews.plan_expire`)."""
    change = rv.plan_expire(load_target(session, target_kind, target_id, lock=True), **kwargs)
    apply_change(session, change)
    return change


def run_auto_expiry(session: Session, now: dt.datetime, *, dry_run: bool = False) -> tuple[rv.ReviewChange, ...]:
    """Mark every live link and place with ``expires_at <= now`` as expired, recording each.

    Returns the changes made (or, with ``dry_run``, that would be made).
    """
    links = session.execute(
        select(*(getattr(Link, c) for c in LINK_COLUMNS)).where(due_to_expire_clause(Link, now))
    ).all()
    places = session.execute(
        select(*(getattr(Place, c) for c in PLACE_COLUMNS)).where(due_to_expire_clause(Place, now))
    ).all()
    changes = rv.plan_auto_expiry(_frame(links, LINK_COLUMNS), _frame(places, PLACE_COLUMNS), now)
    if not dry_run:
        for change in changes:
            apply_change(session, change)
    log.info("automatic expiry at %s: %d link(s) and place(s)%s", now, len(changes), " (dry run)" if dry_run else "")
    return changes


def review_history(
    bind: Engine | Connection | Session, *, target_kind: str | None = None, target_id: str | None = None,
    limit: int = 500,
) -> pd.DataFrame:
    """Recorded review actions, newest first, with the reviewer's username."""
    return _run(bind, _review_history, target_kind, target_id, limit)


def _review_history(conn, target_kind, target_id, limit) -> pd.DataFrame:
    stmt = (
        select(EvidenceReview.at, EvidenceReview.target_kind, EvidenceReview.target_id, EvidenceReview.action,
               EvidenceReview.old_grade, EvidenceReview.new_grade, EvidenceReview.reason, User.username)
        .outerjoin(User, User.id == EvidenceReview.user_id)
        .order_by(EvidenceReview.at.desc(), EvidenceReview.id.desc())
        .limit(limit)
    )
    if target_kind is not None:
        stmt = stmt.where(EvidenceReview.target_kind == target_kind)
    if target_id is not None:
        stmt = stmt.where(EvidenceReview.target_id == str(target_id))
    columns = ("at", "target_kind", "target_id", "action", "old_grade", "new_grade", "reason", "username")
    frame = pd.DataFrame([tuple(r) for r in conn.execute(stmt).all()], columns=list(columns))
    frame["username"] = frame["username"].fillna("(automatic)")
    return frame


# --------------------------------------------------------------------------- fairness inputs


def load_fairness_inputs(
    bind: Engine | Connection | Session, *, since: dt.datetime | None = None, until: dt.datetime | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """People (with fairness-only columns and home area), referrals and assessments.

    ``since``/``until`` restrict referrals and assessments to those created in
    ``[since, until)``. Concern flags carry no date and are read as they stand.
    """
    return _run(bind, _load_fairness_inputs, since, until)


def _load_fairness_inputs(conn, since, until):
    people_cols = ("pseudonym", "is_child", "cce_concern", "cse_concern", "sex", "ethnicity", "home_area_code")
    people = pd.DataFrame(
        [tuple(r) for r in conn.execute(select(*(getattr(Person, c) for c in people_cols))).all()],
        columns=list(people_cols),
    )
    for col in ("is_child", "cce_concern", "cse_concern"):
        people[col] = people[col].fillna(False).astype(bool)
    ref_stmt = select(Referral.child_pseudonym, Referral.purpose, Referral.created_at)
    as_stmt = select(Assessment.child_pseudonym, Assessment.kind, Assessment.result, Assessment.created_at)
    if since is not None:
        ref_stmt = ref_stmt.where(Referral.created_at >= since)
        as_stmt = as_stmt.where(Assessment.created_at >= since)
    if until is not None:
        ref_stmt = ref_stmt.where(Referral.created_at < until)
        as_stmt = as_stmt.where(Assessment.created_at < until)
    referrals = pd.DataFrame([tuple(r) for r in conn.execute(ref_stmt).all()],
                             columns=["child_pseudonym", "purpose", "created_at"])
    assessments = pd.DataFrame([tuple(r) for r in conn.execute(as_stmt).all()],
                               columns=["child_pseudonym", "kind", "result", "created_at"])
    return people, referrals, assessments
