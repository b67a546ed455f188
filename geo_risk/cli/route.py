"""``geo-risk assess route``: the school-route check for one young person (advisory)."""

from __future__ import annotations

import datetime as dt
import logging

import click

from geo_risk.cli import _context
from geo_risk.cli.assess import assess, describe_as_of, operator, parse_as_of, parse_point
from geo_risk.contract import AGE_BANDS

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
@click.option(
    "--age-band",
    type=click.Choice(list(AGE_BANDS)),
    default=None,
    help="The young person's age band: the walk is compared with the statutory walking distance "
    "(2 miles under 8, 3 miles from 8). Without it both distances are given.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the assessment as JSON (EPSG:27700 geometry).")
def route(child: str, origin: str, urn: str, as_of_text: str | None, audience: str, age_band: str | None,
          as_json: bool) -> None:
    """Assess the walk from home to school for CHILD: the shortest and the lowest-risk walks,
    their risk, and whether the case meets the policy's bar for assisted transport.

    The read of the young person's data is audited (one event, in the same transaction); if the
    audit event cannot be written, the command fails and prints nothing about them."""
    from geo_risk.crs import EastNorth
    from geo_risk.service import check_route
    from geo_risk.store.engine import session_scope

    as_of = parse_as_of(as_of_text)
    home = EastNorth(*parse_point(origin)) if "," in origin else origin
    engine = _context.migrated_engine()
    data = _context.snapshot_data(engine, as_of)
    with session_scope(engine) as session:
        checked = check_route(session, operator(), data, as_of=as_of, home=home, school_urn=urn, child=child,
                              tier=audience, home_label=f"home ({origin})", age_band=age_band,
                              action="cli.assess.route")
    # printed only once the read and its audit event are committed together
    if as_json:
        click.echo(checked.to_json())
        return
    _print(checked.result, school_name=checked.school_name)


def _print(result: dict, *, school_name: str) -> None:
    """The route check (already projected for its tier) as text."""
    rec = result["recommendation"]
    as_of = dt.datetime.fromisoformat(result["as_of"])
    click.echo(
        f"Route check for {result['child']} as of {describe_as_of(as_of)} "
        f"(policy {result['policy_version']}): home to {school_name or result['destination']['label']}."
    )
    click.echo(result["advisory"])
    click.echo("")
    click.echo(f"{rec['text']}.")
    for reason in rec["reasons"]:
        click.echo(f"  - {reason}")
    click.echo("")
    # The transport tier sees each walk's band; the score behind it is for the analyst only.
    analyst = result["tier"] == "analyst"
    rows = [("walk", "length", "minutes", "band", *(("score",) if analyst else ()), "detour", "riskiest stretch near")]
    for r in result["routes"]:
        rows.append(
            (
                r["role"].replace("_", "-"),
                f"{r['length_m']:.0f} m",
                f"{r['walk_minutes']:.0f}",
                r["band"],
                *((f"{r['score']:.1f}",) if analyst else ()),
                f"+{r['detour_m']:.0f} m",
                r["riskiest_street"],
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    for r in result["routes"]:
        if r["near"]:
            click.echo("")
            click.echo(f"{r['role'].replace('_', '-')} walk:")
            for n in r["near"]:
                refs = f" [{', '.join(n['refs'])}]" if n.get("refs") else ""
                click.echo(f"  - {n['text']}{refs}")
    click.echo("")
    origin, destination = result["origin"], result["destination"]
    click.echo(
        f"Home joins the streets {origin['snap_distance_m']:.0f} m away ({origin['street']}); "
        f"the school {destination['snap_distance_m']:.0f} m away ({destination['street']})."
    )
    if result["notes"]:  # how the check was made, e.g. which weekdays counted as school days
        click.echo("")
        click.echo("Notes:")
        for note in result["notes"]:
            click.echo(f"  - {note}")
