"""Housing officers: placement checks for the young people referred to them.

Everything a housing officer sees -- the result page, the map, a saved decision record and
the API's GeoJSON -- is the housing tier of the placement check
(:func:`geo_risk.service.check_placement`, projected by :data:`geo_risk.tiers.PLACEMENT`):
bands, ranks and plain reasons, never a score or a factor's value.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for

from geo_risk import tiers
from geo_risk.errors import ValidationError
from geo_risk.scoring import area_words
from web import maps, queries, services
from web.access import audit_read, audit_read_many, decision_for, referral_for
from web.extensions import data, store

bp = Blueprint("housing", __name__, url_prefix="/housing")
PURPOSE = "placement"


# the area reason of records saved before the housing tier dropped numbers ("busier than 87% of ...")
_OLD_AREA_REASON = re.compile(r"busier than (\d+(?:\.\d+)?)% of the area covered")


def _reason(text: str) -> str:
    return _OLD_AREA_REASON.sub(lambda m: area_words(float(m.group(1))), text)


def saved_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of a saved decision record, projected for the housing tier like a live check."""
    shown = tiers.project("placement", "housing", result, partial=True)
    rows = services.placement_rows(shown)
    for r in rows:
        r["reasons"] = [_reason(x) for x in r.get("reasons", [])]
    return rows


def candidates_geojson(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The candidates as GeoJSON points coloured by band; the tooltip says rank, address and band."""
    from web.presentation import band_colour

    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(r["lon"], 6), round(r["lat"], 6)]},
         "properties": {**{k: v for k, v in r.items() if k not in ("lat", "lon")},
                        "_tip": f"{r['rank']}. {r['label']}: {r['band']} (advisory)",
                        "_style": {"radius": 9, "color": "#222", "weight": 1.5, "fillColor": band_colour(r["band"]),
                                   "fillOpacity": 0.9}}}
        for r in rows]}


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
        maps.GeoJsonLayer(candidates_geojson(rows), name="candidates").add_to(m)
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
    postcodes = services.parse_postcodes(request.form.get("postcodes"))
    points = services.parse_points(request.form.get("points"))
    checked = services.check_placement(s, d, action=action, postcodes=postcodes, points=points, referral_id=rid)
    return d, checked, postcodes


@bp.post("/referrals/<int:rid>/check")
def check(rid: int):
    try:
        with store().transaction() as s:
            d, checked, _pcs = _run(s, rid, "placement.check")
    except ValidationError as exc:
        return _form_again(rid, str(exc))
    rows = services.placement_rows(checked.result)
    return render_template("housing/result.html", rid=rid, pseudonym=checked.child, rows=rows, ranking=checked,
                           saved=None, postcodes=request.form.get("postcodes", ""),
                           points=request.form.get("points", ""), map=_case_map(d, rows), synthetic=d.is_synthetic)


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
        _d, checked, postcodes = _run(s, rid, "placement.save")
        # The record holds what the officer saw and decided on: the housing tier.
        result = {**checked.result, "inputs": {"postcodes": postcodes, "points": request.form.get("points", "")}}
        row = queries.save_assessment(s, kind=PURPOSE, pseudonym=checked.child, inputs_hash=checked.inputs_digest,
                                      policy_version=checked.policy_version, result=result, user_id=g.user.id,
                                      at=g.now)
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
    rows = saved_rows(result)
    return render_template("housing/result.html", rid=None, pseudonym=pseudonym, rows=rows, ranking=None,
                           saved={"id": aid, "created_at": created, "policy_version": policy_version,
                                  "as_of": result.get("as_of")},
                           map=_case_map(d, rows), synthetic=d.is_synthetic)

