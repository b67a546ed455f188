"""The privacy officer's reports on the audit log: events in a date range, patterns and probing alerts.

Queries read :class:`~geo_risk.store.models.AuditEvent` rows (usernames and pseudonyms matched
without regard to case); :func:`summarise` and :func:`alerts_of` are pure. A check (a placement or
route check, through any door) keeps the candidate addresses it looked at in its event's
``details["candidates"]`` (a list of ``{"postcode", "x", "y"}``); the summary counts, for each
young person and user, the checks and the distinct candidate addresses in the range, which is what
gives away someone trying many addresses to find a place. A probing pattern is written to the log
as its own event (action :data:`ALERT_ACTION`), which the reports show first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from geo_risk.audit import AuditRecord, _record_of
from geo_risk.errors import ValidationError
from geo_risk.store.models import AuditEvent, User

ALERT_ACTION = "probing.alert"
# actions that check candidate addresses for a young person, from before checks kept their candidates
CHECK_ACTIONS = frozenset({"placement.check", "route.check", "api.placement.check", "api.route.check"})
_COLUMNS = ("seq", "at", "username", "role", "purpose", "pseudonym", "action", "outcome", "request_id", "prev_hash",
            "hash", "via", "target", "keyed", "details")


@dataclass(frozen=True)
class DateRange:
    """Whole days, both ends included (UTC); either end may be open."""

    start: dt.date | None = None
    end: dt.date | None = None

    def __post_init__(self) -> None:
        if self.start and self.end and self.end < self.start:
            msg = "the range must end on or after the day it starts"
            raise ValidationError(msg)

    @property
    def words(self) -> str:
        fmt = "%d %b %Y"
        if self.start and self.end:
            return f"from {self.start.strftime(fmt)} to {self.end.strftime(fmt)}"
        if self.start:
            return f"from {self.start.strftime(fmt)}"
        if self.end:
            return f"up to {self.end.strftime(fmt)}"
        return "all dates"

    def clause(self) -> list[Any]:
        out = []
        if self.start:
            out.append(AuditEvent.at >= dt.datetime.combine(self.start, dt.time()))
        if self.end:
            out.append(AuditEvent.at < dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time()))
        return out


@dataclass(frozen=True)
class Pattern:
    """How often one user checked candidate addresses for one young person in the range."""

    pseudonym: str
    username: str
    checks: int
    addresses: int
    first: dt.datetime
    last: dt.datetime


@dataclass(frozen=True)
class Alert:
    """A probing pattern the checks raised (an event with action :data:`ALERT_ACTION`)."""

    seq: int
    at: dt.datetime
    username: str
    pseudonym: str | None
    referral_id: Any
    checks: Any
    candidates: Any
    min_spacing_m: Any
    rule: str
    outcome: str = "allowed"
    places: tuple[str, ...] = ()  # the candidate addresses the alert is about, as words


def candidates_of(event: AuditRecord) -> list[dict[str, Any]]:
    """The candidate addresses an event's details name (empty when it names none)."""
    found = (event.details or {}).get("candidates")
    return [c for c in found if isinstance(c, dict)] if isinstance(found, list) else []


def address_key(candidate: dict[str, Any]) -> str | None:
    """One key per address: the postcode (spaces and case ignored), else the point to the metre."""
    postcode = candidate.get("postcode")
    if isinstance(postcode, str) and postcode.strip():
        return "".join(postcode.split()).upper()
    try:
        return f"{round(float(candidate['x']))},{round(float(candidate['y']))}"
    except (KeyError, TypeError, ValueError):
        return None


def address_words(candidate: dict[str, Any]) -> str:
    """A candidate as a privacy officer reads it: its postcode, else its easting and northing."""
    postcode = candidate.get("postcode")
    if isinstance(postcode, str) and postcode.strip():
        return postcode.strip().upper()
    key = address_key(candidate)
    return f"point {key.replace(',', ', ')}" if key else "unknown place"


def is_check(event: AuditRecord) -> bool:
    """Whether the event is a check of candidate addresses for a young person (a probing alert, which
    repeats the candidates of the checks it is about, is not)."""
    return (bool(event.pseudonym) and event.action != ALERT_ACTION
            and (event.action in CHECK_ACTIONS or bool(candidates_of(event))))


def summarise(events: Iterable[AuditRecord]) -> list[Pattern]:
    """Checks and distinct candidate addresses per (young person, user), most addresses first."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for e in events:
        if not is_check(e) or e.outcome != "allowed":
            continue
        g = groups.setdefault((e.pseudonym, e.username), {"checks": 0, "keys": set(), "first": e.at, "last": e.at})
        g["checks"] += 1
        g["keys"].update(k for k in map(address_key, candidates_of(e)) if k)
        g["first"], g["last"] = min(g["first"], e.at), max(g["last"], e.at)
    rows = [Pattern(pseudonym=p, username=u, checks=g["checks"], addresses=len(g["keys"]), first=g["first"],
                    last=g["last"]) for (p, u), g in groups.items()]
    return sorted(rows, key=lambda r: (-r.addresses, -r.checks, r.pseudonym, r.username))


def alerts_of(events: Iterable[AuditRecord]) -> list[Alert]:
    """The probing alerts among ``events``, newest first."""
    out = []
    for e in events:
        if e.action != ALERT_ACTION:
            continue
        d = e.details or {}
        listed = candidates_of(e)
        # the candidates come as the list of addresses (counted here) or as a number
        count = len({k for k in map(address_key, listed) if k}) if listed else d.get("candidates")
        out.append(Alert(seq=e.seq, at=e.at, username=e.username, pseudonym=e.pseudonym,
                         referral_id=d.get("referral_id"), checks=d.get("checks"), candidates=count,
                         min_spacing_m=d.get("min_spacing_m"), rule=str(d.get("rule") or ""), outcome=e.outcome,
                         places=tuple(dict.fromkeys(address_words(c) for c in listed))))
    return sorted(out, key=lambda a: (a.at, a.seq), reverse=True)


# --------------------------------------------------------------------------- queries


def _select(conn: Connection | Session, where: Sequence[Any], limit: int) -> list[AuditRecord]:
    cols = AuditEvent.__table__.c
    stmt = select(*(cols[name] for name in _COLUMNS)).where(*where).order_by(cols.seq.desc()).limit(limit)
    return [_record_of(r) for r in conn.execute(stmt)]


def _who(*, pseudonym: str | None, username: str | None) -> list[Any]:
    where = []
    if pseudonym is not None:
        where.append(func.upper(AuditEvent.pseudonym) == pseudonym.strip().upper())
    if username is not None:
        where.append(func.lower(AuditEvent.username) == username.strip().lower())
    return where


def events(conn: Connection | Session, *, pseudonym: str | None = None, username: str | None = None,
           dates: DateRange | None = None, limit: int = 1000) -> list[AuditRecord]:
    """Events in ``dates`` about one young person and/or by one user (any case), newest first."""
    return _select(conn, [*_who(pseudonym=pseudonym, username=username), *(dates or DateRange()).clause()], limit)


def check_events(conn: Connection | Session, *, pseudonym: str | None = None, username: str | None = None,
                 dates: DateRange | None = None, limit: int = 50_000) -> list[AuditRecord]:
    """The checks of candidate addresses in ``dates`` (what :func:`summarise` counts), newest first."""
    kinds = or_(AuditEvent.action.in_(sorted(CHECK_ACTIONS)), AuditEvent.details.is_not(None))
    return [e for e in _select(conn, [*_who(pseudonym=pseudonym, username=username), *(dates or DateRange()).clause(), kinds,
                                      AuditEvent.pseudonym.is_not(None), AuditEvent.action != ALERT_ACTION], limit)
            if is_check(e)]


def alert_events(conn: Connection | Session, *, pseudonym: str | None = None, username: str | None = None,
                 dates: DateRange | None = None, limit: int = 500) -> list[Alert]:
    """Probing alerts in ``dates`` about one young person and/or raised by one user's checks."""
    return alerts_of(_select(conn, [*_who(pseudonym=pseudonym, username=username), *(dates or DateRange()).clause(),
                                    AuditEvent.action == ALERT_ACTION], limit))


def known_username(conn: Connection | Session, typed: str) -> str | None:
    """The username ``typed`` names, matched without regard to case: an account's, else one the log holds."""
    wanted = typed.strip().lower()
    if not wanted:
        return None
    found = conn.execute(select(User.username).where(func.lower(User.username) == wanted).limit(1)).scalar()
    if found is None:
        found = conn.execute(select(AuditEvent.username).where(func.lower(AuditEvent.username) == wanted)
                             .limit(1)).scalar()
    return found
