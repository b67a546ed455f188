"""POST /api/v1/referrals/<id>/placement: rank candidate addresses for a referred young person."""

from __future__ import annotations

from flask import jsonify

from web import services
from web.access import audit_read, referral_for
from web.api import bp
from web.api._common import json_body
from web.extensions import data, store
from web.housing import candidate_rows, candidates_geojson


@bp.post("/referrals/<int:rid>/placement")
def placement(rid: int):
    """Body: ``{"postcodes": ["AB1 2CD", ...], "points": [[lat, lon], ...]}``. Returns GeoJSON, safest first.

    Each feature is a candidate as the housing tier sees it: rank, band, the factors that lifted
    the band, the factors' names in order of contribution, plain reasons, confidence, freshness,
    policy version and inputs hash. No score and no factor values.
    """
    body = json_body()
    d = data()
    with store().transaction() as s:
        referral = referral_for(s, rid, "placement", action="api.placement.check")
        cands = services.candidates(s, services.parse_postcodes(body.get("postcodes") or []),
                                    services.parse_points(body.get("points") or []))
        ranking = services.placement_check(d, referral.child_pseudonym, cands)
        audit_read(s, action="api.placement.check", purpose="placement", pseudonym=referral.child_pseudonym)
    fc = candidates_geojson(candidate_rows(ranking.to_dict(audience="housing")))
    for f in fc["features"]:
        f["properties"] = {k: v for k, v in f["properties"].items() if not k.startswith("_")}
    fc.update({"young_person": referral.child_pseudonym, "as_of": ranking.as_of,
               "policy_version": ranking.policy_version, "order": "safest first", "advisory": True})
    return jsonify(fc)
