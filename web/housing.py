"""Housing officers: placement checks for the young people referred to them.

Everything a housing officer sees -- the result page, the map, a saved decision record and
the API's GeoJSON -- is built from the ranking's housing tier
(``ranking.to_dict(audience="housing")``) by :func:`candidate_rows`, which keeps only the
keys listed in :data:`ROW_KEYS`: bands, ranks and plain reasons, never a score or a
factor's value (numbers a user probing many addresses could triangulate a place with).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for

from geo_risk.crs import en_to_lonlat
from geo_risk.errors import ValidationError
from geo_risk.scoring import area_words
from web import maps, queries, services
from web.access import audit_read, audit_read_many, decision_for, referral_for
from web.extensions import data, store

bp = Blueprint("housing", __name__, url_prefix="/housing")
PURPOSE = "placement"
# What a housing officer may see of each candidate (the factors by name only, largest first).
ROW_KEYS = ("rank", "label", "band", "lifted_by", "factors", "reasons", "confidence", "freshness",
            "policy_version", "inputs_hash")


# the area reason of records saved before the housing tier dropped numbers ("busier than 87% of ...")
_OLD_AREA_REASON = re.compile(r"busier than (\d+(?:\.\d+)?)% of the area covered")


def _reason(text: str) -> str:
    return _OLD_AREA_REASON.sub(lambda m: area_words(float(m.group(1))), text)


def candidate_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per candidate, safest first, from a ranking's housing tier (live or saved).

    Keeps only :data:`ROW_KEYS` (and the point as latitude/longitude for the map): a decision
    record saved when the housing tier still carried a score shows none, and its area reason
    is put in words.
    """
    rows = []
    for c in result.get("candidates", []):
        a = c["assessment"]
        lon, lat = en_to_lonlat(a["point"][0], a["point"][1])
        row = {"rank": c["rank"], "label": c["label"], "band": a["band"], "lifted_by": list(a.get("lifted_by", [])),
               "factors": [{"name": f["name"], "label": f.get("label", f["name"])} for f in a.get("factors", [])],
               "reasons": [_reason(r) for r in a.get("reasons", [])], "confidence": a.get("confidence"),
               "freshness": a.get("freshness"), "policy_version": a.get("policy_version"),
               "inputs_hash": a.get("inputs_hash")}
        rows.append({**{k: row[k] for k in ROW_KEYS}, "lat": float(lat), "lon": float(lon)})
    return rows


def candidates_geojson(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The candidates as GeoJSON points coloured by band; the tooltip says rank, address and band."""
    from web.presentation import band_colour

    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(r["lon"], 6), round(r["lat"], 6)]},
         "properties": {**{k: r[k] for k in ROW_KEYS},
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
    rows = candidate_rows(ranking.to_dict(audience="housing"))
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
        _d, referral, postcodes, ranking = _run(s, rid, "placement.save")
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
    rows = candidate_rows(result)
    return render_template("housing/result.html", referral=None, pseudonym=pseudonym, rows=rows, ranking=None,
                           saved={"id": aid, "created_at": created, "policy_version": policy_version,
                                  "as_of": result.get("as_of")},
                           map=_case_map(d, rows), synthetic=d.is_synthetic)

