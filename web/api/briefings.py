"""GET /api/v1/schools/<urn>/briefing: a school's area briefing (area-level figures only)."""

from __future__ import annotations

from flask import jsonify

from web.access import audit_read, school_for
from web.api import bp
from web.extensions import data, store


@bp.get("/schools/<urn>/briefing")
def briefing(urn: str):
    school_for(urn, action="api.briefing.view")
    d = data()
    b = d.briefing(urn)
    with store().transaction() as s:
        audit_read(s, action="api.briefing.view", purpose="briefing", pseudonym=None)
    shading = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": f["geometry"],
         "properties": {k: v for k, v in f["properties"].items() if not k.startswith("_")}}
        for f in b.shading["features"]]}
    return jsonify(urn=b.urn, name=b.name, as_of=b.as_of.isoformat(), level=b.level, reasons=b.level_reasons,
                   windows=b.windows, trend={"months": b.trend_labels, "series": b.trend_series},
                   areas=shading, notes=b.notes, advisory=True)
