"""GET /api/v1/schools/<urn>/briefing: a school's area briefing (area-level figures only for schools)."""

from __future__ import annotations

from flask import jsonify

from web.api import bp
from web.schools import page


@bp.get("/schools/<urn>/briefing")
def briefing(urn: str):
    _d, b, notices = page(urn, "api.briefing.view")
    areas = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": f["geometry"],
         "properties": {k: v for k, v in f["properties"].items() if not k.startswith("_")}}
        for f in b.shading["features"]]}
    body = dict(b.data)
    body["area_geojson"] = areas
    body["live_notices"] = [{**n, "valid_to": n["valid_to"].isoformat()} for n in notices]
    body["advisory"] = True
    return jsonify(body)
