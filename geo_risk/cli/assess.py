"""``geo-risk assess``: advisory checks for one young person.

This module defines the ``assess`` group and its ``placement`` command; other command
modules add theirs to the same group (``from geo_risk.cli.assess import assess``).
"""

from __future__ import annotations

import datetime as dt
import getpass
import logging
import uuid

import click

from geo_risk.cli import _context, main
from geo_risk.errors import ValidationError

log = logging.getLogger(__name__)

__all__ = ["assess", "audit_read", "describe_as_of", "operator", "parse_as_of", "parse_point", "placement"]

ADVISORY = "Advisory only: bands support, and do not replace, professional judgement."


@main.group()
def assess() -> None:
    """Advisory checks for one young person (placement, route)."""


def parse_point(text: str) -> tuple[float, float]:
    """``"E,N"`` (EPSG:27700 metres) -> ``(easting, northing)``."""
    parts = [p.strip() for p in str(text).split(",")]
    try:
        if len(parts) != 2:
            raise ValueError
        return float(parts[0]), float(parts[1])
    except ValueError as exc:
        msg = f"--point {text!r} must be EASTING,NORTHING in British National Grid metres, e.g. 358950,172800"
        raise ValidationError(msg) from exc


def _utcnow() -> dt.datetime:
    """Now, in UTC, naive (the store's convention)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def parse_as_of(text: str | None) -> dt.datetime:
    """The moment a check is made for, as a naive UTC datetime.

    - ``None`` (no ``--as-of``): **now**. Not the start of today: a link that expired at 09:00
      must no longer score in a check run at 14:00 the same day.
    - ``YYYY-MM-DD``: 00:00 (UTC) at the start of that day.
    - A full ISO date-time, e.g. ``2026-11-01T14:30`` (UTC) or ``2026-11-01T14:30+00:00``;
      one with an offset is converted to UTC.
    """
    if text is None:
        return _utcnow()
    try:
        when = dt.datetime.fromisoformat(str(text).strip())
    except ValueError as exc:
        msg = f"--as-of {text!r} must be a date YYYY-MM-DD or an ISO date-time such as 2026-11-01T14:30"
        raise ValidationError(msg) from exc
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    return when


def describe_as_of(as_of: dt.datetime) -> str:
    """``2026-11-01`` at midnight, else ``2026-11-01 14:30 UTC``."""
    if as_of == dt.datetime(as_of.year, as_of.month, as_of.day):
        return as_of.date().isoformat()
    return f"{as_of:%Y-%m-%d %H:%M} UTC"


def _operator() -> str:
    """The operating-system user running the command (``cli`` when it cannot be told)."""
    try:
        return getpass.getuser()[:80] or "cli"
    except (KeyError, OSError):
        return "cli"


def operator():
    """The operating-system user running the command, as the use cases' acting user."""
    from geo_risk.service import OPERATOR, Actor

    return Actor(username=_operator(), role=OPERATOR, now=_utcnow())


def audit_read(session, *, child: str, purpose: str, action: str) -> None:
    """Record that this command read ``child``'s data: one audit event, in the reading transaction.

    If the event cannot be written, :func:`geo_risk.audit.record` raises, the transaction
    rolls back and the command fails before it prints anything about the young person.
    """
    from geo_risk import audit

    audit.record(
        session,
        username=_operator(),
        role="operator",
        purpose=purpose,
        pseudonym=child,
        action=action,
        outcome="allowed",
        request_id=uuid.uuid4().hex,
        at=_utcnow(),
    )


@assess.command("placement")
@click.option("--child", required=True, help="Pseudonym of the young person, e.g. YP-0042.")
@click.option("--postcode", "postcodes", multiple=True, help="A candidate address's postcode (repeat).")
@click.option("--point", "points", multiple=True, help="A candidate point as EASTING,NORTHING in EPSG:27700 (repeat).")
@click.option(
    "--as-of",
    "as_of_text",
    default=None,
    help="When the check is for: YYYY-MM-DD (00:00 UTC that day) or an ISO date-time (default: now).",
)
@click.option(
    "--audience",
    type=click.Choice(["housing", "analyst"]),
    default="housing",
    show_default=True,
    help="Reasons for a housing officer (names no one) or for an analyst (with evidence ids).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the ranking as JSON.")
def placement(
    child: str,
    postcodes: tuple[str, ...],
    points: tuple[str, ...],
    as_of_text: str | None,
    audience: str,
    as_json: bool,
) -> None:
    """Rank candidate addresses for CHILD, safest first, each banded Low / Medium / High / Very high.

    The read of the young person's data is audited (one event, in the same transaction); if the
    audit event cannot be written, the command fails and prints nothing about them.
    """
    from geo_risk.crs import EastNorth
    from geo_risk.scoring.placement import check_candidate_count
    from geo_risk.service import check_placement
    from geo_risk.store.engine import session_scope

    policy = _context.policy()
    check_candidate_count(len(postcodes) + len(points), policy)
    as_of = parse_as_of(as_of_text)
    parsed = [(p, EastNorth(*parse_point(p))) for p in points]
    engine = _context.migrated_engine()
    data = _context.snapshot_data(engine, as_of)
    with session_scope(engine) as session:
        checked = check_placement(session, operator(), data, as_of=as_of, postcodes=list(postcodes),
                                  points=parsed, child=child, tier=audience, action="cli.assess.placement")
    # printed only once the read and its audit event are committed together
    if as_json:
        click.echo(checked.to_json())
        return
    click.echo(f"Placement check for {child} as of {describe_as_of(as_of)} (policy {policy.version}); safest first.")
    click.echo(ADVISORY)
    _print_ranking(checked.result, audience)


def _score_text(score: float | None) -> str:
    """The analyst's score, or "-" for a point that could not be assessed."""
    return "-" if score is None else f"{score:.1f}"


def _print_ranking(result: dict, audience: str) -> None:
    """The ranking (already projected for ``audience``) as a table, then each candidate's reasons.

    The housing tier sees bands, ranks and the largest factor's name; the score (a continuous
    number that probing many addresses could triangulate a place with) is in the analyst tier only.
    """
    analyst = audience == "analyst"
    header = ("rank", "candidate", "band", "score", "confidence", "largest factor")
    rows = [header if analyst else tuple(h for h in header if h != "score")]
    for item in result["candidates"]:
        a = item["assessment"]
        score = (_score_text(a["score"]),) if analyst else ()
        largest = a["factors"][0]["label"] if a["factors"] else "-"
        rows.append((str(item["rank"]), item["label"], a["band"], *score, a["confidence"], largest))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        click.echo("  ".join(cell.rjust(w) if analyst and i == 3 else cell.ljust(w)
                             for i, (cell, w) in enumerate(zip(r, widths))))
    click.echo("")
    for item in result["candidates"]:
        a = item["assessment"]
        reasons = a["reasons_analyst"] if analyst else a["reasons"]
        click.echo(f"{item['rank']}. {item['label']}: {a['band']} ({_score_text(a['score'])})" if analyst else
                   f"{item['rank']}. {item['label']}: {a['band']}")
        for reason in reasons:
            click.echo(f"   - {reason.strip()}")
