"""``geo-risk brief``: school community-tension briefings as JSON and A4 HTML."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import click

from geo_risk.cli import _context, main
from geo_risk.errors import ValidationError

log = logging.getLogger(__name__)


def _previous(path: Path, urn: str) -> dict[str, Any] | None:
    """The last briefing written for ``urn`` in the output folder, for "what changed"."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        log.warning("ignoring unreadable previous briefing %s", path.name)
        return None
    if data.get("school", {}).get("urn") != urn or "counts" not in data:
        return None
    return data


@main.command("brief")
@click.option("--school", "urns", multiple=True, help="URN of a school (repeat for several).")
@click.option("--all", "all_schools", is_flag=True, help="Every school in the database.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for <URN>.json and <URN>.html (required with --all).")
@click.option("--as-of", "as_of_text", default=None,
              help="Date of the briefing, YYYY-MM-DD (default: today); counts run up to 00:00 that day, notices "
                   "and tension overrides are those live at this moment (an ISO date-time is accepted).")
@click.option("--tier", type=click.Choice(["school", "analyst"]), default="school", show_default=True,
              help="school: what school users may see (no points, suppressed counts); analyst: more.")
@click.option("--format", "fmt", type=click.Choice(["both", "json", "html"]), default="both", show_default=True)
def brief(urns: tuple[str, ...], all_schools: bool, out_dir: Path | None, as_of_text: str | None, tier: str,
          fmt: str) -> None:
    """Community-tension briefings for schools: tension level, counts under disclosure control,
    trends, conflicts near the school (peer groups and places only) and live notices.

    With --out, a briefing already in the folder is taken as the previous one, so the new
    briefing says what changed since.
    """
    from geo_risk.briefing.render import render_html
    from geo_risk.cli.assess import operator, parse_as_of
    from geo_risk.service import brief_schools
    from geo_risk.store.engine import session_scope

    if all_schools == bool(urns):
        msg = "give either --all or one or more --school URN"
        raise ValidationError(msg)
    if all_schools and out_dir is None:
        msg = "--all writes one briefing per school: give --out DIR"
        raise ValidationError(msg)
    as_of = parse_as_of(as_of_text)
    engine = _context.migrated_engine()
    data = _context.snapshot_data(engine, as_of)
    snap = data.snapshot
    wanted = list(urns) if urns else snap.schools["urn"].astype(str).tolist()
    for urn in wanted:
        snap.school(urn)  # NotFound with a clear message
    previous = {}
    if out_dir is not None:
        for urn in wanted:
            prev = _previous(out_dir / f"{urn}.json", urn)
            if prev is not None:
                previous[urn] = prev
    with session_scope(engine) as session:
        briefings = brief_schools(session, operator(), data, as_of=as_of, urns=list(urns) if urns else None,
                                  tier=tier, previous=previous or None)
    if out_dir is None:
        for b in briefings.values():
            click.echo(b.to_json())
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    for urn, b in briefings.items():
        if fmt in ("both", "json"):
            (out_dir / f"{urn}.json").write_text(b.to_json() + "\n", encoding="utf-8")
        if fmt in ("both", "html"):
            (out_dir / f"{urn}.html").write_text(render_html(b.briefing, tier=tier, areas=snap.areas,  # type: ignore[arg-type]
                                                             serious_categories=data.policy.briefing.serious_categories),
                                                 encoding="utf-8")
    levels: dict[str, int] = {}
    for b in briefings.values():
        levels[b.level] = levels.get(b.level, 0) + 1
    summary = ", ".join(f"{n} {level}" for level, n in sorted(levels.items()))
    click.echo(f"wrote {len(briefings)} {tier} briefings to {out_dir} ({summary})")
