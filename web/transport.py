"""Transport officers: walking-route checks to school for the young people referred to them."""

from __future__ import annotations

from types import SimpleNamespace

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for

from geo_risk.errors import NotFound, ValidationError
from web import maps, queries, services
from web.access import audit_read, audit_read_many, decision_for, referral_for
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
        # For redrawing the record's map: the street segments of each walk (kept server-side).
        body["map_segment_ids"] = [[int(sg.segment_id) for sg in r.segments] for r in result.routes]
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
        row = decision_for(s, aid, PURPOSE)
        audit_read(s, action="route.decision.view", purpose=PURPOSE, pseudonym=row.child_pseudonym)
        saved = {"id": aid, "created_at": row.created_at, "policy_version": row.policy_version}
        body = dict(row.result or {})
        pseudonym = row.child_pseudonym
    inputs = body.get("inputs", {})
    return _result_page(d, _saved_result(body, pseudonym), pseudonym=pseudonym, home=inputs.get("home_postcode", ""),
                        urn=inputs.get("school_urn", ""), saved=saved)


def _saved_result(body: dict, pseudonym: str) -> SimpleNamespace:
    """The saved route check, shaped like a RouteAssessment for the page (as it was decided)."""
    import datetime as dt

    from shapely.geometry import LineString

    from geo_risk.crs import EastNorth

    def route(r: dict, ids: list[int]) -> SimpleNamespace:
        near = [SimpleNamespace(**{**n, "text": n.get("text", "")}) for n in r.get("near", [])]
        segments = [SimpleNamespace(**{**sg, "segment_id": sid}) for sg, sid in zip(r.get("segments", []), ids,
                                                                                    strict=False)]
        return SimpleNamespace(**{**r, "geometry": LineString(r["geometry"]["coordinates"]), "near": near,
                                  "segments": segments})

    def endpoint(e: dict) -> SimpleNamespace:
        return SimpleNamespace(label=e["label"], point=EastNorth(*e["point"]))

    as_of = body.get("as_of")
    try:
        as_of = dt.datetime.fromisoformat(str(as_of))
    except ValueError:
        pass
    rec = body.get("recommendation", {})
    return SimpleNamespace(child=pseudonym, as_of=as_of, policy_version=body.get("policy_version", ""),
                           routes=[route(r, ids) for r, ids in zip(body.get("routes", []),
                                                                    body.get("map_segment_ids") or
                                                                    [[] for _ in body.get("routes", [])],
                                                                    strict=False)],
                           recommendation=SimpleNamespace(text=rec.get("text", ""), reasons=rec.get("reasons", [])),
                           origin=endpoint(body["origin"]), destination=endpoint(body["destination"]))
