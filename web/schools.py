"""Schools: the briefing for one's own school(s): area shading, trends, conflicts and notices to
acknowledge. Analysts see every school's briefing (analyst tier) and may set the tension level."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for

from geo_risk import service
from geo_risk.errors import ValidationError
from web import maps, queries
from web.access import actor
from web.extensions import data, store

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


def page(urn: str, action: str):
    """The briefing of ``urn`` for the signed-in user, with the live notices that reach it; audited."""
    d = data()
    with store().transaction() as s:
        checked = service.brief_school(s, actor(), d, urn=urn, as_of=g.now, action=action)
    return d, d.briefing_page(checked), checked.notices


@bp.get("/<urn>")
def briefing(urn: str):
    d, b, notices = page(urn, "briefing.view")
    m = maps.new_map(b.bounds_ll, tile_url=current_app.config["GEO_RISK_TILE_URL"])
    maps.add_base_layers(m, d, b.bounds_ll)
    maps.GeoJsonLayer(b.shading, name="area-shading").add_to(m)
    maps.GeoJsonLayer(b.school_marker, name="school").add_to(m)
    maps.LayerSwitch({"area-shading": "Neighbourhoods shaded by incidents", "school": "The school",
                      "streets": "Streets", "boundaries": "Neighbourhood boundaries"}).add_to(m)
    levels = list(d.policy.briefing.levels)
    return render_template("schools/briefing.html", urn=urn, b=b, d=b.data, notices=notices, levels=levels, key=b.key,
                           map=maps.render_map(m, g.csp_nonce), synthetic=d.is_synthetic)


@bp.post("/<urn>/notices/<int:nid>/ack")
def acknowledge(urn: str, nid: int):
    with store().transaction() as s:
        service.acknowledge_notice(s, actor(), data(), urn=urn, notice_id=nid, as_of=g.now)
    flash("Notice acknowledged.", "ok")
    return redirect(url_for("schools.briefing", urn=urn), code=303)


@bp.post("/<urn>/tension")
def tension(urn: str):
    """An analyst sets the school's tension level, with a reason and an expiry (recorded)."""
    d = data()
    d.snapshot.school(urn)
    level = request.form.get("level", "")
    reason = (request.form.get("reason") or "").strip()
    days = request.form.get("days", type=int) or 0
    if level not in d.policy.briefing.levels:
        raise ValidationError(f"level must be one of {', '.join(d.policy.briefing.levels)}")
    if not reason:
        raise ValidationError("give the reason for setting the level")
    if not 1 <= days <= 90:
        raise ValidationError("an override lasts 1 to 90 days")
    with store().transaction() as s:
        queries.add_override(s, urn=urn, level=level, reason=reason[:2000], user_id=g.user.id, at=g.now,
                             expires_at=g.now + dt.timedelta(days=days))
    flash("Tension level set.", "ok")
    return redirect(url_for("schools.briefing", urn=urn), code=303)
