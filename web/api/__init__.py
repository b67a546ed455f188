"""JSON and GeoJSON API, version 1: token-authenticated (``Authorization: Bearer ...``).

One module per resource. Signed-in browser sessions may call it too, with the CSRF
token in an ``X-CSRFToken`` header for anything that is not a GET. The OpenAPI
document is served only to signed-in users.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")

from web.api import briefings, incidents, network, openapi, placements, referrals, routes  # noqa: F401
