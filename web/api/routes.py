"""POST /api/v1/referrals/<id>/route: the walk from home to school for a referred young person."""

from __future__ import annotations

from flask import jsonify

from geo_risk.crs import to_serve
from web import services
from web.api import bp
from web.api._common import json_body
from web.extensions import data, store


@bp.post("/referrals/<int:rid>/route")
def route(rid: int):
    """Body: ``{"home_postcode": "AB1 2CD", "school_urn": "100001"}``. Returns GeoJSON routes, the
    advisory recommendation and the check's notes (which weekdays counted as school days).

    Each walk is the transport tier: length, minutes, detour, band and a band per street segment;
    no score, exposure or risk number, no segment ids and no exact distances.
    """
    import geopandas as gpd
    from shapely.geometry import LineString

    body = json_body()
    with store().transaction() as s:
        checked = services.check_route(s, data(), action="api.route.check", home=str(body.get("home_postcode") or ""),
                                       school_urn=str(body.get("school_urn") or ""), referral_id=rid)
    result = checked.result
    walks = result["routes"]
    lines = to_serve(gpd.GeoDataFrame({"role": [w["role"] for w in walks]},
                                      geometry=[LineString(w["geometry"]["coordinates"]) for w in walks], crs=27700))
    features = [{"type": "Feature", "geometry": geom.__geo_interface__,
                 "properties": {k: v for k, v in w.items() if k != "geometry"}}
                for w, geom in zip(walks, lines.geometry, strict=True)]
    return jsonify({"type": "FeatureCollection", "features": features, "young_person": checked.child,
                    "recommendation": result["recommendation"], "policy_version": result["policy_version"],
                    "advisory": result["advisory"], "notes": list(result["notes"])})
