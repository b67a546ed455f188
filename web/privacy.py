"""Privacy officers: who accessed which young person, what a user accessed, and the chain check.

Every report covers a date range (whole days, UTC; either end may be left open), lists each event's
channel (``via``: session, token or cli), the account an administrator's action was about
(``target``) and the candidate addresses a check looked at; it starts with any probing alert and a
summary of patterns (per young person and user: checks, and distinct candidate addresses). A user
is found whatever the case typed; a name no account or event has is said to be unknown. What a
report shows downloads as CSV (cells that cannot run as formulas). The privacy officer's own reads
are audited like anyone's: one event per young person a report (or its CSV) shows.
"""

from __future__ import annotations

import datetime as dt
import io

from flask import Blueprint, Response, current_app, render_template, request

from geo_risk import audit, audit_reports
from geo_risk.audit_reports import DateRange
from geo_risk.errors import ValidationError
from geo_risk.exports import SafeWriter
from web.access import audit_read_many
from web.extensions import store

bp = Blueprint("privacy", __name__, url_prefix="/privacy")
PURPOSE = "audit"
RECENT_LIMIT = 100
REPORT_LIMIT = 1000
SUMMARY_ROWS = 50
CSV_HEAD = ["seq", "when_utc", "user", "role", "via", "purpose", "young_person", "action", "outcome",
            "account_acted_on", "candidate_addresses", "request_id"]


def _date(value: str, name: str, words: str, errors: dict[str, str]) -> dt.date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors[name] = f"Enter the {words} as a real date, for example 2026-11-30"
        return None


def _range(source, prefix: str, errors: dict[str, str]) -> tuple[DateRange, dict[str, str]]:
    """The date range a form or query asks for (fields ``<prefix>from`` and ``<prefix>to``), what was typed,
    and a message for each field that is wrong (the range then covers all dates)."""
    typed = {"from": (source.get("from") or "").strip()[:10], "to": (source.get("to") or "").strip()[:10]}
    start = _date(typed["from"], f"{prefix}from", "first day", errors)
    end = _date(typed["to"], f"{prefix}to", "last day", errors)
    if start and end and end < start:
        errors[f"{prefix}to"] = "The last day must be the same as or after the first day"
        return DateRange(), typed
    return DateRange(start, end), typed


def _addresses(event) -> str:
    return "; ".join(audit_reports.address_words(c) for c in audit_reports.candidates_of(event))


def _report(s, *, kind: str, value: str, dates: DateRange) -> dict:
    """The events, patterns and alerts of one report (``kind``: recent, person or user)."""
    if kind == "person":
        who = {"pseudonym": value}
        title = f"Who accessed young person {value}"
    elif kind == "user":
        who = {"username": value}
        title = f"What {value} accessed"
    else:
        who = {}
        title = "Most recent events"
    limit = RECENT_LIMIT if kind == "recent" else REPORT_LIMIT
    events = audit_reports.events(s, dates=dates, limit=limit, **who)
    patterns = audit_reports.summarise(audit_reports.check_events(s, dates=dates, **who))
    alerts = audit_reports.alert_events(s, dates=dates, **who)
    if kind == "recent":
        patterns = patterns[:SUMMARY_ROWS]
    return {"title": title, "events": events, "patterns": patterns, "alerts": alerts, "limit": limit,
            "addresses": _addresses}


def _shown(report: dict) -> list[str]:
    """Every young person a report shows: in its alerts, its summary and its events."""
    return [*(a.pseudonym for a in report["alerts"] if a.pseudonym), *(p.pseudonym for p in report["patterns"]),
            *(e.pseudonym for e in report["events"] if e.pseudonym)]


def _page(*, kind: str, value: str, dates: DateRange, typed: dict, errors: dict[str, str], action: str,
          status: int = 200, unknown: str | None = None):
    result = None
    with store().transaction() as s:
        if kind == "recent":
            result = audit.verify(store().engine, keyed_from=current_app.config["GEO_RISK_AUDIT_KEYED_FROM"])
        report = None if (errors or unknown) else _report(s, kind=kind, value=value, dates=dates)
        total = audit.count_events(s) if kind == "recent" else None
        audit_read_many(s, action=action, purpose=PURPOSE,
                        pseudonyms=_shown(report) if report else ([value] if kind == "person" else []))
    return render_template("privacy/index.html", result=result, total=total, report=report, kind=kind, value=value,
                           dates=dates, typed=typed, errors=errors, unknown=unknown), status


@bp.get("/")
def index():
    errors: dict[str, str] = {}
    dates, typed = _range(request.args, "recent-", errors)
    return _page(kind="recent", value="", dates=dates, typed={"recent": typed}, errors=errors,
                 action="audit.recent", status=400 if errors else 200)


@bp.post("/by-person")
def by_person():
    # The pseudonym comes in the form body, never the URL.
    pseudonym = (request.form.get("pseudonym") or "").strip().upper()[:40]
    errors: dict[str, str] = {}
    if not pseudonym:
        errors["pseudonym"] = "Enter the young person's pseudonym, for example YP-0001"
    dates, typed = _range(request.form, "person-", errors)
    return _page(kind="person", value=pseudonym, dates=dates, typed={"person": typed, "pseudonym": pseudonym},
                 errors=errors, action="audit.by_person", status=400 if errors else 200)


@bp.post("/by-user")
def by_user():
    typed_name = (request.form.get("username") or "").strip()[:80]
    errors: dict[str, str] = {}
    if not typed_name:
        errors["username"] = "Enter the username, for example j.smith"
    dates, typed = _range(request.form, "user-", errors)
    unknown = None
    username = typed_name.lower()
    if typed_name and not errors:
        with store().transaction() as s:
            found = audit_reports.known_username(s, typed_name)
        if found is None:
            unknown = typed_name
        else:
            username = found
    return _page(kind="user", value=username, dates=dates, typed={"user": typed, "username": typed_name},
                 errors=errors, action="audit.by_user", status=400 if errors else 200, unknown=unknown)


@bp.post("/export")
def export():
    """What a report shows, as CSV: its events (the summary and alerts are their own rows' counts)."""
    kind = request.form.get("kind", "recent")
    if kind not in ("recent", "person", "user"):
        msg = "kind must be recent, person or user"
        raise ValidationError(msg)
    value = (request.form.get("value") or "").strip()[:80]
    value = value.upper() if kind == "person" else value.lower()
    if kind != "recent" and not value:
        msg = "say whose report to download (a pseudonym or a username)"
        raise ValidationError(msg)
    errors: dict[str, str] = {}
    dates, _typed = _range(request.form, "", errors)
    if errors:
        raise ValidationError("; ".join(errors.values()))
    with store().transaction() as s:
        report = _report(s, kind=kind, value=value, dates=dates)
        audit_read_many(s, action="audit.export", purpose=PURPOSE, pseudonyms=_shown(report))
    out = io.StringIO()
    w = SafeWriter(out, lineterminator="\r\n")
    w.writerow(CSV_HEAD)
    for e in report["events"]:
        w.writerow([e.seq, e.at.strftime("%Y-%m-%d %H:%M:%S"), e.username, e.role, e.via or "", e.purpose,
                    e.pseudonym or "", e.action, e.outcome, e.target or "", _addresses(e), e.request_id])
    resp = Response("\ufeff" + out.getvalue(), mimetype="text/csv")
    resp.headers["Content-Disposition"] = f'attachment; filename="audit-{kind}.csv"'
    return resp
