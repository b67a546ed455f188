"""GET /api/v1/incidents/grid: incident counts on a 250 m grid (analysts)."""

from __future__ import annotations

from flask import jsonify, request

from web import services
from web.api import bp
from web.extensions import data


@bp.get("/incidents/grid")
def incident_grid():
    d = data()
    months = services.incident_months(d)
    wanted = [m for m in request.args.getlist("month") if m in months] or months[-3:]
    category = request.args.get("category") or None
    cell = min(max(request.args.get("cell_m", default=250.0, type=float) or 250.0, 100.0), 2000.0)
    fc = services.incident_grid(d, months=wanted, category=category, cell_m=cell)
    for f in fc["features"]:
        f["properties"] = {"count": f["properties"]["count"]}
    fc["months"] = wanted
    return jsonify(fc)
