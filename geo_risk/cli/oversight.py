"""Analyst oversight from the command line: evidence reviews, disproportionality, data quality.

- ``geo-risk reviews due``: links and places past their review date, and recently expired;
- ``geo-risk reviews expire``: the automatic expiry run (schedule it daily, e.g. from cron);
- ``geo-risk fairness population FILE``: store population denominators;
- ``geo-risk fairness rri --dimension ethnicity --population FILE``: relative rate indices;
- ``geo-risk quality report --out FILE.csv``: the data-quality report as CSV.
"""

from __future__ import annotations

import datetime as dt
import getpass
import logging
import uuid

import click

from geo_risk.cli import _context, main
from geo_risk.errors import ValidationError
from geo_risk.exports import neutralise_frame

log = logging.getLogger(__name__)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _date(text: str | None, name: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError as exc:
        msg = f"{name} {text!r} is not a date; use YYYY-MM-DD"
        raise ValidationError(msg) from exc


def _operator() -> str:
    try:
        return f"cli:{getpass.getuser()}"[:80]
    except (KeyError, OSError):
        return "cli"


def _audit(session, action: str, purpose: str) -> None:
    """Record a command-line read of young people's data (one event per run)."""
    from geo_risk import audit

    audit.record(session, username=_operator(), role="operator", purpose=purpose, pseudonym=None, action=action,
                 outcome="allowed", request_id=f"cli-{uuid.uuid4().hex[:16]}", at=_utcnow())


# --------------------------------------------------------------------------- reviews


@main.group()
def reviews() -> None:
    """Evidence reviews: what is due, and the automatic expiry run."""


@reviews.command("due")
@click.option("--as-of", "as_of", default=None, help="Review date YYYY-MM-DD (default: today, UTC).")
@click.option("--by-source", is_flag=True, help="Only the counts by source (the dashboard).")
@click.option("--expired-days", default=90.0, show_default=True,
              help="Keep expired evidence on the list this many days after it expired.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), default=None, help="Also write the list as CSV.")
def reviews_due(as_of: str | None, by_source: bool, expired_days: float, csv_path: str | None) -> None:
    """List links and places past their review date (due) and recently expired."""
    from geo_risk.fairness import repository as repo
    from geo_risk.fairness.reviews import due_by_source, review_queue
    from geo_risk.store.engine import session_scope

    when = _date(as_of, "--as-of") or _utcnow()
    with session_scope(_context.migrated_engine()) as s:
        links, places = repo.load_evidence(s)
        queue = review_queue(links, places, when, expired_window_days=expired_days)
        if not by_source:
            _audit(s, "cli.reviews.due", "review")
    summary = due_by_source(queue)
    click.echo(f"evidence reviews at {when:%Y-%m-%d}: {int((queue['state'] == 'due').sum())} due, "
               f"{int((queue['state'] == 'expired').sum())} recently expired")
    if len(summary):
        click.echo(f"  {'source':<32} {'source type':<18} {'due':>5} {'expired':>8}")
        for r in summary.itertuples():
            click.echo(f"  {str(r.source)[:32]:<32} {r.source_type!s:<18} {r.due:>5} {r.expired:>8}")
    if not by_source and len(queue):
        click.echo("")
        click.echo(f"  {'state':<8} {'kind':<6} {'id':<14} {'what':<18} {'grade':<5} {'source type':<16} "
                   f"{'review by':<10} {'overdue':>7}")
        for r in queue.itertuples():
            rb = "-" if r.review_by is None or str(r.review_by) == "NaT" else f"{r.review_by:%Y-%m-%d}"
            click.echo(f"  {r.state:<8} {r.target_kind:<6} {str(r.target_id)[:14]:<14} {str(r.what)[:18]:<18} "
                       f"{(r.evidence_grade or '-'):<5} {str(r.source_type)[:16]:<16} {rb:<10} {r.days_overdue:>7}")
    if csv_path:
        neutralise_frame(summary if by_source else queue).to_csv(csv_path, index=False)
        click.echo(f"written: {csv_path}")


@reviews.command("expire")
@click.option("--now", "now_text", default=None, help="Expire what is due at this date-time (default: now, UTC).")
@click.option("--dry-run", is_flag=True, help="Only list what would expire.")
def reviews_expire(now_text: str | None, dry_run: bool) -> None:
    """Automatic expiry: mark live links and places whose expires_at has passed as expired, recording each."""
    from geo_risk.fairness import repository as repo
    from geo_risk.store.engine import session_scope

    now = _date(now_text, "--now") or _utcnow()
    with session_scope(_context.migrated_engine()) as s:
        changes = repo.run_auto_expiry(s, now, dry_run=dry_run)
    verb = "would expire" if dry_run else "expired"
    click.echo(f"{verb} {sum(c.target_kind == 'link' for c in changes)} link(s) and "
               f"{sum(c.target_kind == 'place' for c in changes)} place(s) at {now:%Y-%m-%d %H:%M}")
    for c in changes:
        click.echo(f"  {c.target_kind:<6} {c.target_id:<16} {c.reason}")


# --------------------------------------------------------------------------- fairness


@main.group()
def fairness() -> None:
    """Disproportionality monitoring (protected characteristics are never used in scoring)."""


@fairness.command("population")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def fairness_population(path: str) -> None:
    """Store population denominators from a CSV (area_code,dimension,group,count; see POPULATION_FORMAT.md)."""
    from geo_risk.fairness.population import read_population_csv, save_population
    from geo_risk.store.engine import session_scope

    frame = read_population_csv(path)
    with session_scope(_context.migrated_engine()) as s:
        n = save_population(s, frame)
    dims = ", ".join(f"{d}: {k}" for d, k in frame.groupby("dimension").size().items())
    click.echo(f"stored {n} population counts for {frame['area_code'].nunique()} area(s) ({dims})")


@fairness.command("rri")
@click.option("--dimension", type=click.Choice(["ethnicity", "sex"]), required=True)
@click.option("--population", "population_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Denominators CSV (default: those stored with `geo-risk fairness population`).")
@click.option("--outcome", "outcomes", multiple=True, type=click.Choice(["flagged", "referred", "assessed_high"]),
              help="Outcome(s) to compare (default: all three).")
@click.option("--reference", default=None, help="Reference group (default: the largest population).")
@click.option("--by-area", is_flag=True, help="Also compare within each area.")
@click.option("--confidence", default=0.95, show_default=True, help="Confidence level of the intervals.")
@click.option("--since", default=None, help="Only referrals and assessments made on or after YYYY-MM-DD.")
@click.option("--until", default=None, help="... and before YYYY-MM-DD.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), default=None, help="Also write the table as CSV.")
def fairness_rri(dimension: str, population_path: str | None, outcomes: tuple[str, ...], reference: str | None,
                 by_area: bool, confidence: float, since: str | None, until: str | None,
                 csv_path: str | None) -> None:
    """Relative rate index by ethnicity or sex, with Katz confidence intervals; flags lower bounds above 1."""
    from geo_risk.fairness import repository as repo
    from geo_risk.fairness.disproportionality import OUTCOME_LABELS, OUTCOMES, disproportionality, person_outcomes
    from geo_risk.fairness.population import load_population, read_population_csv

    engine = _context.migrated_engine()
    population = read_population_csv(population_path) if population_path else load_population(engine)
    people, referrals, assessments = repo.load_fairness_inputs(engine, since=_date(since, "--since"),
                                                               until=_date(until, "--until"))
    bands = tuple(_context.policy().scoring.bands)
    table = person_outcomes(people, referrals, assessments, bands=bands, high_bands=bands[2:])
    result = disproportionality(table, population, dimension=dimension, outcomes_wanted=outcomes or OUTCOMES,
                                reference=reference, by_area=by_area, confidence=confidence)
    pct = f"{confidence:.0%}"
    click.echo(f"relative rate index by {dimension} (reference: {result.reference}; {result.young_people} young "
               f"people counted; {pct} Katz intervals)")
    for note in result.notes:
        click.echo(f"  note: {note}")
    current = None
    for r in result.ratios:
        if (r.outcome, r.area) != current:
            current = (r.outcome, r.area)
            where = "" if r.area == "all" else f" in {r.area}"
            click.echo(f"\n{OUTCOME_LABELS[r.outcome]}{where}:")
            click.echo(f"  {'group':<44} {'events':>7} {'population':>11} {'per 1,000':>10} {'RRI':>7} "
                       f"{'interval':>17}")
        ci = "-" if r.ci_low != r.ci_low else f"{r.ci_low:.2f} - {r.ci_high:.2f}"
        rri = "-" if r.rri != r.rri else f"{r.rri:.2f}"
        rate = "-" if r.rate != r.rate else f"{1000 * r.rate:.2f}"
        flag = "  ABOVE 1" if r.significant else ""
        note = f"  ({r.note})" if r.note and r.note != "reference group" else ""
        click.echo(f"  {r.group[:44]:<44} {r.events:>7} {r.population:>11} {rate:>10} {rri:>7} {ci:>17}{flag}{note}")
    if csv_path:
        neutralise_frame(result.to_frame()).to_csv(csv_path, index=False)
        click.echo(f"\nwritten: {csv_path}")
    if result.flagged:
        click.echo(f"\n{len(result.flagged)} index(es) significantly above 1: partners should look at why.")


# --------------------------------------------------------------------------- quality


@main.group()
def quality() -> None:
    """Data quality: import rejections, coverage, imprecise locations, ungraded evidence."""


@quality.command("report")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), required=True, help="CSV file to write.")
def quality_report_cmd(out_path: str) -> None:
    """Write the data-quality report as one CSV and print a summary."""
    from geo_risk.quality import quality_report, write_report_csv

    report = quality_report(_context.migrated_engine())
    n = write_report_csv(report, out_path)
    s = report.summary
    click.echo(f"import runs: {s['import_runs']} ({s['rows_read']:,} rows read, {s['rows_rejected']:,} rejected)")
    if len(report.rejections):
        by_reason = report.rejections.groupby("reason")["count"].sum().sort_values(ascending=False, kind="stable")
        for reason, n in by_reason.head(10).items():
            click.echo(f"  {n:>9,}  {reason}")
    click.echo(f"incidents: {s['incidents']:,}; not at an exact location: {s['incidents_not_exact']:,} "
               f"({s['incidents_not_exact_share']:.0%})")
    click.echo(f"coverage: {s['months_covered']} month(s); {s['coverage_gaps']} month(s) where a source sent nothing")
    click.echo(f"evidence without a grade: {s['links_ungraded']} of {s['links']} links, "
               f"{s['places_ungraded']} of {s['places']} places")
    click.echo(f"written: {out_path} ({n} rows)")
