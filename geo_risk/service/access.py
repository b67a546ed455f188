"""Who is acting, what they may read, and the audit event every read writes.

- :class:`Actor` is the acting user as a use case needs them: name, role, id, school scope,
  the request id their audit events share, and the moment they act.
- :func:`referral_for` resolves a referral id to a live referral of the actor; anything else
  (missing, someone else's, expired, revoked, wrong purpose, an id no table could hold) is the
  same :class:`~geo_risk.errors.NotFound`, and the refused attempt is audited on its own.
- :func:`record_read` writes one audit event in the caller's transaction: if it fails, the
  transaction (and so the read) fails. :func:`record_reads` writes one per young person shown.

The web app builds an :class:`Actor` from the signed-in user; the CLI from the operating-system
user running it (role ``operator``: someone with the server's database credentials, who could
read every table anyway, and whose reads are audited all the same).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from geo_risk import accounts, audit, tiers
from geo_risk.errors import AccessDenied, NotFound, ValidationError
from geo_risk.store.engine import session_scope
from geo_risk.store.models import Referral

log = logging.getLogger(__name__)

OPERATOR = "operator"
_MAX_ID = 2**63 - 1  # the largest id any table can hold (BIGINT); a larger one names nothing


@dataclass(frozen=True)
class Actor:
    """The acting user.

    Attributes
    ----------
    username, role
        As recorded in audit events; ``role`` is an account role or ``"operator"`` (the CLI).
    now
        When the actor acts (naive UTC): audit time, and the moment referrals must be live at.
    user_id
        The account id (``None`` for the CLI operator).
    school_urns
        The schools a school user may see.
    request_id
        Shared by every audit event of one request or command.
    """

    username: str
    role: str
    now: dt.datetime
    user_id: int | None = None
    school_urns: tuple[str, ...] = ()
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def is_operator(self) -> bool:
        return self.role == OPERATOR


def record_read(session: Session, actor: Actor, *, action: str, purpose: str, pseudonym: str | None,
                outcome: str = "allowed") -> None:
    """One audit event for ``actor`` in ``session``'s transaction."""
    audit.record(session, username=actor.username, role=actor.role, purpose=purpose, pseudonym=pseudonym,
                 action=action, outcome=outcome, request_id=actor.request_id, at=actor.now)


def record_reads(session: Session, actor: Actor, *, action: str, purpose: str, pseudonyms: Iterable[str | None],
                 outcome: str = "allowed") -> int:
    """One event per pseudonym in ``pseudonyms`` (same request id, caller's transaction).

    When the read showed no one, one event with no pseudonym still records the access.
    Returns the number of events written.
    """
    keys = [p for p in dict.fromkeys(pseudonyms) if p]
    if not keys:
        record_read(session, actor, action=action, purpose=purpose, pseudonym=None, outcome=outcome)
        return 1
    return len(audit.record_many(session, username=actor.username, role=actor.role, purpose=purpose,
                                 pseudonyms=keys, action=action, outcome=outcome, request_id=actor.request_id,
                                 at=actor.now))


def record_refusal(session: Session, actor: Actor, *, action: str, purpose: str,
                   pseudonym: str | None = None) -> None:
    """Record a refused read in its own transaction (the read's own transaction is rolled back)."""
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)
    with session_scope(engine) as s:
        record_read(s, actor, action=action, purpose=purpose, pseudonym=pseudonym, outcome="not_found")


def require_role(actor: Actor, *roles: str, what: str) -> None:
    """Refuse ``actor`` unless their role is one of ``roles`` (the CLI operator always passes)."""
    if actor.is_operator or actor.role in roles:
        return
    msg = f"the {actor.role} role may not {what}"
    raise AccessDenied(msg)


def as_id(value: int | str) -> int | None:
    """``value`` as a table id, or None if it cannot be one (not an integer, or out of range)."""
    try:
        out = int(value)
    except (TypeError, ValueError):
        return None
    return out if 0 < out <= _MAX_ID else None


@dataclass(frozen=True)
class _Caller:
    """The acting user as the referral check needs it (checked enabled when the request started)."""

    id: int
    disabled: bool = False


def referral_for(session: Session, actor: Actor, referral_id: int | str, purpose: str, *, action: str) -> Referral:
    """The actor's live referral ``referral_id`` for ``purpose``, else NotFound (audited as refused)."""
    rid = as_id(referral_id)
    try:
        if rid is None or actor.user_id is None:
            raise NotFound("no such referral")
        return accounts.live_referral(session, _Caller(actor.user_id), rid, actor.now, purpose=purpose)
    except NotFound:
        record_refusal(session, actor, action=action, purpose=purpose)
        raise


def who_checks(session: Session, actor: Actor, *, check: str, officer_role: str, purpose: str, child: str | None,
               referral_id: int | str | None, tier: str | None, action: str) -> tuple[str, str, str]:
    """(young person, tier, audit purpose) for a ``check`` ("placement" or "route") by ``actor``.

    The officer role (``officer_role``: housing for placements, transport for routes) checks through one
    of their own live referrals and sees the tier of the same name only. An analyst or the CLI operator
    names the young person and may choose any tier of ``check`` (the analyst's by default for an analyst,
    the officer's for the operator). Any other role is refused. Raises AccessDenied, NotFound (an unknown
    referral, audited as refused) or ValidationError (no young person named).
    """
    if actor.role == officer_role:
        if referral_id is None:
            msg = f"a {officer_role} officer checks {check}s through a referral"
            raise AccessDenied(msg)
        if tier not in (None, officer_role):
            msg = f"a {officer_role} officer sees the {officer_role} tier only"
            raise AccessDenied(msg)
        referral = referral_for(session, actor, referral_id, purpose, action=action)
        return referral.child_pseudonym, officer_role, purpose
    if actor.role == "analyst" or actor.is_operator:
        if not child:
            msg = f"name the young person (pseudonym) to check a {check} for"
            raise ValidationError(msg)
        chosen = tier or ("analyst" if actor.role == "analyst" else officer_role)
        tiers.check_tier(check, chosen)
        return child, chosen, ("analysis" if actor.role == "analyst" else purpose)
    msg = f"the {actor.role} role may not check {check}s"
    raise AccessDenied(msg)
