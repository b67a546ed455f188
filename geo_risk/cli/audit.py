"""``geo-risk audit verify|report``: check the hash chain; who accessed whom."""

from __future__ import annotations

import sys

import click

from geo_risk.cli import _context, main


@main.group("audit")
def audit_group() -> None:
    """The append-only access log."""


@audit_group.command("verify")
@click.option("--head", "expected_head", default=None,
              help="A head hash kept from an earlier verify: also detects deleted newest events.")
def audit_verify(expected_head: str | None) -> None:
    """Recompute the keyed hash chain and report the first altered, deleted, reordered or unkeyed event.

    Needs the audit key the app writes with (GEO_RISK_AUDIT_KEY or GEO_RISK_AUDIT_KEY_FILE).
    Exits 1 if the chain is broken.
    """
    from geo_risk import audit
    from geo_risk.errors import ValidationError

    engine = _context.migrated_engine()
    key = _context.audit_key()
    if key is None:
        msg = ("no audit key: set GEO_RISK_AUDIT_KEY or GEO_RISK_AUDIT_KEY_FILE to the key the app writes with; "
               "without it a rewritten chain cannot be told from a true one")
        raise ValidationError(msg)
    result = audit.verify(engine, key=key, keyed_from=_context.audit_keyed_from(),
                          expected_head=expected_head)
    if result.ok:
        click.echo(f"ok: {result.message}")
        if result.first_keyed_seq is not None and result.first_keyed_seq > 1:
            click.echo(f"keyed from event {result.first_keyed_seq}: once you have checked that the events before "
                       f"it were written before the audit key was set, set GEO_RISK_AUDIT_KEYED_FROM="
                       f"{result.first_keyed_seq} so that an unkeyed event after it is reported")
        click.echo(f"head: {result.head_hash}  (keep this elsewhere; pass it back with --head)")
        return
    click.secho(f"BROKEN at event {result.first_bad_seq} ({result.problem}): {result.message}", fg="red", err=True)
    sys.exit(1)


@audit_group.command("report")
@click.option("--person", "pseudonym", default=None, help="Who accessed this young person (pseudonym).")
@click.option("--user", "username", default=None, help="What this user accessed.")
@click.option("--limit", default=200, show_default=True, help="Most recent events shown.")
def audit_report(pseudonym: str | None, username: str | None, limit: int) -> None:
    """Print audit events, newest first, for a young person, a user, or everyone."""
    from geo_risk import audit

    engine = _context.migrated_engine()
    with engine.connect() as conn:
        if pseudonym:
            events = audit.events_for_pseudonym(conn, pseudonym, limit=limit)
        elif username:
            events = audit.events_for_user(conn, username, limit=limit)
        else:
            events = audit.recent_events(conn, limit=limit)
    click.echo(f"{'seq':>7}  {'at (UTC)':<19}  {'user':<16} {'role':<16} {'via':<7} {'purpose':<14} "
               f"{'young person':<12} {'action':<28} {'outcome':<9} account")
    for e in events:
        click.echo(f"{e.seq:>7}  {e.at:%Y-%m-%d %H:%M:%S}  {e.username:<16} {e.role:<16} {e.via or '-':<7} "
                   f"{e.purpose:<14} {e.pseudonym or '-':<12} {e.action:<28} {e.outcome:<9} {e.target or '-'}")
    click.echo(f"{len(events)} event(s)")
