"""Use cases: the one path every door (web pages, the JSON API, the CLI) takes to answer a question.

Each use case takes a session (the caller's transaction), the acting user (:class:`Actor`), the
snapshot it runs on (:class:`SnapshotData`) and explicit inputs, ``as_of`` included; it
authorises, builds or reuses the snapshot's indexes, calls the pure core, writes the audit event
in the same transaction and returns the result projected for the actor's tier
(:mod:`geo_risk.tiers`). Doors parse their own input format, call one use case and render.
"""

from geo_risk.service.access import OPERATOR, Actor, record_read, record_reads, record_refusal, referral_for
from geo_risk.service.placement import PlacementCheck, check_placement, inputs_digest
from geo_risk.service.route import RouteCheck, check_route
from geo_risk.service.snapshot import SnapshotCache, SnapshotData, data_key, day_of

__all__ = [
    "OPERATOR",
    "Actor",
    "PlacementCheck",
    "RouteCheck",
    "SnapshotCache",
    "SnapshotData",
    "check_placement",
    "check_route",
    "data_key",
    "day_of",
    "inputs_digest",
    "record_read",
    "record_reads",
    "record_refusal",
    "referral_for",
]
