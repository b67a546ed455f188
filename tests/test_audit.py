"""The hash-chained audit log: append, verify, and tamper detection on both backends."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from geo_risk import audit
from geo_risk.errors import DataSourceError, ValidationError
from geo_risk.store import session_scope

T0 = dt.datetime(2026, 11, 1, 9, 0, 0, 123456)


def _write(db, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        with session_scope(db) as s:
            audit.record(s, username=f"user{i % 3}", role="housing", purpose="placement",
                         pseudonym=f"YP-{i:04d}", action="placement.check", outcome="allowed",
                         request_id=f"req-{i}", at=T0 + dt.timedelta(seconds=i))


def _tamper(db, sql: str, params: dict | None = None) -> None:
    """Run ``sql`` with the append-only triggers bypassed (as an attacker with DBA rights could)."""
    with db.begin() as conn:
        if db.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text(sql), params or {})
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_event_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_event_no_delete"))
            conn.execute(text(sql), params or {})


def test_empty_chain_verifies(db):
    result = audit.verify(db)
    assert result.ok and result.checked == 0 and result.head_hash == audit.GENESIS_HASH


def test_chain_links_each_event_to_the_previous(db):
    _write(db, 5)
    with db.connect() as conn:
        rows = conn.execute(text("SELECT seq, prev_hash, hash FROM audit_event ORDER BY seq")).all()
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == audit.GENESIS_HASH
    assert all(rows[i].prev_hash == rows[i - 1].hash for i in range(1, 5))
    result = audit.verify(db)
    assert result.ok and result.checked == 5 and result.head_hash == rows[-1].hash


def test_record_rolls_back_with_the_read(db):
    with pytest.raises(RuntimeError), session_scope(db) as s:
        audit.record(s, username="a", role="analyst", purpose="analysis", pseudonym="YP-0001",
                     action="network.view", outcome="allowed", request_id="r1", at=T0)
        raise RuntimeError("the read failed")
    with db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_event")).scalar_one() == 0


def test_bad_outcome_is_refused(db):
    with session_scope(db) as s, pytest.raises(ValidationError, match="outcome"):
        audit.record(s, username="a", role="analyst", purpose="x", pseudonym=None, action="x",
                     outcome="maybe", request_id="r", at=T0)


def test_update_and_delete_are_refused_by_the_database(db):
    _write(db, 2)
    for sql in ("UPDATE audit_event SET username = 'someone' WHERE seq = 1", "DELETE FROM audit_event WHERE seq = 2"):
        # Exception, not a class: the error class is driver-specific.
        with pytest.raises(Exception, match="append-only"), db.begin() as conn:
            conn.execute(text(sql))
    assert audit.verify(db).ok


def test_altered_event_is_reported(db):
    _write(db, 6)
    _tamper(db, "UPDATE audit_event SET pseudonym = 'YP-9999' WHERE seq = 3")
    result = audit.verify(db)
    assert not result.ok
    assert (result.problem, result.first_bad_seq) == ("altered", 3)


def test_deleted_event_is_reported(db):
    _write(db, 6)
    _tamper(db, "DELETE FROM audit_event WHERE seq = 4")
    result = audit.verify(db)
    assert (result.ok, result.problem, result.first_bad_seq) == (False, "deleted", 5)


def test_deleted_first_event_is_reported(db):
    _write(db, 3)
    _tamper(db, "DELETE FROM audit_event WHERE seq = 1")
    result = audit.verify(db)
    assert (result.ok, result.problem, result.first_bad_seq) == (False, "deleted", 2)


def test_reordered_events_are_reported(db):
    _write(db, 6)
    # Swap the positions of events 2 and 3.
    _tamper(db, "UPDATE audit_event SET seq = 1000 WHERE seq = 2")
    _tamper(db, "UPDATE audit_event SET seq = 2 WHERE seq = 3")
    _tamper(db, "UPDATE audit_event SET seq = 3 WHERE seq = 1000")
    result = audit.verify(db)
    assert (result.ok, result.problem, result.first_bad_seq) == (False, "reordered", 2)


def test_deleted_tail_is_caught_with_a_kept_head(db):
    _write(db, 4)
    head = audit.verify(db).head_hash
    _write(db, 1, start=4)
    assert audit.verify(db, expected_head=head).ok  # grown since: fine
    _tamper(db, "DELETE FROM audit_event WHERE seq >= 4")
    result = audit.verify(db, expected_head=head)
    assert (result.ok, result.problem) == (False, "head_mismatch")


def test_concurrent_writers_keep_one_chain(db):
    def work(i: int) -> None:
        with session_scope(db) as s:
            audit.record(s, username="u", role="school", purpose="briefing", pseudonym=None,
                         action="briefing.view", outcome="allowed", request_id=f"c{i}", at=T0)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(work, range(24)))
    result = audit.verify(db)
    assert result.ok and result.checked == 24


def test_record_needs_a_transaction_not_an_engine(db):
    with pytest.raises(ValidationError, match="Session or Connection"):
        audit.record(db, username="a", role="analyst", purpose="x", pseudonym=None, action="x",
                     outcome="allowed", request_id="r", at=T0)


def test_failed_audit_write_raises_data_source_error(db, monkeypatch):
    def broken(_bind):
        raise RuntimeError("lock timeout")

    monkeypatch.setattr(audit, "_lock_chain", broken)
    with pytest.raises(DataSourceError, match="audit event could not be written"), session_scope(db) as s:
        audit.record(s, username="a", role="analyst", purpose="x", pseudonym=None, action="x",
                     outcome="allowed", request_id="r", at=T0)


# --------------------------------------------------------------------------- CLI: geo-risk audit


def _cli(args: list[str], db_url: str):
    from click.testing import CliRunner

    from geo_risk.cli import _context, main

    for cached in (_context.settings, _context.policy, _context.engine):
        cached.cache_clear()
    try:
        return CliRunner().invoke(main, args, env={"GEO_RISK_DATABASE_URL": db_url})
    finally:
        _context.engine().dispose()
        for cached in (_context.settings, _context.policy, _context.engine):
            cached.cache_clear()


def test_cli_audit_verify_and_report(db, db_url):
    _write(db, 4)
    ok = _cli(["audit", "verify"], db_url)
    assert ok.exit_code == 0 and "ok: 4 events verified" in ok.output
    head = audit.verify(db).head_hash
    assert head in ok.output
    report = _cli(["audit", "report", "--person", "YP-0002"], db_url)
    assert report.exit_code == 0 and "placement.check" in report.output and "1 event(s)" in report.output
    by_user = _cli(["audit", "report", "--user", "user1"], db_url)
    assert "1 event(s)" in by_user.output
    _tamper(db, "UPDATE audit_event SET outcome = 'denied' WHERE seq = 2")
    broken = _cli(["audit", "verify"], db_url)
    assert broken.exit_code == 1
    assert "BROKEN at event 2 (altered)" in broken.output


# --------------------------------------------------------------------------- keyed chain (issue 14, item 4)


def _rechain_without_key(db, from_seq: int) -> None:
    """What an attacker with database access does: recompute every hash from ``from_seq`` on,
    with the triggers out of the way, as plain SHA-256 (they do not have the audit key)."""
    with db.connect() as conn:
        rows = conn.execute(text("SELECT seq, at, username, role, purpose, pseudonym, action, outcome, request_id, "
                                 "prev_hash FROM audit_event ORDER BY seq")).mappings().all()
    prev = None
    for row in rows:
        if row["seq"] < from_seq:
            prev = None
            continue
        if prev is None:
            with db.connect() as conn:
                prev = conn.execute(text("SELECT hash FROM audit_event WHERE seq = :s"),
                                    {"s": row["seq"] - 1}).scalar_one()
        event = dict(row, prev_hash=prev)
        digest = audit.event_hash(event)
        _tamper(db, "UPDATE audit_event SET prev_hash = :p, hash = :h, keyed = :k WHERE seq = :s",
                {"p": prev, "h": digest, "s": row["seq"], "k": False})
        prev = digest


def test_a_rewritten_and_rechained_event_is_caught_without_the_key(db):
    _write(db, 6)
    _tamper(db, "UPDATE audit_event SET pseudonym = 'YP-9999' WHERE seq = 3")
    _rechain_without_key(db, 3)
    result = audit.verify(db)
    assert not result.ok and result.first_bad_seq == 3 and result.problem == "unkeyed"


def test_a_rechain_under_a_guessed_key_is_caught(db):
    _write(db, 5)
    guessed = b"g" * 32
    with db.connect() as conn:
        rows = list(reversed(audit.recent_events(conn)))
    prev = rows[1].hash
    for rec in rows[2:]:
        event = dict(rec.to_dict(), prev_hash=prev, pseudonym="YP-9999" if rec.seq == 3 else rec.pseudonym)
        digest = audit.event_mac(event, guessed)
        _tamper(db, "UPDATE audit_event SET pseudonym = :y, prev_hash = :p, hash = :h WHERE seq = :s",
                {"y": event["pseudonym"], "p": prev, "h": digest, "s": rec.seq})
        prev = digest
    result = audit.verify(db)
    assert not result.ok and result.first_bad_seq == 3 and result.problem == "altered"


def test_without_an_audit_key_nothing_is_written(db, monkeypatch):
    monkeypatch.delenv("GEO_RISK_AUDIT_KEY")
    with pytest.raises(DataSourceError, match="GEO_RISK_AUDIT_KEY"), session_scope(db) as s:
        audit.record(s, username="a", role="analyst", purpose="x", pseudonym="YP-1", action="x",
                     outcome="allowed", request_id="r", at=T0)
    with db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_event")).scalar_one() == 0


def test_a_key_bound_to_the_engine_is_used_and_a_short_key_refused(db, monkeypatch):
    key = b"k" * 40
    monkeypatch.setitem(audit._BOUND_KEYS, db, b"")  # undone after the test: the PostGIS engine is shared
    audit.bind_key(db, key)
    _write(db, 2)
    assert audit.verify(db, key=key).ok
    assert not audit.verify(db, key=b"x" * 40).ok
    from geo_risk.errors import ConfigError

    with pytest.raises(ConfigError, match="at least 32"):
        audit.bind_key(db, b"short")


def _legacy_events(db, n: int) -> None:
    """Events as written before the chain was keyed (plain SHA-256, no via/target)."""
    prev = audit.GENESIS_HASH
    for i in range(1, n + 1):
        event = {"seq": i, "at": T0 + dt.timedelta(seconds=i), "username": "old", "role": "analyst",
                 "purpose": "analysis", "pseudonym": f"YP-{i:04d}", "action": "network.view", "outcome": "allowed",
                 "request_id": f"old-{i}", "prev_hash": prev}
        digest = audit.event_hash(event)
        with db.begin() as conn:
            conn.execute(text("INSERT INTO audit_event (seq, at, username, role, purpose, pseudonym, action, outcome, "
                              "request_id, prev_hash, hash) VALUES (:seq, :at, :username, :role, :purpose, "
                              ":pseudonym, :action, :outcome, :request_id, :prev_hash, :hash)"),
                         {**event, "hash": digest})
        prev = digest


def test_an_unkeyed_chain_is_keyed_from_a_recorded_point_on(db):
    _legacy_events(db, 3)
    _write(db, 3)  # keyed from event 4
    strict = audit.verify(db)
    assert not strict.ok and strict.problem == "unkeyed" and strict.first_bad_seq == 1
    assert strict.first_keyed_seq is None
    migrated = audit.verify(db, keyed_from=4)
    assert migrated.ok and migrated.first_keyed_seq == 4 and "3 from before the chain was keyed" in migrated.message
    # the legacy part is checked by its plain SHA-256
    _tamper(db, "UPDATE audit_event SET pseudonym = 'YP-9999' WHERE seq = 2")
    assert audit.verify(db, keyed_from=4).problem == "altered"


def test_keyed_events_rewritten_as_legacy_ones_are_caught(db):
    _legacy_events(db, 2)
    _write(db, 4)  # events 3-6 keyed
    _rechain_without_key(db, 5)
    result = audit.verify(db, keyed_from=3)
    assert not result.ok and result.first_bad_seq == 5 and result.problem == "unkeyed"
    # even with a keyed_from set too late, an unkeyed event after a keyed one is refused
    assert audit.verify(db, keyed_from=100).problem == "unkeyed"


def test_events_say_how_the_actor_signed_in_and_whom_an_action_was_about(db):
    token = audit.use_via("token")
    try:
        with session_scope(db) as s:
            audit.record(s, username="adam", role="admin", purpose="administration", pseudonym=None,
                         action="admin.user.disable", outcome="allowed", request_id="r1", at=T0, target="hana")
            audit.record(s, username="ana", role="analyst", purpose="analysis", pseudonym="YP-1",
                         action="network.view", outcome="allowed", request_id="r2", at=T0, via="session")
    finally:
        audit._VIA.reset(token)
    with db.connect() as conn:
        events = audit.recent_events(conn)
    assert [(e.via, e.target) for e in events] == [("session", None), ("token", "hana")]
    _tamper(db, "UPDATE audit_event SET via = 'session' WHERE seq = 1")
    assert audit.verify(db).first_bad_seq == 1  # via is covered by the keyed hash
    with pytest.raises(ValidationError, match="via"):
        audit.use_via("telepathy")


def test_cli_audit_verify_needs_the_key(db, db_url, monkeypatch):
    _write(db, 2)
    monkeypatch.delenv("GEO_RISK_AUDIT_KEY")
    out = _cli(["audit", "verify"], db_url)
    assert out.exit_code == 2 and "GEO_RISK_AUDIT_KEY" in out.output


def test_cli_audit_verify_names_the_first_keyed_event_of_a_migrated_chain(db, db_url):
    _legacy_events(db, 2)
    _write(db, 2)
    from click.testing import CliRunner

    from geo_risk.cli import _context, main

    def run(env):
        for cached in (_context.settings, _context.policy, _context.engine):
            cached.cache_clear()
        try:
            return CliRunner().invoke(main, ["audit", "verify"], env={"GEO_RISK_DATABASE_URL": db_url, **env})
        finally:
            _context.engine().dispose()
            for cached in (_context.settings, _context.policy, _context.engine):
                cached.cache_clear()

    strict = run({})
    assert strict.exit_code == 1 and "BROKEN at event 1 (unkeyed)" in strict.output
    ok = run({"GEO_RISK_AUDIT_KEYED_FROM": "3"})
    assert ok.exit_code == 0 and "GEO_RISK_AUDIT_KEYED_FROM=3" in ok.output


CANDIDATES = {"candidates": [{"postcode": "BS1 4DJ", "x": 358_712, "y": 172_548},
                             {"postcode": "BS1 5TR", "x": 359_001, "y": 172_212}]}


def test_details_are_kept_with_the_event_and_covered_by_its_mac(db):
    """Issue 14 (1): every candidate location is stored with its audit event, inside the keyed chain."""
    _write(db, 2)  # events without details hash as before
    with session_scope(db) as s:
        rec = audit.record(s, username="hana", role="housing", purpose="placement", pseudonym="YP-0001",
                           action="placement.check", outcome="allowed", request_id="r3", at=T0, details=CANDIDATES)
    _write(db, 1, start=3)
    with db.connect() as conn:
        stored = audit.events_for_pseudonym(conn, "YP-0001")
    assert [e.details for e in stored if e.seq == rec.seq] == [CANDIDATES]
    assert all(e.details is None for e in stored if e.seq != rec.seq)
    assert audit.verify(db).ok
    # moving a candidate by one metre, or dropping the details, breaks the chain at that event
    moved = {"candidates": [dict(CANDIDATES["candidates"][0], x=358_713), CANDIDATES["candidates"][1]]}
    import json

    _tamper(db, "UPDATE audit_event SET details = :d WHERE seq = 3", {"d": json.dumps(moved)})
    assert (audit.verify(db).problem, audit.verify(db).first_bad_seq) == ("altered", 3)
    _tamper(db, "UPDATE audit_event SET details = NULL WHERE seq = 3")
    assert (audit.verify(db).problem, audit.verify(db).first_bad_seq) == ("altered", 3)


def test_details_must_be_a_json_object(db):
    for bad, words in (([1, 2], "JSON object"), ({"x": float("nan")}, "plain JSON"), ({"x": {1, 2}}, "plain JSON")):
        with session_scope(db) as s, pytest.raises(ValidationError, match=words):
            audit.record(s, username="a", role="housing", purpose="placement", pseudonym="YP-1",
                         action="placement.check", outcome="allowed", request_id="r", at=T0, details=bad)
