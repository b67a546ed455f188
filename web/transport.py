"""Transport officers: walking-route checks to school for the young people referred to them.

The result page, its map and a saved decision record are all drawn from the route check's
transport tier (:func:`geo_risk.service.check_route`, projected by :data:`geo_risk.tiers.ROUTE`):
each walk's length, minutes, detour and band, each street segment's band, and the plain "passes
within" wording. The check's notes (how it was made: which weekdays counted as school days) are
shown under the recommendation, live and in saved records.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for

from geo_risk import service
from geo_risk.errors import ValidationError
from web import maps, queries, records, services
from web.access import actor, audit_read, audit_read_many, referral_for
from web.extensions import data, store

bp = Blueprint("transport", __name__, url_prefix="/transport")
PURPOSE = "route"


@bp.get("/")
def index():
    with store().transaction() as s:
        referrals = queries.my_live_referrals(s, g.user.id, g.now, PURPOSE)
        audit_read_many(s, action="transport.referrals.list", purpose=PURPOSE,
                        pseudonyms=[r.child_pseudonym for r in referrals])
    return render_template("transport/index.html", referrals=referrals, synthetic=data().is_synthetic)


def _schools(d):
    sc = d.snapshot.schools
    return [(str(u), str(n)) for u, n in zip(sc["urn"], sc["name"], strict=True)]


def _overview_map(d):
    b = d.bounds
    bounds = services.bbox_ll_of_xy([[b[0], b[1]], [b[2], b[3]]], pad_m=0) if b else None
    m = maps.new_map(bounds, tile_url=current_app.config["GEO_RISK_TILE_URL"])
    maps.add_base_layers(m, d, bounds)
    return maps.render_map(m, g.csp_nonce)


@bp.get("/referrals/<int:rid>")
def case(rid: int):
    d = data()
    with store().transaction() as s:
        referral = referral_for(s, rid, PURPOSE, action="route.form")
        audit_read(s, action="route.form", purpose=PURPOSE, pseudonym=referral.child_pseudonym)
    details = referral.details or {}
    return render_template("transport/case.html", referral=referral, home=details.get("home_postcode", ""),
                           school=str(details.get("school_urn", "")), schools=_schools(d), errors={},
                           map=_overview_map(d), synthetic=d.is_synthetic)


def _run(s, rid: int, action: str):
    d = data()
    home = (request.form.get("home_postcode") or "").strip()
    urn = (request.form.get("school_urn") or "").strip()
    if not home or not urn:
        msg = "enter the home postcode and choose the school"
        raise ValidationError(msg)
    checked = services.check_route(s, d, action=action, home=home, school_urn=urn, referral_id=rid)
    return d, checked, home, urn


def result_page(d, result: dict[str, Any], segment_ids, *, pseudonym: str, rid: int | None = None, home: str = "",
                urn: str = "", saved=None, record=None, errors: dict[str, str] | None = None, status: int = 200):
    """The result page of a route check as the viewer's tier has it (live, with the decision form and, on a
    failed save, its ``errors`` and what was typed; or a saved ``record``)."""
    lines, segs, bounds = services.route_layers(d, result, segment_ids)
    m = maps.new_map(bounds, tile_url=current_app.config["GEO_RISK_TILE_URL"])
    maps.add_base_layers(m, d, bounds)
    maps.GeoJsonLayer(lines, name="routes").add_to(m)
    maps.GeoJsonLayer(segs, name="segments").add_to(m)
    maps.GeoJsonLayer(services.endpoints_geojson(result), name="endpoints").add_to(m)
    maps.LayerSwitch({"routes": "Walks", "segments": "Street segments by band", "endpoints": "Home and school",
                      "streets": "Streets", "boundaries": "Neighbourhood boundaries"}).add_to(m)
    roles = [r["role"] for r in result.get("routes", [])]
    key = [*({"kind": "line", "colour": services.ROUTE_COLOURS[role], "dash": services.ROUTE_DASHES[role], "width": 5,
              "label": services.ROUTE_LABELS[role]} for role in dict.fromkeys(roles) if role in services.ROUTE_COLOURS),
           {"kind": "marker", "colour": "#102a43", "letter": "H", "label": "Home"},
           {"kind": "marker", "colour": "#3b2f80", "letter": "S", "label": "School"}, *maps.BASE_KEY]
    school_name = dict(_schools(d)).get(urn, urn)
    return render_template("transport/result.html", rid=rid, pseudonym=pseudonym, result=result, home=home, urn=urn,
                           school_name=school_name, saved=saved, labels=services.ROUTE_LABELS,
                           colours=services.ROUTE_COLOURS, map=maps.render_map(m, g.csp_nonce), key=key,
                           synthetic=d.is_synthetic, record=record, officer_role="transport",
                           currency_words=records.currency_words, errors=errors or {},
                           values={k: request.form.get(k, "") for k in service.DECISION_FIELDS} if errors else {},
                           options=service.decision_options(PURPOSE, result), markings=service.MARKINGS,
                           hidden=[("home_postcode", home), ("school_urn", urn)]), status


@bp.post("/referrals/<int:rid>/check")
def check(rid: int):
    try:
        with store().transaction() as s:
            d, checked, home, urn = _run(s, rid, "route.check")
    except ValidationError as exc:
        return _form_again(rid, str(exc))
    except service.TooManyChecks as exc:
        return _form_again(rid, str(exc), status=429, retry_after=exc.retry_after)
    return result_page(d, checked.result, checked.segment_ids, pseudonym=checked.child, rid=rid, home=home, urn=urn)


def _form_again(rid: int, error: str, *, status: int = 400, retry_after: int | None = None):
    """The check form again, the problem in the error summary (400; 429 over the referral's budget)."""
    d = data()
    with store().transaction() as s:
        referral = referral_for(s, rid, PURPOSE, action="route.form")
        audit_read(s, action="route.form", purpose=PURPOSE, pseudonym=referral.child_pseudonym)
    html = render_template("transport/case.html", referral=referral, home=request.form.get("home_postcode", ""),
                           school=request.form.get("school_urn", ""), schools=_schools(d),
                           errors={"home_postcode": error}, map=_overview_map(d), synthetic=d.is_synthetic)
    return html, status, ({"Retry-After": str(retry_after)} if retry_after else {})


@bp.post("/referrals/<int:rid>/decisions")
def save(rid: int):
    home = (request.form.get("home_postcode") or "").strip()
    urn = (request.form.get("school_urn") or "").strip()
    try:
        with store().transaction() as s:
            # the transport tier: what the officer saw and decided on, and the decision
            aid = service.save_route_decision(s, actor(), data(), referral_id=rid,
                                              as_of=services.check_time(data()), home=home, school_urn=urn,
                                              decision=request.form)
    except service.DecisionInvalid as exc:
        with store().transaction() as s:
            d, checked, home, urn = _run(s, rid, "route.check")
        return result_page(d, checked.result, checked.segment_ids, pseudonym=checked.child, rid=rid, home=home,
                           urn=urn, errors=exc.errors, status=400)
    return redirect(url_for("transport.decision", aid=aid), code=303)


@bp.get("/decisions")
def decisions():
    return records.list_page(PURPOSE, synthetic=data().is_synthetic)


@bp.get("/decisions/<int:aid>")
def decision(aid: int):
    d = data()
    record = records.read(PURPOSE, aid, "view")
    saved = {"id": record.id, "created_at": record.created_at, "policy_version": record.policy_version}
    return result_page(d, record.result, record.map_segment_ids, pseudonym=record.child,
                       home=record.inputs.get("home_postcode", ""), urn=record.inputs.get("school_urn", ""),
                       saved=saved, record=record)


def _school_name(record) -> str:
    urn = str(record.inputs.get("school_urn", ""))
    return dict(_schools(data())).get(urn, urn)


@bp.get("/decisions/<int:aid>/print")
def decision_print(aid: int):
    record = records.read(PURPOSE, aid, "print")
    return records.print_html(PURPOSE, record, school_name=_school_name(record))


@bp.get("/decisions/<int:aid>/record.pdf")
def decision_pdf(aid: int):
    record = records.read(PURPOSE, aid, "pdf")
    return records.pdf_response(PURPOSE, record, school_name=_school_name(record))


@bp.get("/decisions/<int:aid>/record.csv")
def decision_csv(aid: int):
    return records.csv_response(PURPOSE, records.read(PURPOSE, aid, "csv"))
