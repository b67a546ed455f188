"""GET /api/v1/referrals: the caller's live referrals (housing and transport officers)."""

from __future__ import annotations

from flask import g, jsonify

from web import queries
from web.access import audit_read_many
from web.api import bp
from web.extensions import store

PURPOSES = {"housing": "placement", "transport": "route"}


@bp.get("/referrals")
def referrals():
    purpose = PURPOSES[g.user.role]
    with store().transaction() as s:
        rows = queries.my_live_referrals(s, g.user.id, g.now, purpose)
        out = [{"id": r.id, "young_person": r.child_pseudonym, "purpose": r.purpose,
                "expires_at": r.expires_at.isoformat(), "details": r.details or {}} for r in rows]
        # one event per young person listed, as the officer's page writes
        audit_read_many(s, action="api.referrals.list", purpose=purpose, pseudonyms=[r.child_pseudonym for r in rows])
    return jsonify(referrals=out)
