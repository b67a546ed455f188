"""Decision records on the web: an officer's list of them, and each one's print view, PDF and CSV.

Housing officers keep placement records and transport officers route records
(:mod:`geo_risk.service.records`); both blueprints call these helpers with their kind. Every
view of a record, in whatever format, is a read of it and audited as one
(``<kind>.decision.view`` / ``.print`` / ``.pdf`` / ``.csv``). The print view and the PDF are
the same page: the protective marking at the top and bottom, the decision as a manager signs
it off, the check as the officer saw it, and who printed it when; no map controls. The PDF is
drawn by WeasyPrint from the app's own stylesheet (no request leaves the server) and fits on
one A4 page.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

from flask import Response, g, render_template, request

from geo_risk import service
from geo_risk.exports import SafeWriter
from web import services
from web.access import actor
from web.extensions import store
from web.presentation import near_groups

PER_PAGE = 20
PRINT_CSS = Path(__file__).with_name("static") / "print.css"
VIEWS = {"placement": "housing", "route": "transport"}
ROLES = {"placement": "housing", "route": "transport"}


def _month_words(month: str | None) -> str | None:
    if not month:
        return None
    import datetime as dt

    try:
        return dt.datetime.strptime(month, "%Y-%m").strftime("%B %Y")
    except ValueError:
        return month


def _day_words(day: str | None) -> str | None:
    if not day:
        return None
    import datetime as dt

    try:
        return dt.datetime.strptime(day, "%Y-%m-%d").strftime("%d %B %Y").lstrip("0")
    except ValueError:
        return day


def currency_words(currency: dict[str, Any] | None) -> str:
    """The data currency of a record in one sentence ("not recorded" for records kept before it was)."""
    if not currency:
        return "Not recorded"
    month = _month_words(currency.get("latest_incident_month"))
    streets = _day_words(currency.get("streets_imported"))
    network = _day_words(currency.get("network_imported"))
    parts = [f"incidents up to {month}" if month else "no incidents loaded",
             f"streets imported {streets}" if streets else "street import date not known",
             f"peer network imported {network}" if network else "peer network import date not known"]
    text = "; ".join(parts)
    return text[0].upper() + text[1:]


def list_page(kind: str, *, synthetic: bool) -> str:
    """The officer's own records of ``kind``, newest first, a page at a time."""
    try:
        asked = max(int(request.args.get("page", "1")), 1)
    except ValueError:
        asked = 1
    with store().transaction() as s:
        rows, total = service.list_decisions(s, actor(), kind=kind, page=asked, per_page=PER_PAGE)
    page, pages = min(asked, max(math.ceil(total / PER_PAGE), 1)), max(math.ceil(total / PER_PAGE), 1)
    return render_template("decisions/list.html", kind=kind, view=VIEWS[kind], rows=rows, total=total, page=page,
                           pages=pages, synthetic=synthetic)


def read(kind: str, aid: int, action: str):
    with store().transaction() as s:
        return service.read_decision(s, actor(), record_id=aid, kind=kind, action=f"{kind}.decision.{action}")


def _rows(kind: str, record) -> list[dict[str, Any]]:
    if kind == "placement":
        return services.placement_rows(record.result)
    return list(record.result.get("routes", []))


def print_html(kind: str, record, *, school_name: str = "", for_pdf: bool = False) -> str:
    """The record's print view (also the PDF's source)."""
    return render_template("decisions/print.html", kind=kind, view=VIEWS[kind], record=record,
                           rows=_rows(kind, record), school_name=school_name, for_pdf=for_pdf,
                           officer_role=ROLES[kind], printed_by=g.user.username, printed_at=g.now,
                           labels=services.ROUTE_LABELS, currency=currency_words(record.data_currency))


def pdf_response(kind: str, record, *, school_name: str = "") -> Response:
    """The record as a one-page A4 PDF, drawn by WeasyPrint from the print view."""
    import weasyprint

    html = print_html(kind, record, school_name=school_name, for_pdf=True)

    def no_fetch(url: str, *args: Any, **kwargs: Any):  # everything the PDF needs is inline
        msg = f"the decision record PDF fetches nothing: {url[:60]}"
        raise ValueError(msg)

    pdf = weasyprint.HTML(string=html, url_fetcher=no_fetch).write_pdf(
        stylesheets=[weasyprint.CSS(string=PRINT_CSS.read_text(encoding="utf-8"))])
    resp = Response(pdf, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = f'attachment; filename="decision-record-{record.id}.pdf"'
    return resp


CSV_HEAD = ["record", "case_reference", "young_person", "officer", "saved_at_utc", "decision", "reasons", "marking",
            "policy_version", "latest_incident_month", "streets_imported", "network_imported"]
PLACEMENT_COLUMNS = ["rank", "address", "band", "confidence", "why"]
ROUTE_COLUMNS = ["walk", "length_m", "walk_minutes", "band", "detour_m", "riskiest_street", "passes_near",
                 "recommendation"]


def csv_response(kind: str, record) -> Response:
    """The record as CSV: one line per candidate address (placement) or walk (route), each carrying the
    decision, so a spreadsheet filter keeps it with its rows. Cells cannot run as formulas."""
    d = record.decision
    cur = record.data_currency or {}
    head = [record.id, d.case_reference if d else "", record.child, record.officer,
            record.created_at.strftime("%Y-%m-%d %H:%M"), d.option if d else "", d.rationale if d else "",
            d.marking if d else "", record.policy_version, cur.get("latest_incident_month") or "",
            cur.get("streets_imported") or "", cur.get("network_imported") or ""]
    out = io.StringIO()
    w = SafeWriter(out, lineterminator="\r\n")
    if kind == "placement":
        w.writerow(CSV_HEAD + PLACEMENT_COLUMNS)
        for r in _rows(kind, record):
            w.writerow(head + [r["rank"], r["label"], r["band"], r.get("confidence", ""),
                               " | ".join(r.get("reasons") or [])])
    else:
        rec = (record.result.get("recommendation") or {}).get("text", "")
        w.writerow(CSV_HEAD + ROUTE_COLUMNS)
        for r in _rows(kind, record):
            w.writerow(head + [services.ROUTE_LABELS.get(r["role"], r["role"]), round(float(r["length_m"])),
                               round(float(r["walk_minutes"])), r["band"], round(float(r.get("detour_m") or 0)),
                               r.get("riskiest_street", ""), " | ".join(near_groups(r.get("near"))), rec])
    resp = Response("\ufeff" + out.getvalue(), mimetype="text/csv")
    resp.headers["Content-Disposition"] = f'attachment; filename="decision-record-{record.id}.csv"'
    return resp
