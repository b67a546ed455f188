"""GET /api/v1/people/<id>/network: a young person's peer network and places (analysts)."""

from __future__ import annotations

from flask import jsonify

from web import drawing, queries, services
from web.access import audit_read
from web.api import bp
from web.extensions import data, store


@bp.get("/people/<int:pid>/network")
def network(pid: int):
    d = data()
    with store().transaction() as s:
        pseudonym = queries.person_by_id(s, pid).pseudonym
        audit_read(s, action="api.network.view", purpose="analysis", pseudonym=pseudonym)
    ego = drawing.ego_network(d.snapshot.links, d.snapshot.groups, pseudonym, d.as_of)
    nodes = [{"kind": n[0], "key": n[1], "label": a.get("label"), "hops": a.get("hops")} for n, a in ego.nodes(data=True)]
    edges = [{"link_id": k, "from": list(a["source"]), "to": list(v if tuple(a["source"]) == u else u),
              "type": a["type"], "grade": a["grade"], "live": a["live"]} for u, v, k, a in ego.edges(keys=True, data=True)]
    places = services.places_geojson(d, {n[1] for n in ego.nodes}, as_of=d.as_of)
    for f in places["features"]:
        f["properties"] = {"description": f["properties"]["_tip"]}
    return jsonify(young_person=pseudonym, nodes=nodes, links=edges, places=places)
