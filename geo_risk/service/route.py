"""Check a route: the walk from home to school for one young person, and the transport recommendation.

The one path every door takes (the transport and analyst pages, ``POST /api/v1/referrals/<id>/route``
and ``geo-risk assess route``): authorise, locate home and school, build (or reuse) the young
person's route context and the walk graph on the shared snapshot, assess, audit in the caller's
transaction, and return the result as the caller's tier may see it (:data:`geo_risk.tiers.ROUTE`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from geo_risk.contract import AGE_BANDS
from geo_risk.crs import EastNorth, point_to_store
from geo_risk.errors import NotFound, ValidationError
from geo_risk.service import probing
from geo_risk.service.access import Actor, as_id, who_checks
from geo_risk.service.placement import inputs_digest
from geo_risk.service.snapshot import SnapshotData, day_of
from geo_risk.store.models import Referral
from geo_risk.store.snapshot import normalise_postcode, resolve_postcodes

log = logging.getLogger(__name__)

PURPOSE = "route"


@dataclass(frozen=True)
class RouteCheck:
    """The outcome of :func:`check_route`.

    Attributes
    ----------
    child
        The young person's pseudonym.
    tier
        The tier ``result`` is for (``transport`` or ``analyst``).
    result
        The route check as ``tier`` may see it (:data:`geo_risk.tiers.ROUTE`), geometry in EPSG:27700.
    segment_ids
        The street segments of each walk, in order: for drawing the walks on a map server-side
        (the transport tier is never given them).
    school_name
        The destination school's name.
    inputs_digest
        SHA-256 of the young person, the inputs, ``as_of`` and the policy (a saved decision record's key).
    """

    child: str
    tier: str
    result: dict[str, Any]
    segment_ids: list[list[int]]
    school_name: str
    inputs_digest: str

    @property
    def as_of(self) -> str:
        return self.result["as_of"]

    @property
    def policy_version(self) -> str:
        return self.result["policy_version"]

    def to_json(self) -> str:
        """Canonical JSON of :attr:`result` (sorted keys), as ``geo-risk assess route --json`` prints it."""
        return json.dumps(self.result, sort_keys=True, ensure_ascii=False)


def referral_age_band(details: dict[str, Any] | None) -> str | None:
    """The age band a route referral records (None when it records none).

    Raises
    ------
    ValidationError
        The referral records a value that is not an age band.
    """
    value = (details or {}).get("age_band")
    if value in (None, ""):
        return None
    if value not in AGE_BANDS:
        msg = f"the referral's age band {value!r} is not one of {', '.join(AGE_BANDS)}; correct the referral"
        raise ValidationError(msg)
    return str(value)


def _age_band(given: str | None, referred: str | None) -> str | None:
    if given in (None, ""):
        return referred
    if given not in AGE_BANDS:
        msg = f"age band must be one of {', '.join(AGE_BANDS)}, got {given!r}"
        raise ValidationError(msg)
    if referred is not None and given != referred:
        msg = f"the referral records the age band {referred!r}; the check uses the referral's"
        raise ValidationError(msg)
    return given



def check_route(
    session: Session,
    actor: Actor,
    data: SnapshotData,
    *,
    as_of: dt.datetime,
    home: str | EastNorth,
    school_urn: str,
    child: str | None = None,
    referral_id: int | str | None = None,
    tier: str | None = None,
    home_label: str | None = None,
    age_band: str | None = None,
    action: str = "route.check",
) -> RouteCheck:
    """Assess the walk from ``home`` to school ``school_urn`` for one young person, audited.

    Parameters
    ----------
    session, actor, data, as_of, child, referral_id, tier, action
        As for :func:`geo_risk.service.check_placement` (a transport officer names a live route
        referral of theirs and gets the transport tier).
    home
        A postcode, or a point in EPSG:27700.
    school_urn
        The school's URN.
    home_label
        How the walk's start is labelled (default ``home``).
    age_band
        The young person's age band (:data:`geo_risk.contract.AGE_BANDS`) for the statutory
        walking distance. A transport officer's check takes it from the referral (the referral's
        own wins; a different one given here is refused).

    Raises
    ------
    NotFound
        An unknown young person, or a referral that is not the actor's live route referral.
    AccessDenied
        A role that may not check routes.
    ValidationError
        No home or school, an unknown postcode or school, a point outside the UK.
    DataSourceError
        The school holidays file is configured but cannot be used.
    """
    from geo_risk.routing import assess_route
    from geo_risk.routing.adapters import child_concern_sites, child_risk_fn
    from geo_risk.routing.schoolrun import time_weighting, with_school_days_note, with_time_weighting_note

    pseudonym, chosen_tier, purpose = who_checks(session, actor, check="route", officer_role="transport",
                                                 purpose=PURPOSE, child=child, referral_id=referral_id,
                                                 tier=tier, action=action)
    referred_band = None
    if chosen_tier == "transport" and referral_id is not None and actor.role == "transport":
        referred_band = referral_age_band(session.get(Referral, as_id(referral_id)).details)
    age_band = _age_band(age_band, referred_band)
    if isinstance(home, str):
        if not home.strip():
            msg = "enter the home postcode"
            raise ValidationError(msg)
        pc = normalise_postcode(home)
        origin = point_to_store(EastNorth(*resolve_postcodes(session.connection(), [pc])[pc]))
    else:
        pc = None
        origin = point_to_store(home)
    asked = [probing.Candidate.of(pc, origin.easting, origin.northing)]
    urn = str(school_urn or "").strip()
    if not urn:
        msg = "choose the school"
        raise ValidationError(msg)
    try:
        school = data.snapshot.school(urn)
    except NotFound as exc:
        msg = f"{exc}; choose a school from the list"
        raise ValidationError(msg) from exc
    destination = EastNorth(float(school.geometry.x), float(school.geometry.y))
    data.snapshot.person(pseudonym)  # NotFound with a clear message
    rid = as_id(referral_id) if actor.role == "transport" else None  # checks through a referral, within its budget
    past = (probing.guard(session, actor, policy=data.policy.probing, purpose=purpose, pseudonym=pseudonym,
                          referral_id=rid, asked=asked, action=action) if rid is not None else None)
    context = data.context("route", pseudonym, as_of)
    labels = {"origin_label": home_label} if home_label else {}
    result = assess_route(pseudonym, origin, destination, as_of, data.policy, graph=data.walk_graph,
                          risk_fn=child_risk_fn(context), concerns=child_concern_sites(context), tier=chosen_tier,
                          destination_label=f"school {urn}", age_band=age_band, **labels)
    # notes under the result: what school-run weighting did on these data (police.uk rows carry a
    # month only), and which weekdays counted as school days (GEO_RISK_SCHOOL_HOLIDAYS)
    horizon = data.policy.surface.horizon_days
    day = day_of(as_of)
    weighting = data.memo(f"route:time-weighting:{day.isoformat()}", lambda: time_weighting(
        data.snapshot.incidents, data.policy.routing, as_of=day, horizon_days=horizon,
        calendar=data.school_calendar))
    result = with_time_weighting_note(result, weighting)
    result = with_school_days_note(result, data.school_calendar, horizon_days=horizon)
    probing.record_check(session, actor, policy=data.policy.probing, purpose=purpose, pseudonym=pseudonym,
                         referral_id=rid, asked=asked, action=action, history=past)
    inputs = ({"home_postcode": home} if isinstance(home, str) else {"home": [home.easting, home.northing]}) | {
        "school_urn": urn} | ({"age_band": age_band} if age_band else {})
    digest = inputs_digest({"child": pseudonym, "inputs": inputs, "as_of": str(result.as_of),
                            "policy": result.policy_digest})
    return RouteCheck(child=pseudonym, tier=chosen_tier, result=result.to_dict(),
                      segment_ids=[[int(sg.segment_id) for sg in r.segments] for r in result.routes],
                      school_name=str(school.get("name", "")), inputs_digest=digest)
