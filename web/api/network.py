"""GET /api/v1/people/<id>/network: a young person's peer network and places (analysts)."""

from __future__ import annotations

from flask import jsonify

from geo_risk import service
from web import services
from web.access import actor
from web.api import bp
from web.extensions import data, store


@bp.get("/people/<pid>/network")
def network(pid: str):
    d = data()
    with store().transaction() as s:
        record = service.read_young_person(s, actor(), d, person_id=pid, action="api.network.view")
    pseudonym, ego = record.pseudonym, record.network
    nodes = [{"kind": n[0], "key": n[1], "label": a.get("label"), "hops": a.get("hops")} for n, a in ego.nodes(data=True)]
    edges = [{"link_id": k, "from": list(a["source"]), "to": list(v if tuple(a["source"]) == u else u),
              "type": a["type"], "grade": a["grade"], "live": a["live"]} for u, v, k, a in ego.edges(keys=True, data=True)]
    places = services.places_geojson(d, record.keys, as_of=d.as_of)
    for f in places["features"]:
        f["properties"] = {"description": f["properties"]["_tip"]}
    return jsonify(young_person=pseudonym, nodes=nodes, links=edges, places=places)
