"""Housing officers: placement checks for the young people referred to them.

Everything a housing officer sees -- the result page, the map, a saved decision record and
the API's GeoJSON -- is the housing tier of the placement check
(:func:`geo_risk.service.check_placement`, projected by :data:`geo_risk.tiers.PLACEMENT`):
bands, ranks and plain reasons, never a score or a factor's value. Candidates are postcodes from
the loaded address data only (no points, no map clicks), within the referral's checking budget
(:mod:`geo_risk.service.probing`).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for

from geo_risk import service
from geo_risk.errors import ValidationError
from web import maps, queries, records, services
from web.access import actor, audit_read, audit_read_many, referral_for
from web.extensions import data, store

bp = Blueprint("housing", __name__, url_prefix="/housing")
PURPOSE = "placement"


def candidates_geojson(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The candidates as GeoJSON points coloured by band; the tooltip says rank, address and band."""
    from web.presentation import band_colour

    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(r["lon"], 6), round(r["lat"], 6)]},
         "properties": {**{k: v for k, v in r.items() if k not in ("lat", "lon")},
                        "_tip": f"{r['rank']}. {r['label']}: {r['band']} (advisory)", "_label": r["rank"],
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
    m = maps.new_map(bounds, tile_url=current_app.config["GEO_RISK_TILE_URL"])
    maps.add_base_layers(m, d, bounds)
    if rows:
        maps.GeoJsonLayer(candidates_geojson(rows), name="candidates").add_to(m)
        maps.LayerSwitch({"candidates": "Candidate addresses", "streets": "Streets",
                          "boundaries": "Neighbourhood boundaries"}).add_to(m)
    return maps.render_map(m, g.csp_nonce)


#: The result map's key: numbered candidates (the table's ranks) in their band's colour, then the base map.
RESULT_KEY = ({"kind": "marker", "colour": "#52606d", "letter": "1",
               "label": "Candidate address: its number is its rank in the table, its colour its band"},
              *maps.BASE_KEY)


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
    return render_template("housing/case.html", referral=referral, postcodes=postcodes, errors={},
                           probing=d.policy.probing, map=_case_map(d), synthetic=d.is_synthetic)


def _postcodes_only() -> list[str]:
    """The form's candidate postcodes; a ``points`` field (coordinates) is refused."""
    if (request.form.get("points") or "").strip():
        raise ValidationError(service.POSTCODES_ONLY)
    return services.parse_postcodes(request.form.get("postcodes"))


def _run(s, rid: int, action: str):
    d = data()
    checked = services.check_placement(s, d, action=action, postcodes=_postcodes_only(), points=[], referral_id=rid)
    return d, checked


@bp.post("/referrals/<int:rid>/check")
def check(rid: int):
    try:
        with store().transaction() as s:
            d, checked = _run(s, rid, "placement.check")
    except ValidationError as exc:
        return _form_again(rid, str(exc))
    except service.TooManyChecks as exc:
        return _form_again(rid, str(exc), status=429, retry_after=exc.retry_after)
    return _result(rid, d, checked)


def _result(rid: int, d, checked, *, errors: dict[str, str] | None = None, status: int = 200):
    """A live check's result page with the decision form (``errors`` and what was typed on a failed save)."""
    rows = services.placement_rows(checked.result)
    postcodes = request.form.get("postcodes", "")
    values = {k: request.form.get(k, "") for k in service.DECISION_FIELDS} if errors else {}
    return render_template("housing/result.html", rid=rid, pseudonym=checked.child, rows=rows, ranking=checked,
                           saved=None, postcodes=postcodes, map=_case_map(d, rows), key=RESULT_KEY,
                           synthetic=d.is_synthetic, errors=errors or {}, values=values,
                           options=service.decision_options(PURPOSE, checked.result), markings=service.MARKINGS,
                           hidden=[("postcodes", postcodes)]), status


def _form_again(rid: int, error: str, *, status: int = 400, retry_after: int | None = None):
    """The check form again, the problem in the error summary beside the postcodes (400; 429 over the budget)."""
    d = data()
    with store().transaction() as s:
        referral = referral_for(s, rid, PURPOSE, action="placement.form")
        audit_read(s, action="placement.form", purpose=PURPOSE, pseudonym=referral.child_pseudonym)
    html = render_template("housing/case.html", referral=referral, postcodes=request.form.get("postcodes", ""),
                           errors={"postcodes": error}, probing=d.policy.probing, map=_case_map(d),
                           synthetic=d.is_synthetic)
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    return html, status, headers


@bp.post("/referrals/<int:rid>/decisions")
def save(rid: int):
    postcodes = _postcodes_only()
    try:
        with store().transaction() as s:
            # The record holds what the officer saw and decided on: the housing tier, and the decision.
            aid = service.save_placement_decision(
                s, actor(), data(), referral_id=rid, as_of=services.check_time(data()), postcodes=postcodes,
                decision=request.form, inputs={"postcodes": postcodes})
    except service.DecisionInvalid as exc:
        with store().transaction() as s:
            d, checked = _run(s, rid, "placement.check")
        return _result(rid, d, checked, errors=exc.errors, status=400)
    return redirect(url_for("housing.decision", aid=aid), code=303)


@bp.get("/decisions")
def decisions():
    return records.list_page(PURPOSE, synthetic=data().is_synthetic)


@bp.get("/decisions/<int:aid>")
def decision(aid: int):
    d = data()
    record = records.read(PURPOSE, aid, "view")
    rows = services.placement_rows(record.result)
    return render_template("housing/result.html", rid=None, pseudonym=record.child, rows=rows, ranking=None,
                           saved={"id": record.id, "created_at": record.created_at,
                                  "policy_version": record.policy_version, "as_of": record.result.get("as_of")},
                           record=record, officer_role="housing", currency_words=records.currency_words,
                           map=_case_map(d, rows), key=RESULT_KEY, synthetic=d.is_synthetic)


@bp.get("/decisions/<int:aid>/print")
def decision_print(aid: int):
    return records.print_html(PURPOSE, records.read(PURPOSE, aid, "print"))


@bp.get("/decisions/<int:aid>/record.pdf")
def decision_pdf(aid: int):
    return records.pdf_response(PURPOSE, records.read(PURPOSE, aid, "pdf"))


@bp.get("/decisions/<int:aid>/record.csv")
def decision_csv(aid: int):
    return records.csv_response(PURPOSE, records.read(PURPOSE, aid, "csv"))
