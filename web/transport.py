"""Transport officers: walking-route checks to school for the young people referred to them.

The result page, its map and a saved decision record are all drawn from the check's transport
tier (``RouteAssessment.to_dict()`` of a transport-tier check) by :func:`transport_view`, which
keeps only the keys listed in :data:`ROUTE_KEYS`: each walk's length, minutes, detour and band,
each street segment's band, and the plain "passes within" wording. No score, exposure or risk
number reaches the page (numbers a user probing many walks could triangulate a place with).
The check's notes (how it was made: which weekdays counted as school days) are shown under the
recommendation, live and in saved records.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for

from geo_risk.errors import NotFound, ValidationError
from geo_risk.routing.schoolrun import NOTE_START
from geo_risk.service import inputs_digest
from web import maps, queries, services
from web.access import audit_read, audit_read_many, decision_for, referral_for
from web.extensions import data, store

bp = Blueprint("transport", __name__, url_prefix="/transport")
PURPOSE = "route"
# What a transport officer may see of each walk.
ROUTE_KEYS = ("role", "length_m", "walk_minutes", "band", "detour_m", "detour_ratio", "riskiest_street")


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


def _result_page(d, view, *, referral=None, pseudonym=None, home="", urn="", saved=None):
    """The result page of ``view``: a :func:`transport_view` here; the analyst's own page passes an
    analyst-tier RouteAssessment."""
    lines, segs, bounds = services.route_layers(d, view)
    m = maps.new_map(bounds, tile_url=current_app.config["GEO_RISK_TILE_URL"])
    maps.add_base_layers(m, d, bounds)
    maps.GeoJsonLayer(lines, name="routes").add_to(m)
    maps.GeoJsonLayer(segs, name="segments").add_to(m)
    maps.GeoJsonLayer(services.endpoints_geojson(view), name="endpoints").add_to(m)
    school_name = dict(_schools(d)).get(urn, urn)
    return render_template("transport/result.html", referral=referral, pseudonym=pseudonym or view.child,
                           result=view, home=home, urn=urn, school_name=school_name, saved=saved,
                           labels=services.ROUTE_LABELS, colours=services.ROUTE_COLOURS,
                           map=maps.render_map(m, g.csp_nonce), synthetic=d.is_synthetic)


def _segment_ids(result) -> list[list[int]]:
    """The street segments of each walk, for drawing the map (kept server-side, never shown)."""
    return [[int(sg.segment_id) for sg in r.segments] for r in result.routes]


@bp.post("/referrals/<int:rid>/check")
def check(rid: int):
    try:
        with store().transaction() as s:
            d, referral, home, urn, result = _run(s, rid, "route.check")
            audit_read(s, action="route.check", purpose=PURPOSE, pseudonym=referral.child_pseudonym)
    except ValidationError as exc:
        return _form_again(rid, str(exc))
    view = transport_view(result.to_dict(), referral.child_pseudonym, _segment_ids(result))
    return _result_page(d, view, referral=referral, home=home, urn=urn)


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
        body = result.to_dict()  # the transport tier: what the officer saw and decided on
        body["inputs"] = {"home_postcode": home, "school_urn": urn}
        # For redrawing the record's map: the street segments of each walk (kept server-side).
        body["map_segment_ids"] = _segment_ids(result)
        digest = inputs_digest({"child": referral.child_pseudonym, "inputs": body["inputs"],
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
    view = transport_view(body, pseudonym, body.get("map_segment_ids"))
    return _result_page(d, view, home=inputs.get("home_postcode", ""), urn=inputs.get("school_urn", ""), saved=saved)


def transport_view(body: dict[str, Any], pseudonym: str, segment_ids: list[list[int]] | None = None) -> SimpleNamespace:
    """A route check as the transport officer sees it, shaped like a RouteAssessment for the page.

    Built from the check's transport-tier dict (live, or a saved decision record as it was
    decided), keeping only :data:`ROUTE_KEYS` of each walk, each segment's street and band and
    each "passes within" text: a record saved when the transport tier still carried scores
    and risk numbers shows none. ``segment_ids`` (one list per walk) only place the segments
    on the map.
    """
    from shapely.geometry import LineString

    from geo_risk.crs import EastNorth

    def route(r: dict, ids: list[int]) -> SimpleNamespace:
        near = [SimpleNamespace(text=n.get("text", "")) for n in r.get("near", [])]
        # services.route_layers reads peak_risk into a column it never draws: the tier has none.
        segments = [SimpleNamespace(segment_id=sid, street=sg.get("street", ""), band=sg["band"], peak_risk=None)
                    for sg, sid in zip(r.get("segments", []), ids, strict=False)]
        return SimpleNamespace(**{k: r.get(k) for k in ROUTE_KEYS},
                               geometry=LineString(r["geometry"]["coordinates"]), near=near, segments=segments)

    def endpoint(e: dict) -> SimpleNamespace:
        return SimpleNamespace(label=e["label"], point=EastNorth(*e["point"]))

    advisory, notes = advisory_and_notes(body)
    as_of = body.get("as_of")
    try:
        as_of = dt.datetime.fromisoformat(str(as_of))
    except ValueError:
        pass
    routes = body.get("routes", [])
    ids = segment_ids or [[] for _ in routes]
    rec = body.get("recommendation", {})
    return SimpleNamespace(child=pseudonym, as_of=as_of, tier="transport",
                           policy_version=body.get("policy_version", ""), advisory=advisory, notes=notes,
                           routes=[route(r, i) for r, i in zip(routes, ids, strict=False)],
                           recommendation=SimpleNamespace(text=rec.get("text", ""), reasons=rec.get("reasons", [])),
                           origin=endpoint(body["origin"]), destination=endpoint(body["destination"]))


def advisory_and_notes(body: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    """The advisory notice and the notes of a route check's dict (live, or a saved decision record).

    Records saved before route results had ``notes`` carry the school-days note at the end of
    ``advisory`` (``"<advisory> School holidays ..."``): it is split off and shown as a note.
    """
    advisory = str(body.get("advisory") or "")
    notes = body.get("notes")
    if notes is not None:
        return advisory, ((str(notes),) if isinstance(notes, str) else tuple(str(n) for n in notes))
    cut = advisory.find(f" {NOTE_START}")
    if cut < 0:
        return advisory, ()
    return advisory[:cut].rstrip(), (advisory[cut:].strip(),)
