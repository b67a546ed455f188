"""Use cases: the one path every door (web pages, the JSON API, the CLI) takes to answer a question.

Each use case takes a session (the caller's transaction), the acting user (:class:`Actor`), the
snapshot it runs on (:class:`SnapshotData`) and explicit inputs, ``as_of`` included; it
authorises, builds or reuses the snapshot's indexes, calls the pure core, writes the audit event
in the same transaction and returns the result projected for the actor's tier
(:mod:`geo_risk.tiers`). Doors parse their own input format, call one use case and render.
"""

from geo_risk.service.access import OPERATOR, Actor, record_read, record_reads, record_refusal, referral_for
from geo_risk.service.briefing import SchoolBriefing, acknowledge_notice, brief_school, brief_schools
from geo_risk.service.notices import NoticeSummary, end_notice, list_notices, publish_notice
from geo_risk.service.people import (
    YoungPersonListing,
    YoungPersonRecord,
    list_young_people,
    read_young_person,
)
from geo_risk.service.placement import PlacementCheck, check_placement, inputs_digest
from geo_risk.service.probing import POSTCODES_ONLY, TooManyChecks
from geo_risk.service.records import (
    DECISION_FIELDS,
    MARKINGS,
    RECORD_SCHEMA,
    Decision,
    DecisionInvalid,
    DecisionRecord,
    DecisionSummary,
    decision_options,
    list_decisions,
    read_decision,
    save_placement_decision,
    save_route_decision,
)
from geo_risk.service.route import RouteCheck, check_route
from geo_risk.service.snapshot import SnapshotCache, SnapshotData, data_key, day_of

__all__ = [
    "DECISION_FIELDS",
    "MARKINGS",
    "OPERATOR",
    "POSTCODES_ONLY",
    "RECORD_SCHEMA",
    "Actor",
    "Decision",
    "DecisionInvalid",
    "DecisionRecord",
    "DecisionSummary",
    "NoticeSummary",
    "PlacementCheck",
    "RouteCheck",
    "SchoolBriefing",
    "SnapshotCache",
    "SnapshotData",
    "TooManyChecks",
    "YoungPersonListing",
    "YoungPersonRecord",
    "acknowledge_notice",
    "brief_school",
    "brief_schools",
    "check_placement",
    "check_route",
    "data_key",
    "day_of",
    "decision_options",
    "end_notice",
    "inputs_digest",
    "list_decisions",
    "list_notices",
    "list_young_people",
    "publish_notice",
    "read_decision",
    "read_young_person",
    "record_read",
    "record_reads",
    "record_refusal",
    "referral_for",
    "save_placement_decision",
    "save_route_decision",
]
