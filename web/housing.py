"""Housing officers: placement checks for the young people referred to them."""

from __future__ import annotations

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for

from geo_risk.errors import ValidationError
from web import maps, queries, services
from web.access import audit_read, audit_read_many, decision_for, referral_for
from web.extensions import data, store

bp = Blueprint("housing", __name__, url_prefix="/housing")
PURPOSE = "placement"


@bp.get("/")
def index():
    with store().transaction() as s:
        referrals = queries.my_live_referrals(s, g.user.id, g.now, PURPOSE)
        audit_read_many(s, action="housing.referrals.list", purpose=PURPOSE,
                        pseudonyms=[r.child_pseudonym for r in referrals])
    return render_template("housing/index.html", referrals=referrals, synthetic=data().is_synthetic)


def _case_map(d, rows=None):
    if rows:
        bounds = maps.bounds_of_points([r["lat"] for r in rows], [r["lon"] for r in rows])
    else:
        bounds = _data_bounds(d)
    m = maps.new_map(bounds, tile_url=current_app.config["GEO_RISK_TILE_URL"], click_to_add=True)
    maps.add_base_layers(m, d, bounds)
    if rows:
        maps.GeoJsonLayer(services.placement_geojson(rows), name="candidates").add_to(m)
    return maps.render_map(m, g.csp_nonce)


def _data_bounds(d):
    b = d.bounds
    if b is None:
        return None
    return services.bbox_ll_of_xy([[b[0], b[1]], [b[2], b[3]]], pad_m=0)


@bp.get("/referrals/<int:rid>")
def case(rid: int):
    d = data()
    with store().transaction() as s:
        referral = referral_for(s, rid, PURPOSE, action="placement.form")
        audit_read(s, action="placement.form", purpose=PURPOSE, pseudonym=referral.child_pseudonym)
    details = referral.details or {}
    postcodes = "\n".join(details.get("postcodes") or details.get("candidate_postcodes") or [])
    return render_template("housing/case.html", referral=referral, postcodes=postcodes, points="", error=None,
                           map=_case_map(d), synthetic=d.is_synthetic)


def _run(s, rid: int, action: str):
    d = data()
    referral = referral_for(s, rid, PURPOSE, action=action)
    postcodes = services.parse_postcodes(request.form.get("postcodes"))
    points = services.parse_points(request.form.get("points"))
    cands = services.candidates(s, postcodes, points)
    ranking = services.placement_check(d, referral.child_pseudonym, cands)
    return d, referral, postcodes, ranking


@bp.post("/referrals/<int:rid>/check")
def check(rid: int):
    try:
        with store().transaction() as s:
            d, referral, _pcs, ranking = _run(s, rid, "placement.check")
            audit_read(s, action="placement.check", purpose=PURPOSE, pseudonym=referral.child_pseudonym)
    except ValidationError as exc:
        return _form_again(rid, str(exc))
    rows = services.placement_rows(ranking, "housing")
    return render_template("housing/result.html", referral=referral, rows=rows, ranking=ranking, saved=None,
                           postcodes=request.form.get("postcodes", ""), points=request.form.get("points", ""),
                           map=_case_map(d, rows), synthetic=d.is_synthetic)


def _form_again(rid: int, error: str):
    d = data()
    with store().transaction() as s:
        referral = referral_for(s, rid, PURPOSE, action="placement.form")
        audit_read(s, action="placement.form", purpose=PURPOSE, pseudonym=referral.child_pseudonym)
    return render_template("housing/case.html", referral=referral, postcodes=request.form.get("postcodes", ""),
                           points=request.form.get("points", ""), error=error, map=_case_map(d),
                           synthetic=d.is_synthetic), 400


@bp.post("/referrals/<int:rid>/decisions")
def save(rid: int):
    with store().transaction() as s:
        d, referral, postcodes, ranking = _run(s, rid, "placement.save")
        # The record holds what the officer saw and decided on: the housing tier.
        result = ranking.to_dict(audience="housing")
        result["inputs"] = {"postcodes": postcodes, "points": request.form.get("points", "")}
        digest = services.inputs_digest({"child": referral.child_pseudonym, "as_of": ranking.as_of,
                                         "candidates": [c.assessment.inputs_hash for c in ranking.candidates]})
        row = queries.save_assessment(s, kind=PURPOSE, pseudonym=referral.child_pseudonym, inputs_hash=digest,
                                      policy_version=ranking.policy_version, result=result, user_id=g.user.id,
                                      at=g.now)
        audit_read(s, action="placement.save", purpose=PURPOSE, pseudonym=referral.child_pseudonym)
        aid = row.id
    return redirect(url_for("housing.decision", aid=aid), code=303)


@bp.get("/decisions/<int:aid>")
def decision(aid: int):
    d = data()
    with store().transaction() as s:
        row = decision_for(s, aid, PURPOSE)
        audit_read(s, action="placement.decision.view", purpose=PURPOSE, pseudonym=row.child_pseudonym)
        result, created, pseudonym, policy_version = row.result, row.created_at, row.child_pseudonym, \
            row.policy_version
    rows = _rows_from_saved(result)
    return render_template("housing/result.html", referral=None, pseudonym=pseudonym, rows=rows, ranking=None,
                           saved={"id": aid, "created_at": created, "policy_version": policy_version,
                                  "as_of": result.get("as_of")},
                           map=_case_map(d, rows), synthetic=d.is_synthetic)


def _rows_from_saved(result: dict) -> list[dict]:
    from geo_risk.crs import en_to_lonlat

    rows = []
    for c in result.get("candidates", []):
        a = c["assessment"]
        lon, lat = en_to_lonlat(a["point"][0], a["point"][1])
        rows.append({"rank": c["rank"], "label": c["label"], "band": a["band"], "score": a["score"],
                     "reasons": a["reasons"], "confidence": a["confidence"], "lat": float(lat), "lon": float(lon),
                     "factors": a["factors"], "inputs_hash": a["inputs_hash"]})
    return rows
