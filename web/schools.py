"""Schools: the briefing for one's own school(s): area shading, trends and notices to acknowledge."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, url_for

from geo_risk.errors import NotFound
from web import drawing, maps, queries
from web.access import audit_read, school_for
from web.extensions import data, store
from web.notices import notices_for_point

bp = Blueprint("schools", __name__, url_prefix="/schools")


@bp.get("/")
def index():
    d = data()
    sc = d.snapshot.schools
    urns = list(g.user.school_urns) if g.user.role == "school" else sc["urn"].astype(str).tolist()
    names = dict(zip(sc["urn"].astype(str), sc["name"].astype(str), strict=True))
    mine = [(u, names.get(u, u)) for u in urns if u in names]
    if len(mine) == 1:
        return redirect(url_for("schools.briefing", urn=mine[0][0]))
    return render_template("schools/index.html", schools=mine, synthetic=d.is_synthetic)


@bp.get("/<urn>")
def briefing(urn: str):
    d = data()
    school_for(urn, action="briefing.view")
    try:
        school = d.snapshot.school(urn)
    except NotFound:
        raise NotFound("no such school") from None
    b = d.briefing(urn)
    with store().transaction() as s:
        live = notices_for_point(queries.notices(s, live_at=g.now), school.geometry)
        acked = queries.acknowledged(s, g.user.id, urn)
        notices = [{"id": n.id, "title": n.title, "what_happened": n.what_happened, "what_to_do": n.what_to_do,
                    "contact": n.contact, "valid_to": n.valid_to, "acknowledged": n.id in acked} for n in live]
        audit_read(s, action="briefing.view", purpose="briefing", pseudonym=None)
    bounds = b.bounds_ll
    m = maps.new_map(bounds, tile_url=current_app.config["GEO_RISK_TILE_URL"])
    maps.add_base_layers(m, d, bounds)
    maps.GeoJsonLayer(b.shading, name="area-shading").add_to(m)
    maps.GeoJsonLayer(b.school_marker, name="school").add_to(m)
    chart = drawing.bar_chart_svg(b.trend_labels, b.trend_series)
    return render_template("schools/briefing.html", urn=urn, b=b, notices=notices, chart=chart,
                           map=maps.render_map(m, g.csp_nonce), synthetic=d.is_synthetic)


@bp.post("/<urn>/notices/<int:nid>/ack")
def acknowledge(urn: str, nid: int):
    d = data()
    school_for(urn, action="notice.acknowledge")
    school = d.snapshot.school(urn)
    with store().transaction() as s:
        notice = queries.notice(s, nid)
        if not notices_for_point([notice], school.geometry) or not (notice.valid_from <= g.now < notice.valid_to):
            raise NotFound("no such notice")
        queries.acknowledge(s, nid, g.user.id, urn, g.now)
    flash("Notice acknowledged.", "ok")
    return redirect(url_for("schools.briefing", urn=urn), code=303)
