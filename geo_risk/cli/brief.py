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


def load_inputs() -> dict[str, Any]:
    """The snapshot, notices (with acknowledgements) and tension overrides from the store."""
    from sqlalchemy import select

    from geo_risk.briefing import TensionOverride
    from geo_risk.store import models
    from geo_risk.store.engine import session_scope
    from geo_risk.store.notices import load_notices
    from geo_risk.store.snapshot import load_snapshot

    engine = _context.migrated_engine()
    snap = load_snapshot(engine)
    overrides: list[TensionOverride] = []
    with session_scope(engine) as session:
        notices = load_notices(session)
        for row in session.execute(select(models.TensionOverride)).scalars():
            overrides.append(
                TensionOverride(
                    urn=row.school_urn,
                    level=row.level,
                    reason=row.reason,
                    set_at=row.set_at,
                    expires_at=row.expires_at,
                    set_by=str(row.set_by) if row.set_by is not None else None,
                )
            )
    return {"snapshot": snap, "notices": notices, "overrides": overrides}


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
@click.option("--as-of", "as_of_text", default=None, help="Date of the briefing, YYYY-MM-DD (default: today).")
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
    from geo_risk.briefing import brief_all
    from geo_risk.briefing.render import render_html

    if all_schools == bool(urns):
        msg = "give either --all or one or more --school URN"
        raise ValidationError(msg)
    if all_schools and out_dir is None:
        msg = "--all writes one briefing per school: give --out DIR"
        raise ValidationError(msg)
    from geo_risk.cli.assess import parse_as_of

    as_of = parse_as_of(as_of_text)
    policy = _context.policy()
    inputs = load_inputs()
    snap = inputs["snapshot"]
    schools = snap.schools
    if urns:
        for urn in urns:
            snap.school(urn)  # NotFound with a clear message
        schools = schools[schools["urn"].astype(str).isin(set(urns))]
    previous = {}
    if out_dir is not None:
        for urn in schools["urn"].astype(str):
            prev = _previous(out_dir / f"{urn}.json", urn)
            if prev is not None:
                previous[urn] = prev
    briefings = brief_all(
        schools,
        snap.incidents,
        snap.areas,
        as_of=as_of,
        policy=policy,
        links=snap.links,
        places=snap.places,
        groups=snap.groups,
        notices=inputs["notices"],
        overrides=inputs["overrides"],
        previous=previous,
    )
    if out_dir is None:
        for b in briefings.values():
            click.echo(b.to_json(tier))  # type: ignore[arg-type]
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    for urn, b in briefings.items():
        if fmt in ("both", "json"):
            (out_dir / f"{urn}.json").write_text(b.to_json(tier) + "\n", encoding="utf-8")  # type: ignore[arg-type]
        if fmt in ("both", "html"):
            (out_dir / f"{urn}.html").write_text(render_html(b, tier=tier, areas=snap.areas),  # type: ignore[arg-type]
                                                 encoding="utf-8")
    levels: dict[str, int] = {}
    for b in briefings.values():
        levels[b.tension.level] = levels.get(b.tension.level, 0) + 1
    summary = ", ".join(f"{n} {level}" for level, n in sorted(levels.items()))
    click.echo(f"wrote {len(briefings)} {tier} briefings to {out_dir} ({summary})")
