"""Check a placement: rank candidate addresses for one young person, safest first.

The one path every door takes (the housing and analyst pages, ``POST /api/v1/referrals/<id>/placement``
and ``geo-risk assess placement``): authorise, locate the candidates, build (or reuse) the young
person's scoring context on the shared snapshot, rank, audit in the caller's transaction, and
return the result projected for the caller's tier (:data:`geo_risk.tiers.PLACEMENT`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from geo_risk.crs import EastNorth, LatLon, point_to_store
from geo_risk.errors import ValidationError
from geo_risk.service import probing
from geo_risk.service.access import Actor, as_id, who_checks
from geo_risk.service.snapshot import SnapshotData
from geo_risk.store.snapshot import resolve_postcodes

log = logging.getLogger(__name__)

PURPOSE = "placement"


@dataclass(frozen=True)
class PlacementCheck:
    """The outcome of :func:`check_placement`.

    Attributes
    ----------
    child
        The young person's pseudonym.
    tier
        The tier ``result`` is projected for.
    result
        The ranking as ``tier`` may see it (:data:`geo_risk.tiers.PLACEMENT`): ``child``, ``as_of``,
        ``policy_version``, ``order`` and ``candidates`` (each ``rank``, ``label``, ``assessment``).
    inputs_digest
        SHA-256 of the young person, ``as_of`` and every candidate's inputs hash (a saved
        decision record's key).
    """

    child: str
    tier: str
    result: dict[str, Any]
    inputs_digest: str

    @property
    def as_of(self) -> str:
        return self.result["as_of"]

    @property
    def policy_version(self) -> str:
        return self.result["policy_version"]

    @property
    def candidates(self) -> list[dict[str, Any]]:
        return self.result["candidates"]

    def to_json(self) -> str:
        """Canonical JSON of :attr:`result`: sorted keys, no whitespace."""
        return json.dumps(self.result, sort_keys=True, separators=(",", ":"))


def inputs_digest(data: dict[str, Any]) -> str:
    """SHA-256 of canonical JSON of ``data``."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()




def check_placement(
    session: Session,
    actor: Actor,
    data: SnapshotData,
    *,
    as_of: dt.datetime,
    postcodes: Sequence[str] = (),
    points: Sequence[tuple[str, EastNorth | LatLon]] = (),
    child: str | None = None,
    referral_id: int | str | None = None,
    tier: str | None = None,
    action: str = "placement.check",
) -> PlacementCheck:
    """Rank candidate addresses for one young person (safest first), audited, for the actor's tier.

    Parameters
    ----------
    session
        The caller's transaction: the audit event is written in it, so if it fails the read fails.
    actor
        Who asks. A housing officer names a ``referral_id`` (a live placement referral of theirs)
        and gets the housing tier; an analyst or the CLI operator names the ``child`` and may ask
        for either tier (default: analyst for an analyst, housing for the operator).
    data
        The snapshot the check runs on.
    as_of
        When the check is made for (naive UTC): links and places are live or expired at this
        moment; area surfaces are those of its day.
    postcodes
        Candidate postcodes (labels are the postcodes as given), from the loaded address data.
    points
        Labelled candidate points: EPSG:27700 (:class:`EastNorth`) or latitude/longitude (:class:`LatLon`).
        An analyst's or the CLI operator's only: a housing officer gives postcodes.
    action
        The audit action (names the door, e.g. ``api.placement.check``).

    Raises
    ------
    NotFound
        An unknown young person, or a referral that is not the actor's live placement referral
        (the refusal is audited on its own).
    AccessDenied
        A role that may not check placements.
    ValidationError
        No candidates, too many, an unknown postcode, a point outside the UK, points from a housing
        officer, or a candidate closer than the policy's spacing to another one checked through the
        referral (:mod:`geo_risk.service.probing`).
    TooManyChecks
        The referral has had the checks or candidate addresses the policy allows in the window.

    The audit event records every candidate (postcode, easting, northing) and, for a check through
    a referral, the referral; such a check may also write a probing alert.
    """
    from geo_risk.scoring import Candidate, rank_placements
    from geo_risk.scoring.placement import check_candidate_count

    pseudonym, chosen_tier, purpose = who_checks(session, actor, check="placement", officer_role="housing",
                                                 purpose=PURPOSE, child=child, referral_id=referral_id,
                                                 tier=tier, action=action)
    officer = actor.role == "housing"  # checks through a referral, within its budget
    if points and not (actor.role == "analyst" or actor.is_operator):
        raise ValidationError(probing.POSTCODES_ONLY)
    check_candidate_count(len(postcodes) + len(points), data.policy)
    data.snapshot.person(pseudonym)  # NotFound with a clear message
    located = resolve_postcodes(session.connection(), list(postcodes)) if postcodes else {}
    candidates = [Candidate(pc, point_to_store(EastNorth(*located[pc]))) for pc in postcodes]
    candidates += [Candidate(label, point_to_store(point)) for label, point in points]
    asked = [probing.Candidate.of(pc, *located[pc]) for pc in postcodes]
    asked += [probing.Candidate.of(None, c.point.easting, c.point.northing) for c in candidates[len(postcodes):]]
    rid = as_id(referral_id) if officer else None
    past = (probing.guard(session, actor, policy=data.policy.probing, purpose=purpose, pseudonym=pseudonym,
                          referral_id=rid, asked=asked, action=action) if rid is not None else None)
    context = data.context("placement", pseudonym, as_of)
    ranking = rank_placements(pseudonym, candidates, as_of, data.policy, context=context)
    probing.record_check(session, actor, policy=data.policy.probing, purpose=purpose, pseudonym=pseudonym,
                         referral_id=rid, asked=asked, action=action, history=past)
    digest = inputs_digest({"child": pseudonym, "as_of": ranking.as_of,
                            "candidates": [c.assessment.inputs_hash for c in ranking.candidates]})
    return PlacementCheck(child=pseudonym, tier=chosen_tier, result=ranking.to_dict(audience=chosen_tier),
                          inputs_digest=digest)
