"""Privacy officers: who accessed which young person, what a user accessed, and the chain check.

Every report lists each event's channel (``via``: session, token or cli) and the account an
administrator's action was about (``target``). The privacy officer's own reads are audited like
anyone's: one event per young person a report shows.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from geo_risk import audit
from web.access import audit_read_many
from web.extensions import store

bp = Blueprint("privacy", __name__, url_prefix="/privacy")
PURPOSE = "audit"


def _shown(events) -> list[str]:
    return [e.pseudonym for e in events if e.pseudonym]


@bp.get("/")
def index():
    engine = store().engine
    result = audit.verify(engine, keyed_from=current_app.config["GEO_RISK_AUDIT_KEYED_FROM"])
    with store().transaction() as s:
        recent = audit.recent_events(s, limit=100)
        total = audit.count_events(s)
        audit_read_many(s, action="audit.recent", purpose=PURPOSE, pseudonyms=_shown(recent))
    return render_template("privacy/index.html", result=result, recent=recent, total=total, title=None, events=None)


@bp.post("/by-person")
def by_person():
    # The pseudonym comes in the form body, never the URL.
    pseudonym = (request.form.get("pseudonym") or "").strip()[:40]
    with store().transaction() as s:
        events = audit.events_for_pseudonym(s, pseudonym)
        audit_read_many(s, action="audit.by_person", purpose=PURPOSE, pseudonyms=[pseudonym])
    return render_template("privacy/index.html", result=None, recent=None, total=None,
                           title=f"Who accessed young person {pseudonym}", events=events)


@bp.post("/by-user")
def by_user():
    username = (request.form.get("username") or "").strip().lower()[:80]
    with store().transaction() as s:
        events = audit.events_for_user(s, username)
        audit_read_many(s, action="audit.by_user", purpose=PURPOSE, pseudonyms=_shown(events))
    return render_template("privacy/index.html", result=None, recent=None, total=None,
                           title=f"What {username} accessed", events=events)
