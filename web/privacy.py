"""Privacy officers: who accessed which young person, what a user accessed, and the chain check."""

from __future__ import annotations

from flask import Blueprint, current_app, g, render_template, request

from geo_risk import audit
from web.extensions import store

bp = Blueprint("privacy", __name__, url_prefix="/privacy")


@bp.get("/")
def index():
    engine = store().engine
    result = audit.verify(engine, keyed_from=current_app.config["GEO_RISK_AUDIT_KEYED_FROM"])
    with engine.connect() as conn:
        recent = audit.recent_events(conn, limit=100)
        total = audit.count_events(conn)
    return render_template("privacy/index.html", result=result, recent=recent, total=total, title=None, events=None)


@bp.post("/by-person")
def by_person():
    # The pseudonym comes in the form body, never the URL.
    pseudonym = (request.form.get("pseudonym") or "").strip()[:40]
    with store().transaction() as s:
        events = audit.events_for_pseudonym(s, pseudonym)
        audit.record(s, username=g.user.username, role="privacy_officer", purpose="audit", pseudonym=pseudonym or None,
                     action="audit.by_person", outcome="allowed", request_id=g.request_id, at=g.now)
    return render_template("privacy/index.html", result=None, recent=None, total=None,
                           title=f"Who accessed young person {pseudonym}", events=events)


@bp.post("/by-user")
def by_user():
    username = (request.form.get("username") or "").strip().lower()[:80]
    with store().transaction() as s:
        events = audit.events_for_user(s, username)
    return render_template("privacy/index.html", result=None, recent=None, total=None,
                           title=f"What {username} accessed", events=events)

