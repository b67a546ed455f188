"""Transport officers: walking-route checks to school for the young people referred to them."""

from __future__ import annotations

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for

from geo_risk import accounts
from geo_risk.errors import NotFound, ValidationError
from web import maps, queries, services
from web.access import audit_read, referral_for
from web.extensions import data, store

bp = Blueprint("transport", __name__, url_prefix="/transport")
PURPOSE = "route"


@bp.get("/")
def index():
    with store().transaction() as s:
        referrals = queries.my_live_referrals(s, g.user.id, g.now, PURPOSE)
        audit_read(s, action="transport.referrals.list", purpose=PURPOSE, pseudonym=None)
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
                           school=str(details.get("school_urn", "")), schools=_schools(d), error=None,
                           map=_overview_map(d), synthetic=d.is_synthetic)


def _run(s, rid: int, action: str):
    d = data()
    referral = referral_for(s, rid, PURPOSE, action=action)
    home = (request.form.get("home_postcode") or "").strip()
    urn = (request.form.get("school_urn") or "").strip()
    if not home or not urn:
        msg = "enter the home postcode and choose the school"
        raise ValidationError(msg)
    origin = services.postcode_point(s, home)
    try:
        destination = services.school_point(d, urn)
    except NotFound as exc:
        msg = "choose a school from the list"
        raise ValidationError(msg) from exc
    result = services.route_check(d, referral.child_pseudonym, origin, destination)
    return d, referral, home, urn, result


def _result_page(d, result, *, referral=None, pseudonym=None, home="", urn="", saved=None):
    lines, segs, bounds = services.route_layers(d, result)
    m = maps.new_map(bounds, tile_url=current_app.config["GEO_RISK_TILE_URL"])
    maps.add_base_layers(m, d, bounds)
    maps.GeoJsonLayer(lines, name="routes").add_to(m)
    maps.GeoJsonLayer(segs, name="segments").add_to(m)
    maps.GeoJsonLayer(services.endpoints_geojson(result), name="endpoints").add_to(m)
    school_name = dict(_schools(d)).get(urn, urn)
    return render_template("transport/result.html", referral=referral, pseudonym=pseudonym or result.child,
                           result=result, home=home, urn=urn, school_name=school_name, saved=saved,
                           labels=services.ROUTE_LABELS, colours=services.ROUTE_COLOURS,
                           map=maps.render_map(m, g.csp_nonce), synthetic=d.is_synthetic)


@bp.post("/referrals/<int:rid>/check")
def check(rid: int):
    try:
        with store().transaction() as s:
            d, referral, home, urn, result = _run(s, rid, "route.check")
            audit_read(s, action="route.check", purpose=PURPOSE, pseudonym=referral.child_pseudonym)
    except ValidationError as exc:
        return _form_again(rid, str(exc))
    return _result_page(d, result, referral=referral, home=home, urn=urn)


def _form_again(rid: int, error: str):
    d = data()
    with store().transaction() as s:
        referral = referral_for(s, rid, PURPOSE, action="route.form")
        audit_read(s, action="route.form", purpose=PURPOSE, pseudonym=referral.child_pseudonym)
    return render_template("transport/case.html", referral=referral, home=request.form.get("home_postcode", ""),
                           school=request.form.get("school_urn", ""), schools=_schools(d), error=error,
                           map=_overview_map(d), synthetic=d.is_synthetic), 400


@bp.post("/referrals/<int:rid>/decisions")
def save(rid: int):
    with store().transaction() as s:
        _d, referral, home, urn, result = _run(s, rid, "route.save")
        body = result.to_dict()
        body["inputs"] = {"home_postcode": home, "school_urn": urn}
        digest = services.inputs_digest({"child": referral.child_pseudonym, "inputs": body["inputs"],
                                         "as_of": str(result.as_of), "policy": result.policy_digest})
        row = queries.save_assessment(s, kind=PURPOSE, pseudonym=referral.child_pseudonym, inputs_hash=digest,
                                      policy_version=result.policy_version, result=body, user_id=g.user.id,
                                      at=g.now)
        audit_read(s, action="route.save", purpose=PURPOSE, pseudonym=referral.child_pseudonym)
        aid = row.id
    return redirect(url_for("transport.decision", aid=aid), code=303)


@bp.get("/decisions/<int:aid>")
def decision(aid: int):
    d = data()
    with store().transaction() as s:
        row = queries.own_assessment(s, aid, g.user.id, PURPOSE)
        user = queries.current_user_row(s, g.user.id)
        if not accounts.has_live_referral(s, user, row.child_pseudonym, g.now, purpose=PURPOSE):
            raise NotFound("no such decision record")
        audit_read(s, action="route.decision.view", purpose=PURPOSE, pseudonym=row.child_pseudonym)
        saved = {"id": aid, "created_at": row.created_at, "policy_version": row.policy_version}
        inputs = (row.result or {}).get("inputs", {})
        pseudonym = row.child_pseudonym
    # The record holds the inputs; the page shows the check re-run on today's data next to the record.
    origin = None
    with store().transaction() as s:
        origin = services.postcode_point(s, inputs.get("home_postcode", ""))
    result = services.route_check(d, pseudonym, origin, services.school_point(d, inputs.get("school_urn", "")))
    return _result_page(d, result, pseudonym=pseudonym, home=inputs.get("home_postcode", ""),
                        urn=inputs.get("school_urn", ""), saved=saved)
