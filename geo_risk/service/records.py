"""Save and read decision records: what an officer saw and decided on, kept for reproducibility.

A record holds the check's result as the officer's tier had it (housing for a placement,
transport for a route), the inputs, and :data:`RECORD_SCHEMA`, the version of that shape.
Records saved before versions existed are upgraded once by a migration
(``0007_decision_record_schema``), never when they are read. Reading one is audited; a
missing record, someone else's, one of another kind, or one whose referral has lapsed is the
same NotFound, audited as a refused read.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from geo_risk import accounts, tiers
from geo_risk.crs import EastNorth, LatLon
from geo_risk.errors import AccessDenied, NotFound
from geo_risk.service.access import Actor, as_id, record_read, record_refusal
from geo_risk.service.placement import check_placement
from geo_risk.service.route import check_route
from geo_risk.service.snapshot import SnapshotData
from geo_risk.store.models import Assessment, User

log = logging.getLogger(__name__)

RECORD_SCHEMA = 2
# kind -> (the role that saves and reads it, the tier it holds)
KINDS = {"placement": ("housing", "housing"), "route": ("transport", "transport")}


@dataclass(frozen=True)
class DecisionRecord:
    """A decision record as its owner may read it.

    Attributes
    ----------
    id, kind, child, created_at, policy_version
        As stored.
    result
        The check as it was decided on, projected for the record's tier.
    inputs
        What the officer entered.
    map_segment_ids
        For a route: the street segments of each walk (to redraw the map server-side).
    """

    id: int
    kind: str
    child: str
    created_at: dt.datetime
    policy_version: str
    result: dict[str, Any]
    inputs: dict[str, Any]
    map_segment_ids: list[list[int]] | None = None


def _store(session: Session, actor: Actor, *, kind: str, child: str, inputs_hash: str, policy_version: str,
           result: dict[str, Any]) -> int:
    row = Assessment(kind=kind, child_pseudonym=child, inputs_hash=inputs_hash, policy_version=policy_version,
                     result=result, user_id=actor.user_id, created_at=actor.now, schema_version=RECORD_SCHEMA)
    session.add(row)
    session.flush()
    return int(row.id)


def save_placement_decision(session: Session, actor: Actor, data: SnapshotData, *, referral_id: int | str,
                            as_of: dt.datetime, postcodes: Sequence[str] = (),
                            points: Sequence[tuple[str, EastNorth | LatLon]] = (),
                            inputs: dict[str, Any] | None = None) -> int:
    """Run the placement check again and save it as the housing officer's decision record; its id.

    The read is audited as ``placement.save`` (one event, in the caller's transaction).
    """
    checked = check_placement(session, actor, data, as_of=as_of, postcodes=postcodes, points=points,
                              referral_id=referral_id, action="placement.save")
    result = {**checked.result, "inputs": dict(inputs or {"postcodes": list(postcodes)})}
    return _store(session, actor, kind="placement", child=checked.child, inputs_hash=checked.inputs_digest,
                  policy_version=checked.policy_version, result=result)


def save_route_decision(session: Session, actor: Actor, data: SnapshotData, *, referral_id: int | str,
                        as_of: dt.datetime, home: str, school_urn: str) -> int:
    """Run the route check again and save it as the transport officer's decision record; its id."""
    checked = check_route(session, actor, data, as_of=as_of, home=home, school_urn=school_urn,
                          referral_id=referral_id, action="route.save")
    result = {**checked.result, "inputs": {"home_postcode": home, "school_urn": school_urn},
              "map_segment_ids": checked.segment_ids}
    return _store(session, actor, kind="route", child=checked.child, inputs_hash=checked.inputs_digest,
                  policy_version=checked.policy_version, result=result)


def read_decision(session: Session, actor: Actor, *, record_id: int | str, kind: str,
                  action: str | None = None) -> DecisionRecord:
    """The actor's own decision record ``record_id`` of ``kind``, while the young person's referral is
    live; audited (``<kind>.decision.view`` unless ``action`` is given).

    Raises
    ------
    NotFound
        Missing, someone else's, another kind, an impossible id, a record whose referral has lapsed,
        or a record of a shape this version cannot read (the refusal is audited).
    AccessDenied
        A role that keeps no records of ``kind``.
    """
    role, tier = KINDS[kind]
    action = action or f"{kind}.decision.view"
    if actor.role != role:
        msg = f"the {actor.role} role keeps no {kind} decision records"
        raise AccessDenied(msg)
    rid = as_id(record_id)
    row = session.get(Assessment, rid) if rid is not None else None
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    ok = (row is not None and user is not None and row.user_id == actor.user_id and row.kind == kind
          and accounts.has_live_referral(session, user, row.child_pseudonym, actor.now, purpose=kind))
    if not ok:
        record_refusal(session, actor, action=action, purpose=kind)
        raise NotFound("no such decision record")
    if row.schema_version != RECORD_SCHEMA:
        log.error("decision record %s has schema %s, not %s: run `geo-risk db upgrade`", row.id,
                  row.schema_version, RECORD_SCHEMA)
        record_refusal(session, actor, action=action, purpose=kind, pseudonym=row.child_pseudonym)
        raise NotFound("no such decision record")
    record_read(session, actor, action=action, purpose=kind, pseudonym=row.child_pseudonym)
    stored = dict(row.result or {})
    return DecisionRecord(id=int(row.id), kind=kind, child=row.child_pseudonym, created_at=row.created_at,
                          policy_version=row.policy_version, result=tiers.project(kind, tier, stored, partial=True),
                          inputs=dict(stored.get("inputs") or {}), map_segment_ids=stored.get("map_segment_ids"))
