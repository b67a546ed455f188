"""POST /api/v1/referrals/<id>/placement: rank candidate addresses for a referred young person."""

from __future__ import annotations

from flask import jsonify

from geo_risk import service
from geo_risk.errors import ValidationError
from web import services
from web.api import bp
from web.api._common import json_body
from web.extensions import data, store
from web.housing import candidates_geojson


@bp.post("/referrals/<int:rid>/placement")
def placement(rid: int):
    """Body: ``{"postcodes": ["AB1 2CD", ...]}``. Returns GeoJSON, safest first.

    Candidates are postcodes from the loaded address data; a ``points`` field (coordinates) is
    refused (400). Per referral the policy's budget applies (:mod:`geo_risk.service.probing`): over
    it, 429 with ``Retry-After``; a candidate too close to another one checked, 400.

    Each feature is a candidate as the housing tier sees it: rank, band, the factors that lifted
    the band, the factors' names in order of contribution, plain reasons, confidence, freshness,
    policy version and inputs hash. No score and no factor values.
    """
    body = json_body()
    if body.get("points"):
        raise ValidationError(service.POSTCODES_ONLY)
    postcodes = services.parse_postcodes(body.get("postcodes") or [])
    with store().transaction() as s:
        checked = services.check_placement(s, data(), action="api.placement.check", postcodes=postcodes,
                                           points=[], referral_id=rid)
    fc = candidates_geojson(services.placement_rows(checked.result))
    for f in fc["features"]:
        f["properties"] = {k: v for k, v in f["properties"].items() if not k.startswith("_")}
    fc.update({"young_person": checked.child, "as_of": checked.as_of,
               "policy_version": checked.policy_version, "order": "safest first", "advisory": True})
    return jsonify(fc)
