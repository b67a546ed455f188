"""``geo-risk assess route``: the school-route check for one young person (advisory)."""

from __future__ import annotations

import logging

import click

from geo_risk.cli import _context
from geo_risk.cli.assess import assess, audit_read, describe_as_of, parse_as_of, parse_point

log = logging.getLogger(__name__)

__all__ = ["route"]


@assess.command("route")
@click.option("--child", required=True, help="Pseudonym of the young person, e.g. YP-0042.")
@click.option(
    "--from", "origin", required=True, help="Home: a postcode, or EASTING,NORTHING in EPSG:27700."
)
@click.option("--to-school", "urn", required=True, help="The school's URN.")
@click.option(
    "--as-of",
    "as_of_text",
    default=None,
    help="When the check is for: YYYY-MM-DD (00:00 UTC that day) or an ISO date-time (default: now).",
)
@click.option(
    "--audience",
    type=click.Choice(["transport", "analyst"]),
    default="transport",
    show_default=True,
    help="Wording for a transport officer (names no one) or for an analyst (with place references).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the assessment as JSON (EPSG:27700 geometry).")
def route(child: str, origin: str, urn: str, as_of_text: str | None, audience: str, as_json: bool) -> None:
    """Assess the walk from home to school for CHILD: the shortest and the lowest-risk walks,
    their risk, and whether the case meets the policy's bar for assisted transport.

    The read of the young person's data is audited (one event, in the same transaction); if the
    audit event cannot be written, the command fails and prints nothing about them."""
    from geo_risk.crs import EastNorth
    from geo_risk.ingest.school_holidays import load_school_calendar
    from geo_risk.routing import assess_route, build_walk_graph
    from geo_risk.routing.adapters import child_concern_sites, child_risk_fn, school_run_surface
    from geo_risk.routing.schoolrun import with_school_days_note
    from geo_risk.scoring import ScoringSnapshot
    from geo_risk.store.engine import session_scope
    from geo_risk.store.snapshot import load_snapshot, resolve_postcodes

    policy = _context.policy()
    calendar = load_school_calendar(_context.settings())  # GEO_RISK_SCHOOL_HOLIDAYS, or None
    as_of = parse_as_of(as_of_text)
    engine = _context.migrated_engine()
    with session_scope(engine) as session:
        conn = session.connection()
        if "," in origin:
            home = EastNorth(*parse_point(origin))
        else:
            home = EastNorth(*resolve_postcodes(conn, [origin])[origin])

        snap = load_snapshot(conn)
        snap.person(child)  # NotFound with a clear message
        school_row = snap.school(urn)
        school = EastNorth(float(school_row.geometry.x), float(school_row.geometry.y))
        graph = build_walk_graph(snap.streets, sample_step_m=policy.routing.sample_step_m)
        surface = school_run_surface(snap.incidents, as_of, policy, calendar=calendar)
        scoring = ScoringSnapshot.from_frames(
            people=snap.people,
            groups=snap.groups,
            links=snap.links,
            places=snap.places,
            incidents=snap.incidents,
            surface=surface,
        )
        context = scoring.context(child, as_of, policy)
        result = assess_route(
            child,
            home,
            school,
            as_of,
            policy,
            graph=graph,
            risk_fn=child_risk_fn(context),
            concerns=child_concern_sites(context),
            tier=audience,  # type: ignore[arg-type]
            origin_label=f"home ({origin})",
            destination_label=f"school {urn}",
        )
        result = with_school_days_note(result, calendar, horizon_days=policy.surface.horizon_days)
        audit_read(session, child=child, purpose="route", action="cli.assess.route")
    # printed only once the read and its audit event are committed together
    if as_json:
        click.echo(result.to_json())
        return
    _print(result, school_name=str(school_row.get("name", "")))


def _print(result, *, school_name: str) -> None:
    rec = result.recommendation
    click.echo(
        f"Route check for {result.child} as of {describe_as_of(result.as_of)} "
        f"(policy {result.policy_version}): home to {school_name or result.destination.label}."
    )
    click.echo(result.advisory)
    click.echo("")
    click.echo(f"{rec.text}.")
    for reason in rec.reasons:
        click.echo(f"  - {reason}")
    click.echo("")
    # The transport tier sees each walk's band; the score behind it is for the analyst only.
    analyst = result.tier == "analyst"
    rows = [("walk", "length", "minutes", "band", *(("score",) if analyst else ()), "detour", "riskiest stretch near")]
    for r in result.routes:
        rows.append(
            (
                r.role.replace("_", "-"),
                f"{r.length_m:.0f} m",
                f"{r.walk_minutes:.0f}",
                r.band,
                *((f"{r.score:.1f}",) if analyst else ()),
                f"+{r.detour_m:.0f} m",
                r.riskiest_street,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    for r in result.routes:
        if r.near:
            click.echo("")
            click.echo(f"{r.role.replace('_', '-')} walk:")
            for n in r.near:
                refs = f" [{', '.join(n.refs)}]" if n.refs else ""
                click.echo(f"  - {n.text}{refs}")
    click.echo("")
    click.echo(
        f"Home joins the streets {result.origin.snap_distance_m:.0f} m away ({result.origin.street}); "
        f"the school {result.destination.snap_distance_m:.0f} m away ({result.destination.street})."
    )
    if result.notes:  # how the check was made, e.g. which weekdays counted as school days
        click.echo("")
        click.echo("Notes:")
        for note in result.notes:
            click.echo(f"  - {note}")
