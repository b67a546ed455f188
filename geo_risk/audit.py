"""Append-only, keyed, hash-chained access log.

Every read of a young person's data, and every administrator's action on an account,
writes one :class:`~geo_risk.store.models.AuditEvent` in the same transaction
(:func:`record`). Each event carries an HMAC-SHA256, under a key kept outside the
database, of its own canonical JSON together with the previous event's hash, so
:func:`verify` can name the first event that was altered, deleted or reordered, even
by someone who could write to the database, drop its triggers and recompute the
chain: without the key they cannot make a valid HMAC.

The key comes from the settings (``GEO_RISK_AUDIT_KEY`` or ``GEO_RISK_AUDIT_KEY_FILE``,
at least 32 bytes): :func:`bind_key` ties one to an engine (the web app and the
command line do), otherwise the environment's is used. With no key no event is written,
so the read it would record fails. Events written before the chain was keyed (no
``keyed`` flag) are checked by their plain SHA-256 up to the point named by
``keyed_from`` (the ``audit_keyed_from`` setting); from there on every event must be keyed.

Each event also says how the actor was signed in (``via``: ``session``, ``token`` or
``cli``), set per request or run with :func:`use_via`, and for an administrator's action
which account it was about (``target``). An event may carry ``details``, a JSON object
(e.g. the candidate addresses a placement check looked at, with their coordinates); a keyed
event's MAC covers them when present. Events without details (all of those written before
migration ``0011``) are hashed exactly as before, so older chains still verify.

The chain is kept in order by serialising writers: on PostgreSQL with a
transaction-scoped advisory lock, on SQLite by taking the database's write lock
before reading the chain head. A migration (``0002``) adds triggers that refuse
``UPDATE`` and ``DELETE`` on ``audit_event`` on both backends.

A deleted *tail* (the newest events) leaves no hole in the chain; to detect it,
keep the head hash that ``geo-risk audit verify`` prints somewhere else and pass it
back with ``--head``.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import hmac
import json
import logging
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from geo_risk.errors import DataSourceError, ValidationError
from geo_risk.store.models import AuditEvent

log = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
OUTCOMES = ("allowed", "denied", "not_found", "error")
# Fields covered by the hash, in the canonical order. ``seq`` is checked through the
# links between events, so a reordering is told apart from an alteration.
HASHED_FIELDS = ("at", "username", "role", "purpose", "pseudonym", "action", "outcome", "request_id", "prev_hash")
# A keyed event's MAC covers these too, and ``details`` when an event has any (migration 0011).
KEYED_FIELDS = (*HASHED_FIELDS, "via", "target")
DETAILS_FIELD = "details"
MAX_DETAILS_CHARS = 200_000  # the canonical JSON of one event's details
VIAS = ("session", "token", "cli")
_VIA: contextvars.ContextVar[str | None] = contextvars.ContextVar("geo_risk_audit_via", default=None)
_BOUND_KEYS: weakref.WeakKeyDictionary[Engine, bytes] = weakref.WeakKeyDictionary()
_NO_KEY = ("no audit key is configured, so no audit event can be written and the read it records is refused: "
           "set GEO_RISK_AUDIT_KEY (or GEO_RISK_AUDIT_KEY_FILE) to at least 32 random bytes")
_PG_LOCK_KEY = 7_314_159_265  # arbitrary constant: the audit chain's advisory lock


@dataclass(frozen=True)
class AuditRecord:
    """One audit event as written (or read back)."""

    seq: int
    at: dt.datetime
    username: str
    role: str
    purpose: str
    pseudonym: str | None
    action: str
    outcome: str
    request_id: str
    prev_hash: str
    hash: str
    via: str | None = None
    target: str | None = None
    keyed: bool = False
    details: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": _format_at(self.at),
            "username": self.username,
            "role": self.role,
            "purpose": self.purpose,
            "pseudonym": self.pseudonym,
            "action": self.action,
            "outcome": self.outcome,
            "request_id": self.request_id,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
            "via": self.via,
            "target": self.target,
            "keyed": self.keyed,
            "details": self.details,
        }


@dataclass(frozen=True)
class VerifyResult:
    """What :func:`verify` found.

    Attributes
    ----------
    ok
        True when every event checks out (and the head matches ``expected_head`` if given).
    checked
        Number of events read.
    head_hash
        Hash of the newest event (keep it elsewhere to detect a deleted tail later).
    first_bad_seq
        ``seq`` of the first event that fails, or None.
    problem
        ``"altered"``, ``"deleted"``, ``"reordered"``, ``"unkeyed"`` or ``"head_mismatch"``;
        None when ok.
    message
        A sentence for people.
    """

    ok: bool
    checked: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    first_keyed_seq: int | None = None


def _format_at(at: dt.datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f")


def _normalise_at(at: dt.datetime) -> dt.datetime:
    if not isinstance(at, dt.datetime):
        msg = f"audit time must be a datetime, got {type(at).__name__}"
        raise ValidationError(msg)
    if at.tzinfo is not None:
        at = at.astimezone(dt.UTC).replace(tzinfo=None)
    return at


def canonical_json(event: dict[str, Any], *, keyed: bool = False) -> str:
    """The canonical JSON of an event's hashed fields (sorted keys, no spaces).

    A keyed event's ``details`` are included when it has any (not None); an event without
    them hashes as events did before details existed.
    """
    payload = {}
    for name in KEYED_FIELDS if keyed else HASHED_FIELDS:
        value = event.get(name)
        if isinstance(value, dt.datetime):
            value = _format_at(_normalise_at(value))
        payload[name] = value
    if keyed and event.get(DETAILS_FIELD) is not None:
        payload[DETAILS_FIELD] = event[DETAILS_FIELD]
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(event: dict[str, Any]) -> str:
    """SHA-256 (hex) of the event's canonical JSON, which includes ``prev_hash`` (unkeyed events)."""
    return hashlib.sha256(canonical_json(event).encode("utf-8")).hexdigest()


def event_mac(event: dict[str, Any], key: bytes) -> str:
    """HMAC-SHA256 (hex) under ``key`` of the event's canonical JSON with ``via``, ``target`` and
    ``details`` (when present)."""
    return hmac.new(key, canonical_json(event, keyed=True).encode("utf-8"), hashlib.sha256).hexdigest()


# --------------------------------------------------------------------------- key and channel


def bind_key(engine: Engine, key: bytes) -> None:
    """Use ``key`` for every event written through ``engine`` (the web app and CLI call this)."""
    from geo_risk.config import check_key_length

    check_key_length(key, "the audit key")
    _BOUND_KEYS[engine] = bytes(key)


def environment_key() -> bytes | None:
    """The key the settings give (``GEO_RISK_AUDIT_KEY`` / ``GEO_RISK_AUDIT_KEY_FILE``), or None."""
    from geo_risk.config import Settings

    return Settings.load().audit_key_bytes()


def key_for(bind: Session | Connection | Engine) -> bytes | None:
    """The key events written through ``bind`` are keyed with: bound to its engine, else the settings'."""
    if isinstance(bind, Session):
        bind = bind.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    key = _BOUND_KEYS.get(engine)
    return key if key is not None else environment_key()


def use_via(via: str | None) -> contextvars.Token:
    """Record ``via`` (``session``, ``token``, ``cli`` or None) on the events this context writes."""
    if via is not None and via not in VIAS:
        msg = f"audit via must be one of {', '.join(VIAS)} or None, got {via!r}"
        raise ValidationError(msg)
    return _VIA.set(via)


def current_via() -> str | None:
    return _VIA.get()


def _connection(session_or_conn: Session | Connection) -> Session | Connection:
    if isinstance(session_or_conn, (Session, Connection)):
        return session_or_conn
    msg = "audit.record needs a Session or Connection inside the reading transaction, not an Engine"
    raise ValidationError(msg)


def _dialect_name(bind: Session | Connection) -> str:
    return bind.get_bind().dialect.name if isinstance(bind, Session) else bind.dialect.name


def _lock_chain(bind: Session | Connection) -> None:
    """Serialise writers of the chain until the surrounding transaction ends."""
    name = _dialect_name(bind)
    if name == "postgresql":
        bind.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    elif name == "sqlite":
        # A write statement that changes nothing still opens the write transaction
        # (RESERVED lock), so the head read below cannot go stale before our insert.
        bind.execute(text("DELETE FROM audit_event WHERE 0 = 1"))


def record(
    session_or_conn: Session | Connection,
    *,
    username: str,
    role: str,
    purpose: str,
    pseudonym: str | None,
    action: str,
    outcome: str,
    request_id: str,
    at: dt.datetime,
    via: str | None = None,
    target: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditRecord:
    """Append one event to the chain inside the caller's transaction.

    The event is committed (or rolled back) together with the read it records; if
    it cannot be written (no audit key, a database error) this raises and the
    caller's read must fail too.

    Parameters
    ----------
    session_or_conn
        The session or connection of the transaction that reads the data.
    username, role
        Who read.
    purpose
        Why (``placement``, ``route``, ``briefing``, ``analysis``, ``audit``, ``administration`` ...).
    pseudonym
        The young person whose data was read, or None for reads about no one.
    action
        What was done, e.g. ``placement.check`` or ``api.network.view``.
    outcome
        One of ``allowed``, ``denied``, ``not_found``, ``error``.
    request_id
        The web request id (or a CLI run id) to join the event to logs.
    at
        When, in UTC (naive or aware).
    via
        How the actor was signed in (``session``, ``token``, ``cli``); default the one
        set for this request or run with :func:`use_via`.
    target
        The account an administrator's action was about, if any.
    details
        A JSON object kept with the event and covered by its MAC (e.g. ``{"candidates": [...]}``).
    """
    return _append(session_or_conn, [pseudonym], username=username, role=role, purpose=purpose, action=action,
                   outcome=outcome, request_id=request_id, at=at, via=via, target=target, details=details,
                   what="the audit event could not be written, so the read it records is refused")[0]


def record_many(
    session_or_conn: Session | Connection,
    *,
    username: str,
    role: str,
    purpose: str,
    pseudonyms: Iterable[str | None],
    action: str,
    outcome: str,
    request_id: str,
    at: dt.datetime,
    via: str | None = None,
) -> list[AuditRecord]:
    """Append one event per pseudonym (same who, why, what and request), in one insert.

    Used when one read shows several young people (a list, a network): each of them
    gets an event, so the per-person report lists the read. The chain lock is taken and
    the head read once; the events are keyed in order and written with a single
    multi-row insert, inside the caller's transaction (see :func:`record`).

    Parameters
    ----------
    pseudonyms
        The young people shown, in the order to record them; duplicates are dropped.
    username, role, purpose, action, outcome, request_id, at, via
        As for :func:`record`.

    Returns
    -------
    list of AuditRecord
        The events written (empty when ``pseudonyms`` is empty: nothing is written).
    """
    keys = list(dict.fromkeys(pseudonyms))
    return _append(session_or_conn, keys, username=username, role=role, purpose=purpose, action=action,
                   outcome=outcome, request_id=request_id, at=at, via=via, target=None, details=None,
                   what="the audit events could not be written, so the read they record is refused")


def _append(session_or_conn: Session | Connection, pseudonyms: list[str | None], *, username: str, role: str,
            purpose: str, action: str, outcome: str, request_id: str, at: dt.datetime, via: str | None,
            target: str | None, what: str, details: dict[str, Any] | None = None) -> list[AuditRecord]:
    bind = _connection(session_or_conn)
    if outcome not in OUTCOMES:
        msg = f"audit outcome must be one of {', '.join(OUTCOMES)}, got {outcome!r}"
        raise ValidationError(msg)
    for name, value in (("username", username), ("role", role), ("purpose", purpose), ("action", action),
                        ("request_id", request_id)):
        if not isinstance(value, str) or not value:
            msg = f"audit {name} must be a non-empty string"
            raise ValidationError(msg)
    via = via if via is not None else _VIA.get()
    if via is not None and via not in VIAS:
        msg = f"audit via must be one of {', '.join(VIAS)} or None, got {via!r}"
        raise ValidationError(msg)
    if target is not None and (not isinstance(target, str) or not target or len(target) > 80):
        msg = "audit target must be a username (1-80 characters) or None"
        raise ValidationError(msg)
    details = _check_details(details)
    if not pseudonyms:
        return []
    at = _normalise_at(at)
    key = key_for(bind)
    if key is None:
        raise DataSourceError(_NO_KEY)
    out: list[AuditRecord] = []
    try:
        _lock_chain(bind)
        head = bind.execute(
            select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
        ).first()
        seq = 0 if head is None else int(head[0])
        prev_hash = GENESIS_HASH if head is None else str(head[1])
        rows = []
        for pseudonym in pseudonyms:
            seq += 1
            event = {
                "seq": seq, "at": at, "username": username, "role": role, "purpose": purpose,
                "pseudonym": pseudonym, "action": action, "outcome": outcome, "request_id": request_id,
                "prev_hash": prev_hash, "via": via, "target": target, "details": details,
            }
            digest = event_mac(event, key)
            rows.append({**event, "hash": digest, "keyed": True})
            out.append(AuditRecord(hash=digest, keyed=True, **event))
            prev_hash = digest
        bind.execute(insert(AuditEvent.__table__), rows)
    except ValidationError:
        raise
    except Exception as exc:
        raise DataSourceError(what) from exc
    return out


def _check_details(details: Any) -> dict[str, Any] | None:
    """``details`` as it will be stored and hashed (a JSON round trip), or None; refuses anything else."""
    if details is None:
        return None
    if not isinstance(details, dict):
        msg = "audit details must be a JSON object (a dict) or None"
        raise ValidationError(msg)
    try:
        text = json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        msg = f"audit details must be plain JSON (texts, whole or finite numbers, lists, objects): {exc}"
        raise ValidationError(msg) from exc
    if len(text) > MAX_DETAILS_CHARS:
        msg = f"audit details are {len(text)} characters of JSON; at most {MAX_DETAILS_CHARS} are kept"
        raise ValidationError(msg)
    return json.loads(text)


_COLUMNS = ("seq", "at", "username", "role", "purpose", "pseudonym", "action", "outcome", "request_id", "prev_hash",
            "hash", "via", "target", "keyed", "details")


def _record_of(row: Any) -> AuditRecord:
    return AuditRecord(
        seq=int(row.seq), at=row.at, username=row.username, role=row.role, purpose=row.purpose,
        pseudonym=row.pseudonym, action=row.action, outcome=row.outcome, request_id=row.request_id,
        prev_hash=row.prev_hash, hash=row.hash, via=row.via, target=row.target, keyed=bool(row.keyed),
        details=load_details(row.details),
    )


def load_details(value: Any) -> dict[str, Any] | None:
    """Stored details as a dict (a driver may hand back the JSON text)."""
    if value is None or isinstance(value, dict):
        return value
    return json.loads(value)


def _rows(conn: Connection, *, batch: int = 5000) -> Iterator[AuditRecord]:
    cols = AuditEvent.__table__.c
    result = conn.execution_options(stream_results=True, yield_per=batch).execute(
        select(*(cols[name] for name in _COLUMNS)).order_by(cols.seq)
    )
    for row in result:
        yield _record_of(row)


def check_chain(events: Iterable[AuditRecord], *, key: bytes | None, keyed_from: int = 1,
                expected_head: str | None = None) -> VerifyResult:
    """Check a sequence of events ordered by ``seq``; see :func:`verify`."""
    events = list(events)
    seen_hashes: dict[str, int] = {}
    prev: AuditRecord | None = None
    first_keyed: int | None = None
    for event in events:
        if event.keyed:
            if key is None:
                msg = ("the audit chain is keyed: set GEO_RISK_AUDIT_KEY (or GEO_RISK_AUDIT_KEY_FILE) to the key "
                       "the app writes with to verify it")
                raise ValidationError(msg)
            if not hmac.compare_digest(event_mac(event.to_dict(), key), event.hash):
                return _bad(events, event.seq, "altered",
                            f"event {event.seq} was altered: its contents no longer match its keyed hash "
                            "(or the audit key is not the one it was written with)", first_keyed)
            if first_keyed is None:
                first_keyed = event.seq
        else:
            if first_keyed is not None or event.seq >= keyed_from:
                since = first_keyed if first_keyed is not None else keyed_from
                return _bad(events, event.seq, "unkeyed",
                            f"event {event.seq} is not keyed, but the chain is keyed from event {since}: it was "
                            "rewritten without the key. If this chain was begun before the audit key was set, "
                            "check when its first keyed event was written and set GEO_RISK_AUDIT_KEYED_FROM "
                            "to that event's number", first_keyed)
            if event_hash(event.to_dict()) != event.hash:
                return _bad(events, event.seq, "altered",
                            f"event {event.seq} was altered: its contents no longer match its hash", first_keyed)
        if prev is None:
            if event.prev_hash != GENESIS_HASH or event.seq != 1:
                return _bad(events, event.seq, "deleted",
                            f"events before {event.seq} were deleted: the chain does not start at the beginning",
                            first_keyed)
        elif event.prev_hash != prev.hash:
            later = {e.hash: e.seq for e in events if e.seq > event.seq}
            if event.prev_hash in seen_hashes or event.prev_hash in later:
                return _bad(events, event.seq, "reordered",
                            f"event {event.seq} was reordered: it does not follow event {prev.seq} in the chain",
                            first_keyed)
            return _bad(events, event.seq, "deleted",
                        f"events between {prev.seq} and {event.seq} were deleted: the chain link is missing",
                        first_keyed)
        elif event.seq != prev.seq + 1:
            return _bad(events, event.seq, "altered",
                        f"event {event.seq} was renumbered: it follows {prev.seq} in the chain", first_keyed)
        seen_hashes[event.hash] = event.seq
        prev = event
    head = prev.hash if prev is not None else GENESIS_HASH
    legacy = (first_keyed - 1) if first_keyed is not None else len(events)
    note = f" ({legacy} from before the chain was keyed, checked by plain hash)" if legacy else ""
    if expected_head is not None and expected_head != head:
        if expected_head in seen_hashes:
            return VerifyResult(
                ok=True, checked=len(events), head_hash=head, first_keyed_seq=first_keyed,
                message=f"{len(events)} events verified{note}; the chain has grown since the given head",
            )
        return VerifyResult(
            ok=False, checked=len(events), head_hash=head, first_bad_seq=(prev.seq + 1 if prev else 1),
            problem="head_mismatch", first_keyed_seq=first_keyed,
            message="the given head hash is not in the chain: the newest events were deleted or rewritten",
        )
    return VerifyResult(ok=True, checked=len(events), head_hash=head, first_keyed_seq=first_keyed,
                        message=f"{len(events)} events verified{note}")


def _bad(events: list[AuditRecord], seq: int, problem: str, message: str, first_keyed: int | None) -> VerifyResult:
    head = events[-1].hash if events else GENESIS_HASH
    return VerifyResult(ok=False, checked=len(events), head_hash=head, first_bad_seq=seq, problem=problem,
                        message=message, first_keyed_seq=first_keyed)


def verify(engine: Engine | Connection, *, key: bytes | None = None, keyed_from: int = 1,
           expected_head: str | None = None) -> VerifyResult:
    """Recompute the chain and report the first altered, deleted, reordered or unkeyed event.

    Parameters
    ----------
    engine
        The store.
    key
        The audit key the events were written with; default the one events are written
        with through ``engine`` (:func:`key_for`). With no key at all, a keyed event raises
        :class:`ValidationError`.
    keyed_from
        ``seq`` from which every event must be keyed (the ``audit_keyed_from`` setting).
        Events before it may be unkeyed ones from before the key was set, checked by
        their plain SHA-256. Once one keyed event is seen, every later one must be keyed.
    expected_head
        A head hash recorded earlier (e.g. printed by a previous verify). When given, a
        chain that no longer contains it has lost or rewritten its newest events.
    """
    if key is None:
        key = key_for(engine)
    if isinstance(engine, Engine):
        with engine.connect() as conn:
            return verify(conn, key=key, keyed_from=keyed_from, expected_head=expected_head)
    return check_chain(_rows(engine), key=key, keyed_from=keyed_from, expected_head=expected_head)


# --------------------------------------------------------------------------- reports


def events_for_pseudonym(conn: Connection | Session, pseudonym: str, *, limit: int = 1000) -> list[AuditRecord]:
    """Who accessed this young person's data, newest first."""
    return _select(conn, AuditEvent.pseudonym == pseudonym, limit)


def events_for_user(conn: Connection | Session, username: str, *, limit: int = 1000) -> list[AuditRecord]:
    """What this user accessed, newest first."""
    return _select(conn, AuditEvent.username == username, limit)


def recent_events(conn: Connection | Session, *, limit: int = 200) -> list[AuditRecord]:
    return _select(conn, None, limit)


def count_events(conn: Connection | Session, *, action_prefix: str | None = None) -> int:
    from sqlalchemy import func

    stmt = select(func.count()).select_from(AuditEvent)
    if action_prefix:
        stmt = stmt.where(AuditEvent.action.like(f"{action_prefix}%"))
    return int(conn.execute(stmt).scalar_one())


def _select(conn: Connection | Session, where: Any, limit: int) -> list[AuditRecord]:
    cols = AuditEvent.__table__.c
    stmt = select(*(cols[name] for name in _COLUMNS)).order_by(cols.seq.desc()).limit(limit)
    if where is not None:
        stmt = stmt.where(where)
    return [_record_of(r) for r in conn.execute(stmt)]
