"""Save and read decision records: what an officer saw and decided on, kept for reproducibility.

A record holds the check's result as the officer's tier had it (housing for a placement,
transport for a route), the inputs, and :data:`RECORD_SCHEMA`, the version of that shape;
and the decision itself, as a manager signs it off for the case file: the option chosen, the
officer's reasons, the case reference, the protective marking, the officer and the date, and
the currency of the data the check ran on (latest incident month, when the street and peer
network data were imported). Every field of the decision is required; :class:`DecisionInvalid`
names each one missing or wrong, so a form can say so beside it and keep what was typed.
Records saved before versions existed are upgraded once by a migration
(``0007_decision_record_schema``), never when they are read. Reading one is audited; a
missing record, someone else's, one of another kind, or one whose referral has lapsed is the
same NotFound, audited as a refused read.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geo_risk import accounts, tiers
from geo_risk.crs import EastNorth, LatLon
from geo_risk.errors import AccessDenied, NotFound, ValidationError
from geo_risk.service.access import Actor, as_id, record_read, record_reads, record_refusal
from geo_risk.service.placement import check_placement
from geo_risk.service.route import check_route
from geo_risk.service.snapshot import SnapshotData
from geo_risk.store.models import Assessment, ImportRun, User

log = logging.getLogger(__name__)

RECORD_SCHEMA = 2
# kind -> (the role that saves and reads it, the tier it holds)
KINDS = {"placement": ("housing", "housing"), "route": ("transport", "transport")}

#: Protective markings a decision record may carry (Government Security Classifications: OFFICIAL,
#: with the OFFICIAL-SENSITIVE handling caveat for information about a young person at risk).
MARKINGS = ("OFFICIAL-SENSITIVE", "OFFICIAL")
#: The decisions a transport officer records about a walk to school.
ROUTE_OPTIONS = {
    "assisted": "Assisted transport provided",
    "walk_lowest_risk": "No assisted transport: the lowest-risk walk advised",
    "walk_shortest": "No assisted transport: the shortest walk is acceptable",
    "review": "Not decided yet: referred for a multi-agency review",
}
NO_ADDRESS = "None of these addresses"
CASE_REFERENCE_MAX = 40
RATIONALE_MAX = 4000
#: The decision's fields, in the order a form asks for them.
DECISION_FIELDS = ("option", "rationale", "case_reference", "marking")


class DecisionInvalid(ValidationError):
    """A decision with fields missing or wrong; ``errors`` maps each field to what to fix."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(self.errors.values()))


@dataclass(frozen=True)
class Decision:
    """What the officer decided and why, as a manager signs it off."""

    option: str
    rationale: str
    case_reference: str
    marking: str


def decision_options(kind: str, result: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The options an officer chooses between for a check's ``result``: (value, words).

    A placement's options are its candidate addresses, safest first, and "none of these"; a
    route's are :data:`ROUTE_OPTIONS`.
    """
    if kind == "route":
        return list(ROUTE_OPTIONS.items())
    out = []
    for c in result.get("candidates", []):
        band = (c.get("assessment") or {}).get("band")
        label = str(c.get("label"))
        out.append((label, f"{label} (ranked {c.get('rank')}, {band})" if band else label))
    return [*out, ("none", NO_ADDRESS)]


def parse_decision(kind: str, result: Mapping[str, Any], fields: Mapping[str, Any]) -> Decision:
    """The decision in ``fields`` (a form's values), checked against the options of ``result``.

    Raises
    ------
    DecisionInvalid
        Naming every field that is missing or wrong, in the form's order.
    """
    def text(name: str) -> str:
        return str(fields.get(name) or "").strip()

    errors: dict[str, str] = {}
    options = dict(decision_options(kind, result))
    option = text("option")
    if option not in options:
        errors["option"] = ("Select the address you chose, or none of them" if kind == "placement"
                            else "Select what you decided about transport")
    rationale = text("rationale")
    if not rationale:
        errors["rationale"] = "Enter your reasons for the decision"
    elif len(rationale) > RATIONALE_MAX:
        errors["rationale"] = f"Reasons must be {RATIONALE_MAX:,} characters or fewer"
    reference = text("case_reference")
    if not reference:
        errors["case_reference"] = "Enter the case reference from your case management system"
    elif len(reference) > CASE_REFERENCE_MAX:
        errors["case_reference"] = f"Case reference must be {CASE_REFERENCE_MAX} characters or fewer"
    marking = text("marking")
    if marking not in MARKINGS:
        errors["marking"] = "Select the protective marking"
    if errors:
        raise DecisionInvalid(errors)
    return Decision(option=options[option], rationale=rationale, case_reference=reference, marking=marking)


def data_currency(session: Session, data: SnapshotData) -> dict[str, str | None]:
    """How current the data a check ran on is: the latest incident month, and the dates the street
    network and the peer network were last imported (None when not known)."""
    def built() -> str | None:
        inc = data.snapshot.incidents
        if not len(inc):
            return None
        latest = pd.to_datetime(inc["occurred_at"]).max()
        return None if pd.isna(latest) else latest.strftime("%Y-%m")

    def imported(kind: str) -> str | None:
        when = session.execute(select(func.max(ImportRun.finished_at)).where(ImportRun.kind == kind)).scalar()
        return when.strftime("%Y-%m-%d") if when is not None else None

    return {"latest_incident_month": data.memo("latest_incident_month", built),
            "streets_imported": imported("streets"), "network_imported": imported("network")}


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
    officer: str = ""
    decision: Decision | None = None
    data_currency: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DecisionSummary:
    """One line of an officer's list of their records."""

    id: int
    kind: str
    child: str
    created_at: dt.datetime
    case_reference: str | None
    option: str | None
    marking: str | None


def _store(session: Session, actor: Actor, data: SnapshotData, *, kind: str, child: str, inputs_hash: str,
           policy_version: str, result: dict[str, Any], decision: Decision) -> int:
    row = Assessment(kind=kind, child_pseudonym=child, inputs_hash=inputs_hash, policy_version=policy_version,
                     result=result, user_id=actor.user_id, created_at=actor.now, schema_version=RECORD_SCHEMA,
                     decision=decision.option, rationale=decision.rationale,
                     case_reference=decision.case_reference, marking=decision.marking,
                     data_currency=data_currency(session, data))
    session.add(row)
    session.flush()
    return int(row.id)


def save_placement_decision(session: Session, actor: Actor, data: SnapshotData, *, referral_id: int | str,
                            as_of: dt.datetime, postcodes: Sequence[str] = (),
                            points: Sequence[tuple[str, EastNorth | LatLon]] = (),
                            inputs: dict[str, Any] | None = None, decision: Mapping[str, Any]) -> int:
    """Run the placement check again and save it, with the officer's ``decision`` (the fields of
    :data:`DECISION_FIELDS`), as the housing officer's decision record; its id.

    The read is audited as ``placement.save`` (one event, in the caller's transaction).

    Raises
    ------
    DecisionInvalid
        A field of ``decision`` is missing or wrong (nothing is saved; the caller rolls back).
    """
    checked = check_placement(session, actor, data, as_of=as_of, postcodes=postcodes, points=points,
                              referral_id=referral_id, action="placement.save")
    chosen = parse_decision("placement", checked.result, decision)
    result = {**checked.result, "inputs": dict(inputs or {"postcodes": list(postcodes)})}
    return _store(session, actor, data, kind="placement", child=checked.child, inputs_hash=checked.inputs_digest,
                  policy_version=checked.policy_version, result=result, decision=chosen)


def save_route_decision(session: Session, actor: Actor, data: SnapshotData, *, referral_id: int | str,
                        as_of: dt.datetime, home: str, school_urn: str, decision: Mapping[str, Any]) -> int:
    """Run the route check again and save it, with the officer's ``decision``, as the transport
    officer's decision record; its id (raises :class:`DecisionInvalid` as the placement's does)."""
    checked = check_route(session, actor, data, as_of=as_of, home=home, school_urn=school_urn,
                          referral_id=referral_id, action="route.save")
    chosen = parse_decision("route", checked.result, decision)
    result = {**checked.result, "inputs": {"home_postcode": home, "school_urn": school_urn},
              "map_segment_ids": checked.segment_ids}
    return _store(session, actor, data, kind="route", child=checked.child, inputs_hash=checked.inputs_digest,
                  policy_version=checked.policy_version, result=result, decision=chosen)


def list_decisions(session: Session, actor: Actor, *, kind: str, page: int = 1,
                   per_page: int = 25) -> tuple[list[DecisionSummary], int]:
    """The actor's own decision records of ``kind`` that they may still read (the young person's
    referral is live), newest first: one page of them, and how many there are in all.

    One audit event (``<kind>.decision.list``) per young person the page shows.
    """
    role, _tier = KINDS[kind]
    if actor.role != role:
        msg = f"the {actor.role} role keeps no {kind} decision records"
        raise AccessDenied(msg)
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    rows: list[Assessment] = []
    if user is not None:
        stmt = (select(Assessment).where(Assessment.user_id == user.id, Assessment.kind == kind,
                                         Assessment.schema_version == RECORD_SCHEMA)
                .order_by(Assessment.created_at.desc(), Assessment.id.desc()))
        live = {r.child_pseudonym for r in accounts.live_referrals(session, user, actor.now, purpose=kind)}
        rows = [r for r in session.execute(stmt).scalars() if r.child_pseudonym in live]
    page = max(int(page), 1)
    shown = rows[(page - 1) * per_page: page * per_page]
    record_reads(session, actor, action=f"{kind}.decision.list", purpose=kind,
                 pseudonyms=[r.child_pseudonym for r in shown])
    return [DecisionSummary(id=int(r.id), kind=kind, child=r.child_pseudonym, created_at=r.created_at,
                            case_reference=r.case_reference, option=r.decision, marking=r.marking)
            for r in shown], len(rows)


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
    decision = (Decision(option=row.decision, rationale=row.rationale or "", case_reference=row.case_reference or "",
                         marking=row.marking or "") if row.decision else None)
    return DecisionRecord(id=int(row.id), kind=kind, child=row.child_pseudonym, created_at=row.created_at,
                          policy_version=row.policy_version, result=tiers.project(kind, tier, stored, partial=True),
                          inputs=dict(stored.get("inputs") or {}), map_segment_ids=stored.get("map_segment_ids"),
                          officer=user.username, decision=decision, data_currency=dict(row.data_currency or {}))
