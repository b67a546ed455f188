"""Analyst oversight pages: chronology, evidence reviews, disproportionality and data quality.

Every route here is analyst-only (see :data:`web.policy.ROUTE_POLICY`). Views parse,
call the library (:mod:`geo_risk.chronology`, :mod:`geo_risk.fairness`,
:mod:`geo_risk.quality`), audit and render; no SQL lives here. Reads of a young person's
data are audited in the same transaction as the read.
"""

from __future__ import annotations

import datetime as dt
import logging
import math

import pandas as pd
from flask import Blueprint, Response, current_app, flash, g, redirect, render_template, request, url_for
from werkzeug.exceptions import NotFound as HTTPNotFound

from geo_risk import chronology as chron
from geo_risk.contract import GRADES, SOURCE_TYPES
from geo_risk.errors import ValidationError
from geo_risk.fairness import repository as review_repo
from geo_risk.fairness.disproportionality import OUTCOME_LABELS, OUTCOMES, disproportionality, person_outcomes
from geo_risk.fairness.population import DIMENSIONS, load_population, parse_population, save_population
from geo_risk.fairness.reviews import due_by_source, review_queue
from geo_risk.quality import quality_report, report_csv
from web import queries
from web.access import audit_read, audit_read_many
from web.extensions import store

log = logging.getLogger(__name__)
bp = Blueprint("oversight", __name__, url_prefix="/analyst/oversight", template_folder="templates")

REVIEW_ACTIONS = ("confirm", "downgrade", "expire")
FAMILY_CHOICES = (("", "Inside and outside the family"), ("inside", "Inside the family"),
                  ("outside", "Outside the family"))


def _person(session, pid: int):
    from web import queries

    return queries.person_by_id(session, pid)


def _filters() -> tuple[list[str], str]:
    """Source types and the family tag from the query string (never names or pseudonyms)."""
    known = {*SOURCE_TYPES, chron.SYSTEM_SOURCE_TYPE}
    types = [t for t in request.args.getlist("source_type") if t in known]
    family = request.args.get("family", "")
    return types, family if family in ("inside", "outside") else ""


def _read(pid: int, *, action: str):
    types, family = _filters()
    with store().transaction() as s:
        pseudonym = _person(s, pid).pseudonym
        full = chron.read_chronology(s, pseudonym, username=g.user.username, role=g.user.role,
                                     request_id=g.request_id, at=g.now, action=action)
    shown = full.filter(source_types=types or None, family=family or None)
    return pseudonym, full, shown, types, family


# --------------------------------------------------------------------------- chronology


@bp.get("/people/<int:pid>/chronology")
def chronology(pid: int):
    pseudonym, full, shown, types, family = _read(pid, action="chronology.view")
    return render_template("oversight/chronology.html", pid=pid, pseudonym=pseudonym, full=full, shown=shown,
                           types=types, family=family, family_choices=FAMILY_CHOICES,
                           labels=chron.SOURCE_TYPE_LABELS, source_types=SOURCE_TYPES, kinds=chron.ENTRY_KINDS,
                           grades=GRADES, today=g.now.strftime("%Y-%m-%d"))


@bp.get("/people/<int:pid>/chronology/export")
def chronology_print(pid: int):
    """PDF-ready HTML (print CSS, A4): print it to PDF from the browser, or save the file."""
    pseudonym, full, shown, types, family = _read(pid, action="chronology.export")
    html = render_template("oversight/chronology_print.html", pseudonym=pseudonym, shown=shown, full=full,
                           types=[chron.SOURCE_TYPE_LABELS.get(t, t) for t in types],
                           family=dict(FAMILY_CHOICES).get(family, ""), generated=g.now, by=g.user.username)
    resp = Response(html, mimetype="text/html")
    if request.args.get("download") == "1":
        resp.headers["Content-Disposition"] = f'attachment; filename="chronology-{pid}-{g.now:%Y%m%d}.html"'
    return resp


@bp.post("/people/<int:pid>/chronology")
def chronology_add(pid: int):
    try:
        with store().transaction() as s:
            pseudonym = _person(s, pid).pseudonym
            chron.add_entry(s, pseudonym, request.form, created_by=g.user.id, now=g.now)
            audit_read(s, action="chronology.add", purpose="analysis", pseudonym=pseudonym)
    except ValidationError as exc:
        flash(str(exc), "error")
    else:
        flash("The entry was added to the chronology.", "ok")
    return redirect(url_for("oversight.chronology", pid=pid))


# --------------------------------------------------------------------------- evidence reviews


def _queue_people(queue, links, places) -> list[str]:
    """Person keys the review queue shows: both ends of each listed link, the owner of each listed place."""
    keys: list[str] = []
    if len(queue) == 0:
        return keys
    kinds = queue["target_kind"].to_numpy()
    ids = queue["target_id"].astype(str)
    if len(links):
        shown = links[links["link_id"].astype(str).isin(set(ids[kinds == "link"]))]
        for end in ("from", "to"):
            keys += shown.loc[shown[f"{end}_kind"] == "person", f"{end}_key"].astype(str).tolist()
    if len(places):
        shown = places[places["place_id"].astype(str).isin(set(ids[kinds == "place"]))]
        keys += shown.loc[shown["entity_kind"] == "person", "entity_key"].astype(str).tolist()
    return sorted(set(keys))


REVIEWS_PER_PAGE = 25


def _review_filters(queue) -> dict[str, str]:
    """The queue's filters from the query string (anything unknown is ignored): state, kind, source, text."""
    args = request.args
    sources = set(queue["source"].astype(str)) if len(queue) else set()
    return {"state": args.get("state", "") if args.get("state") in ("due", "expired") else "",
            "kind": args.get("kind", "") if args.get("kind") in ("link", "place") else "",
            "source": args.get("source", "") if args.get("source") in sources else "",
            "q": (args.get("q") or "").strip()[:60]}


def _filtered(queue, f: dict[str, str]):
    if not len(queue):
        return queue
    keep = pd.Series(True, index=queue.index)
    if f["state"]:
        keep &= queue["state"].astype(str) == f["state"]
    if f["kind"]:
        keep &= queue["target_kind"].astype(str) == f["kind"]
    if f["source"]:
        keep &= queue["source"].astype(str) == f["source"]
    if f["q"]:
        text = (queue["target_id"].astype(str) + " " + queue["subject"].astype(str) + " "
                + queue["what"].astype(str).str.replace("_", " "))
        keep &= text.str.contains(f["q"], case=False, regex=False)
    return queue[keep]


@bp.get("/reviews")
def reviews():
    """The review queue, filtered and a page at a time: only the page's children are read (and audited)."""
    with store().transaction() as s:
        links, places = review_repo.load_evidence(s)
        history = review_repo.review_history(s, limit=50)
        queue = review_queue(links, places, g.now)
        filters = _review_filters(queue)
        matching = _filtered(queue, filters)
        pages = max(-(-len(matching) // REVIEWS_PER_PAGE), 1)
        page = min(max(request.args.get("page", default=1, type=int) or 1, 1), pages)
        shown_rows = matching.iloc[(page - 1) * REVIEWS_PER_PAGE: page * REVIEWS_PER_PAGE]
        # One event per child the page shows (either end of a link, the owner of a place).
        shown = _queue_people(shown_rows, links, places)
        audit_read_many(s, action="reviews.view", purpose="review", pseudonyms=queries.children_among(s, shown))
    sources = sorted(set(queue["source"].astype(str))) if len(queue) else []
    args = {k: v for k, v in filters.items() if v}
    return render_template("oversight/reviews.html", queue=shown_rows.to_dict("records"), filters=filters,
                           sources=sources, page=page, pages=pages, matching=len(matching), total=len(queue),
                           prev_url=url_for("oversight.reviews", **args, page=page - 1) if page > 1 else None,
                           next_url=url_for("oversight.reviews", **args, page=page + 1) if page < pages else None,
                           summary=due_by_source(queue).to_dict("records"), history=history.to_dict("records"),
                           grades=GRADES, today=g.now.strftime("%Y-%m-%d"),
                           next_review=(g.now + dt.timedelta(days=90)).strftime("%Y-%m-%d"),
                           next_expiry=(g.now + dt.timedelta(days=365)).strftime("%Y-%m-%d"))


@bp.post("/reviews/<kind>/<target_id>")
def review_action(kind: str, target_id: str):
    if kind not in ("link", "place"):
        raise HTTPNotFound()
    action = request.form.get("action", "")
    if action not in REVIEW_ACTIONS:
        raise ValidationError(f"choose one of {', '.join(REVIEW_ACTIONS)}")
    form = request.form
    common = {"reason": form.get("reason", ""), "user_id": g.user.id, "at": g.now}
    try:
        with store().transaction() as s:
            if action == "confirm":
                review_repo.confirm(s, kind, target_id, last_seen=form.get("last_seen") or None,
                                    review_by=form.get("review_by") or None,
                                    expires_at=form.get("expires_at") or None,
                                    evidence_grade=form.get("evidence_grade") or None, **common)
            elif action == "downgrade":
                review_repo.downgrade(s, kind, target_id, new_grade=form.get("new_grade", ""), **common)
            else:
                review_repo.expire(s, kind, target_id, **common)
            audit_read_many(s, action=f"evidence.{action}", purpose="review",
                            pseudonyms=queries.evidence_children(s, kind, target_id))
    except ValidationError as exc:
        flash(f"{kind} {target_id}: {exc}", "error")
    else:
        current_app.extensions["geo_risk.data"].invalidate()  # scores use the change at once
        done = {"confirm": "confirmed", "downgrade": "downgraded", "expire": "expired"}[action]
        flash(f"{kind.capitalize()} {target_id} {done}; the change is recorded with your name and reason.", "ok")
    return redirect(url_for("oversight.reviews"))


# --------------------------------------------------------------------------- disproportionality


@bp.get("/fairness")
def fairness():
    dimension = request.args.get("dimension", "ethnicity")
    dimension = dimension if dimension in DIMENSIONS else "ethnicity"
    by_area = request.args.get("by_area") == "1"
    policy = store().policy
    with store().transaction() as s:
        population = load_population(s)
        people, referrals, assessments = review_repo.load_fairness_inputs(s)
        audit_read(s, action="fairness.view", purpose="monitoring", pseudonym=None)
    result = error = None
    if (population["dimension"] == dimension).any():
        bands = tuple(policy.scoring.bands)
        table = person_outcomes(people, referrals, assessments, bands=bands, high_bands=bands[2:])
        try:
            result = disproportionality(table, population, dimension=dimension, by_area=by_area)
        except ValidationError as exc:
            error = str(exc)
    sections = []
    if result is not None:
        for outcome in OUTCOMES:
            for area in dict.fromkeys(r.area for r in result.ratios if r.outcome == outcome):
                rows = [r for r in result.ratios if r.outcome == outcome and r.area == area]
                sections.append((OUTCOME_LABELS[outcome], area, rows))
    areas = population.loc[population["dimension"] == dimension, "area_code"].nunique() if len(population) else 0
    return render_template("oversight/fairness.html", dimension=dimension, dimensions=DIMENSIONS, by_area=by_area,
                           result=result, sections=sections, error=error, areas=areas, fmt=_fmt)


@bp.post("/fairness/population")
def population_upload():
    upload = request.files.get("population")
    if upload is None or not upload.filename:
        flash("Choose a population CSV file to upload.", "error")
        return redirect(url_for("oversight.fairness"))
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        flash("The file is not UTF-8 text: save it as CSV (UTF-8) and try again.", "error")
        return redirect(url_for("oversight.fairness"))
    try:
        frame = parse_population(text, name="the uploaded file")
        with store().transaction() as s:
            n = save_population(s, frame)
            audit_read(s, action="fairness.population", purpose="monitoring", pseudonym=None)
    except ValidationError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Stored {n} population counts for {frame['area_code'].nunique()} area(s).", "ok")
    return redirect(url_for("oversight.fairness"))


def _fmt(value: float, digits: int = 2) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


# --------------------------------------------------------------------------- data quality


@bp.get("/quality")
def quality():
    with store().transaction() as s:
        report = quality_report(s)
        audit_read(s, action="quality.view", purpose="monitoring", pseudonym=None)
    table = report.coverage_table
    return render_template("oversight/quality.html", report=report, summary=report.summary,
                           imports=report.imports.to_dict("records"), rejections=report.rejections.to_dict("records"),
                           coverage_sources=list(table.columns), coverage_rows=list(table.itertuples()),
                           precision=report.precision.to_dict("records"), ungraded=report.ungraded.to_dict("records"))


@bp.get("/quality.csv")
def quality_csv():
    with store().transaction() as s:
        report = quality_report(s)
        audit_read(s, action="quality.export", purpose="monitoring", pseudonym=None)
    resp = Response(report_csv(report), mimetype="text/csv")
    resp.headers["Content-Disposition"] = f'attachment; filename="geo-risk-quality-{g.now:%Y%m%d}.csv"'
    return resp
