"""What the checks made through one referral may reveal: the budget, the spacing rule, the probing alert.

A housing or transport officer checks candidate addresses for one young person. Each answer says
how far an address is from places of concern (rounded up to the policy's
``probing.distance_step_m``); many answers could be intersected to locate those places. So, per
referral, in any ``probing.window_hours`` (:class:`geo_risk.config.ProbingPolicy`), counting the
checks the officer made through every referral of theirs for the same young person and purpose (a
second or renewed referral is no fresh start):

- at most ``max_checks`` checks and ``max_candidates`` different candidate addresses: beyond them a
  check is refused with :class:`TooManyChecks` (HTTP 429, with when to try again);
- every candidate at least ``min_spacing_m`` from every other one the officer checked for the
  young person in the window (the same address again is fine): a closer one is refused with a
  :class:`~geo_risk.errors.ValidationError` naming the rule.

The history is the audit log itself: each answered check's event carries the referral id and
its candidates (postcode and EPSG:27700 easting and northing) in ``details``, covered by the
chain's HMAC. A refused check is audited too (outcome ``denied``, with the candidates asked about).

A probing alert is an audit event with action ``probing.alert``, the young person's pseudonym
and details ``{"referral_id", "checks", "candidates", "min_spacing_m", "rule"}`` (the privacy
officer's pages show them). :func:`probing_rule` says which rule a referral's candidates meet:
``budget`` (a check was refused for the budget), ``grid`` (at least ``alert_min_candidates``
candidates whose nearest-neighbour spacings vary by at most ``grid_max_variation``, their
coefficient of variation: a regular grid) or ``cluster`` (at least ``alert_min_candidates``
candidates all within ``cluster_radius_m`` of their centre). One alert per referral, rule and
window.

The budget and the rules are pure functions of the history (:func:`check_budget`,
:func:`probing_rule`); reading and writing the audit log is at the edge (:func:`history_of`,
:func:`record_check`, :func:`record_refused`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from geo_risk import audit
from geo_risk.config import ProbingPolicy
from geo_risk.errors import GeoRiskError, ValidationError
from geo_risk.store.engine import session_scope
from geo_risk.store.models import AuditEvent

ALERT_ACTION = "probing.alert"
_PG_LOCK_CLASS = 7_314  # arbitrary: the class of the advisory locks on an officer's checks for a young person
POSTCODES_ONLY = ("give the candidate addresses as postcodes: housing and transport checks take postcodes from "
                  "the loaded address data only, not points or map clicks")


class TooManyChecks(GeoRiskError):
    """A referral's checks would go over the policy's budget; ``retry_after`` is in whole seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


@dataclass(frozen=True)
class Candidate:
    """A candidate address as kept in the audit log: its postcode (None for an analyst's point) and
    EPSG:27700 easting and northing to the metre."""

    postcode: str | None
    x: int
    y: int

    @property
    def key(self) -> str:
        return self.postcode if self.postcode else f"{self.x},{self.y}"

    def to_dict(self) -> dict[str, Any]:
        return {"postcode": self.postcode, "x": self.x, "y": self.y}

    @classmethod
    def of(cls, postcode: str | None, easting: float, northing: float) -> Candidate:
        return cls(postcode, round(float(easting)), round(float(northing)))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Candidate:
        return cls(d.get("postcode"), int(d["x"]), int(d["y"]))


@dataclass(frozen=True)
class History:
    """The answered checks an officer made for one young person in the window, through any of their
    referrals: how many checks (saves of a decision record are not checks), the different
    candidates in the order first asked, and when each check and each candidate was first asked
    (for ``Retry-After``)."""

    checks: int
    candidates: tuple[Candidate, ...]
    check_times: tuple[dt.datetime, ...] = ()
    first_asked: tuple[dt.datetime, ...] = ()


def details_of(referral_id: int | None, candidates: Sequence[Candidate]) -> dict[str, Any]:
    """A check's audit details: the referral (when made through one) and its candidates."""
    out: dict[str, Any] = {"candidates": [c.to_dict() for c in candidates]}
    if referral_id is not None:
        out["referral_id"] = int(referral_id)
    return out


def history_of(session: Session, *, username: str, pseudonym: str, purpose: str, since: dt.datetime) -> History:
    """The answered checks ``username`` made through any referral for ``pseudonym`` and ``purpose``
    since ``since``, from the audit log (a check made through a referral carries its id)."""
    rows = session.execute(
        select(AuditEvent.action, AuditEvent.at, AuditEvent.details)
        .where(AuditEvent.username == username, AuditEvent.pseudonym == pseudonym, AuditEvent.purpose == purpose,
               AuditEvent.at >= since, AuditEvent.outcome == "allowed", AuditEvent.details.is_not(None))
        .order_by(AuditEvent.seq)
    ).all()
    checks: list[dt.datetime] = []
    seen: dict[str, tuple[Candidate, dt.datetime]] = {}
    for action, at, details in rows:
        d = audit.load_details(details)
        if not d or action == ALERT_ACTION or d.get("referral_id") is None:
            continue
        if str(action).endswith(".check"):
            checks.append(at)
        for c in d.get("candidates") or ():
            cand = Candidate.from_dict(c)
            seen.setdefault(cand.key, (cand, at))
    return History(checks=len(checks), candidates=tuple(c for c, _ in seen.values()), check_times=tuple(checks),
                   first_asked=tuple(at for _, at in seen.values()))


def _retry_after(times: Sequence[dt.datetime], now: dt.datetime, policy: ProbingPolicy, drop: int) -> int:
    """Seconds until ``drop`` of ``times`` (oldest first) have left the window."""
    ordered = sorted(times)
    if not ordered:
        return 1
    leave = ordered[min(max(drop, 1), len(ordered)) - 1] + dt.timedelta(hours=policy.window_hours)
    return max(1, math.ceil((leave - now).total_seconds()))


def _window_words(policy: ProbingPolicy) -> str:
    hours = policy.window_hours
    return "24 hours" if hours == 24 else f"{hours:g} hours"


def check_budget(history: History, asked: Sequence[Candidate], policy: ProbingPolicy, *, now: dt.datetime,
                 is_check: bool = True) -> None:
    """Refuse a check of ``asked`` that would go over the referral's budget or break the spacing rule.

    Raises
    ------
    TooManyChecks
        Over ``max_checks`` checks or ``max_candidates`` different candidates in the window.
    ValidationError
        A new candidate closer than ``min_spacing_m`` to another candidate of the referral's window.
    """
    window = _window_words(policy)
    if is_check and history.checks + 1 > policy.max_checks:
        wait = _retry_after(history.check_times, now, policy, history.checks + 1 - policy.max_checks)
        msg = (f"this young person has had {policy.max_checks} checks from you in {window}: the policy allows at "
               f"most {policy.max_checks} checks per referral in any {window}, counting every referral of yours "
               f"for the same young person. Try again in {_wait_words(wait)}, or ask the analyst.")
        raise TooManyChecks(msg, wait)
    known = {c.key for c in history.candidates}
    new = list({c.key: c for c in asked if c.key not in known}.values())
    total = len(known) + len(new)
    if total > policy.max_candidates:
        wait = _retry_after(history.first_asked, now, policy, total - policy.max_candidates)
        left = max(policy.max_candidates - len(known), 0)
        msg = (f"this check would take the referral to {total} different candidate addresses: the policy allows at "
               f"most {policy.max_candidates} per referral in any {window}, counting every referral of yours for "
               f"the same young person ({left} more now). Check fewer addresses, or try again in "
               f"{_wait_words(wait)}.")
        raise TooManyChecks(msg, wait)
    others = [*history.candidates]
    for c in new:
        for o in others:
            d = math.hypot(c.x - o.x, c.y - o.y)
            if d < policy.min_spacing_m:
                msg = (f"{c.postcode or 'a candidate'} is {d:.0f} m from {o.postcode or 'another candidate'}: "
                       f"candidate addresses checked for one young person must be at least "
                       f"{policy.min_spacing_m:.0f} m apart (within {window}, over all your referrals for them). "
                       "Choose one of the two, or an address farther away.")
                raise ValidationError(msg)
        others.append(c)


def _wait_words(seconds: int) -> str:
    if seconds >= 3600:
        hours = math.ceil(seconds / 3600)
        return f"{hours} hour{'s' if hours != 1 else ''}"
    minutes = max(1, math.ceil(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def min_spacing(candidates: Sequence[Candidate]) -> float | None:
    """The smallest distance between two different candidates (None with fewer than two)."""
    xy = np.array([(c.x, c.y) for c in candidates], dtype=float).reshape(-1, 2)
    if len(xy) < 2:
        return None
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    np.fill_diagonal(d, np.inf)
    return float(d.min())


def probing_rule(candidates: Sequence[Candidate], policy: ProbingPolicy) -> str | None:
    """``grid``, ``cluster`` or None: which probing pattern the referral's different candidates make.

    ``grid``: at least ``alert_min_candidates`` candidates whose nearest-neighbour distances have a
    coefficient of variation (standard deviation over mean) of at most ``grid_max_variation``.
    ``cluster``: at least ``alert_min_candidates`` candidates, all within ``cluster_radius_m`` of
    their mean point.
    """
    xy = np.array([(c.x, c.y) for c in candidates], dtype=float).reshape(-1, 2)
    if len(xy) < policy.alert_min_candidates:
        return None
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    np.fill_diagonal(d, np.inf)
    nearest = d.min(axis=1)
    if nearest.mean() > 0 and nearest.std() / nearest.mean() <= policy.grid_max_variation:
        return "grid"
    if np.hypot(*(xy - xy.mean(axis=0)).T).max() <= policy.cluster_radius_m:
        return "cluster"
    return None


def _alerted(session: Session, *, pseudonym: str, referral_id: int, rule: str, since: dt.datetime) -> bool:
    rows = session.execute(
        select(AuditEvent.details).where(AuditEvent.pseudonym == pseudonym, AuditEvent.action == ALERT_ACTION,
                                         AuditEvent.at >= since)
    ).scalars().all()
    for details in rows:
        d = audit.load_details(details) or {}
        if d.get("referral_id") == int(referral_id) and d.get("rule") == rule:
            return True
    return False


def record_alert(session: Session, actor: Any, *, purpose: str, pseudonym: str, referral_id: int, checks: int,
                 candidates: Sequence[Candidate], rule: str, policy: ProbingPolicy) -> bool:
    """Write a probing alert unless one for this referral and rule is in the window. Returns whether it did."""
    since = actor.now - dt.timedelta(hours=policy.window_hours)
    if _alerted(session, pseudonym=pseudonym, referral_id=referral_id, rule=rule, since=since):
        return False
    spacing = min_spacing(candidates)
    audit.record(session, username=actor.username, role=actor.role, purpose=purpose, pseudonym=pseudonym,
                 action=ALERT_ACTION, outcome="denied" if rule == "budget" else "allowed",
                 request_id=actor.request_id, at=actor.now,
                 details={"referral_id": int(referral_id), "checks": int(checks),
                          "candidates": [c.to_dict() for c in candidates],
                          "min_spacing_m": None if spacing is None else round(spacing), "rule": rule})
    return True


def guard(session: Session, actor: Any, *, policy: ProbingPolicy, purpose: str, pseudonym: str, referral_id: int,
          asked: Sequence[Candidate], action: str) -> History:
    """Check ``asked`` against the referral's budget and spacing rule; a refusal is audited (with the
    candidates asked about, and a ``budget`` alert) in its own transaction, then raised.

    First takes a lock on the officer's checks for the young person until the caller's transaction
    ends (PostgreSQL: an advisory lock on the officer, young person and purpose; SQLite: the
    database's write lock), so that two checks at once, through one referral or two, cannot both
    pass on the same history. On a refusal the caller's transaction is rolled
    back (releasing the lock) before the refusal is written.
    """
    _lock_checks(session, actor.username, pseudonym, purpose)
    since = actor.now - dt.timedelta(hours=policy.window_hours)
    past = history_of(session, username=actor.username, pseudonym=pseudonym, purpose=purpose, since=since)
    try:
        check_budget(past, asked, policy, now=actor.now, is_check=action.endswith(".check"))
    except (TooManyChecks, ValidationError) as exc:
        session.rollback()
        record_refused(session, actor, policy=policy, purpose=purpose, pseudonym=pseudonym, referral_id=referral_id,
                       asked=asked, action=action, history=past, budget=isinstance(exc, TooManyChecks))
        raise
    return past


def _lock_checks(session: Session, username: str, pseudonym: str, purpose: str) -> None:
    import hashlib

    from sqlalchemy import text

    name = session.get_bind().dialect.name
    if name == "postgresql":
        digest = hashlib.sha256(f"{username}\x00{pseudonym}\x00{purpose}".encode()).digest()
        key = (_PG_LOCK_CLASS << 48) | (int.from_bytes(digest[:6], "big") & (2**48 - 1))
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
    elif name == "sqlite":
        session.execute(text("DELETE FROM audit_event WHERE 0 = 1"))  # opens the write transaction


def record_refused(session: Session, actor: Any, *, policy: ProbingPolicy, purpose: str, pseudonym: str,
                   referral_id: int, asked: Sequence[Candidate], action: str, history: History, budget: bool) -> None:
    """The refused check (outcome ``denied``, with its candidates), and for a budget refusal the
    ``budget`` alert, in their own transaction (the check's own is rolled back)."""
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)
    with session_scope(engine) as s:
        audit.record(s, username=actor.username, role=actor.role, purpose=purpose, pseudonym=pseudonym,
                     action=action, outcome="denied", request_id=actor.request_id, at=actor.now,
                     details=details_of(referral_id, asked))
        if budget:
            every = list({c.key: c for c in (*history.candidates, *asked)}.values())
            record_alert(s, actor, purpose=purpose, pseudonym=pseudonym, referral_id=referral_id,
                         checks=history.checks, candidates=every, rule="budget", policy=policy)


def record_check(session: Session, actor: Any, *, policy: ProbingPolicy | None, purpose: str, pseudonym: str,
                 referral_id: int | None, asked: Sequence[Candidate], action: str, history: History | None) -> None:
    """The check's audit event with its candidates, in the caller's transaction; for a check made
    through a referral, the probing alert when the referral's candidates now meet a rule."""
    audit.record(session, username=actor.username, role=actor.role, purpose=purpose, pseudonym=pseudonym,
                 action=action, outcome="allowed", request_id=actor.request_id, at=actor.now,
                 details=details_of(referral_id, asked))
    if referral_id is None or history is None or policy is None:
        return
    every = list({c.key: c for c in (*history.candidates, *asked)}.values())
    rule = probing_rule(every, policy)
    if rule is not None:
        checks = history.checks + (1 if action.endswith(".check") else 0)
        record_alert(session, actor, purpose=purpose, pseudonym=pseudonym, referral_id=int(referral_id),
                     checks=checks, candidates=every, rule=rule, policy=policy)
