"""POST /api/v1/referrals/<id>/route: the walk from home to school for a referred young person."""

from __future__ import annotations

from flask import jsonify

from geo_risk.crs import to_serve
from geo_risk.errors import NotFound, ValidationError
from web import services
from web.access import audit_read, referral_for
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

    body = json_body()
    d = data()
    with store().transaction() as s:
        referral = referral_for(s, rid, "route", action="api.route.check")
        origin = services.postcode_point(s, str(body.get("home_postcode") or ""))
        try:
            destination = services.school_point(d, str(body.get("school_urn") or ""))
        except NotFound as exc:
            raise ValidationError("school_urn is not a school in the data") from exc
        result = services.route_check(d, referral.child_pseudonym, origin, destination)
        audit_read(s, action="api.route.check", purpose="route", pseudonym=referral.child_pseudonym)
    lines = to_serve(gpd.GeoDataFrame({"role": [r.role for r in result.routes]},
                                      geometry=[r.geometry for r in result.routes], crs=27700))
    features = []
    for r, geom in zip(result.routes, lines.geometry, strict=True):
        props = r.to_dict(tier="transport")
        props.pop("geometry")
        features.append({"type": "Feature", "geometry": geom.__geo_interface__, "properties": props})
    return jsonify({"type": "FeatureCollection", "features": features, "young_person": referral.child_pseudonym,
                    "recommendation": result.recommendation.to_dict(), "policy_version": result.policy_version,
                    "advisory": result.advisory, "notes": list(result.notes)})
