"""Finer access checks than the route table, and the audit write every read makes.

- :func:`referral_for` resolves a referral id to a live referral of the signed-in user;
  anything else (missing, someone else's, expired, revoked, wrong purpose) is the same
  :class:`~geo_risk.errors.NotFound`, and the refused attempt is audited on its own.
- :func:`audit_read` writes one audit event in the caller's transaction: if it fails,
  the transaction (and so the read) fails.
- :func:`audit_read_many` writes one event per young person a read shows (a list, a
  network, both ends of a link), with one insert, so each child's access report lists it.
- :func:`audit_refused_route` records a role refused a young-person route (outcome ``denied``),
  under the young person the URL names, so that child's access report lists the attempt.
"""

from __future__ import annotations

import logging

from flask import g
from sqlalchemy.orm import Session

from geo_risk import service
from geo_risk.service import Actor
from geo_risk.store.models import Referral
from web.extensions import store

log = logging.getLogger(__name__)


def actor() -> Actor:
    """The signed-in user as the use cases take them (this request's id and clock)."""
    user = g.user
    return Actor(username=user.username if user else "-", role=user.role if user else "-", now=g.now,
                 user_id=user.id if user else None, school_urns=tuple(getattr(user, "school_urns", ()) or ()),
                 request_id=g.request_id)


def audit_read(session: Session, *, action: str, purpose: str, pseudonym: str | None,
               outcome: str = "allowed") -> None:
    service.record_read(session, actor(), action=action, purpose=purpose, pseudonym=pseudonym, outcome=outcome)


def audit_read_many(session: Session, *, action: str, purpose: str, pseudonyms, outcome: str = "allowed") -> int:
    """One event per pseudonym in ``pseudonyms`` (same request id, caller's transaction).

    When the read showed no one, one event with no pseudonym still records the access.
    Returns the number of events written.
    """
    return service.record_reads(session, actor(), action=action, purpose=purpose, pseudonyms=pseudonyms,
                                outcome=outcome)


def audit_refusal(*, action: str, purpose: str, pseudonym: str | None = None) -> None:
    """Record a refused read in its own transaction (the read's transaction is rolled back)."""
    with store().transaction() as s:
        audit_read(s, action=action, purpose=purpose, pseudonym=pseudonym, outcome="not_found")


def referral_for(session: Session, referral_id: int, purpose: str, *, action: str) -> Referral:
    return service.referral_for(session, actor(), referral_id, purpose, action=action)


def _named_in(session: Session, view_args: dict) -> str | None:
    """The young person a young-person route's URL names (a person, referral or decision record id)."""
    from geo_risk.service.access import as_id
    from geo_risk.store.models import Assessment, Person

    for arg, model, column in (("pid", Person, "pseudonym"), ("rid", Referral, "child_pseudonym"),
                               ("aid", Assessment, "child_pseudonym")):
        if arg in view_args:
            key = as_id(view_args[arg])
            row = session.get(model, key) if key is not None else None
            return getattr(row, column) if row is not None else None
    return None


def audit_refused_route(endpoint: str, view_args: dict) -> None:
    """A signed-in user's role was refused ``endpoint`` (a young-person route): audit it, in its own
    transaction, as a denied read of the young person the URL names (or of no one)."""
    with store().transaction() as s:
        service.record_read(s, actor(), action=f"refused.{endpoint}", purpose="refused",
                            pseudonym=_named_in(s, view_args), outcome="denied")
