"""A small hand-made world for placement checks (no real data)."""

from __future__ import annotations

AS_OF = "2026-11-01"
X0, Y0 = 358_000.0, 173_000.0

PEOPLE = [
    "YP-1",  # the young person being placed
    "YP-2",  # in direct conflict with YP-1
    "YP-3",  # YP-1's close associate
    "YP-4",  # in conflict with YP-3
    {"pseudonym": "A-1", "is_child": False},  # exploits YP-1
    {"pseudonym": "A-9", "is_child": False},  # unrelated, runs an exploitation site
    "YP-8",  # a young person with no known links
]

PLACES = [
    {"place_id": "P2", "entity_key": "YP-2", "x": X0, "y": Y0, "evidence_grade": "A"},
    {"place_id": "H2", "entity_key": "YP-2", "kind": "home", "x": X0 + 600, "y": Y0, "evidence_grade": "A"},
    {"place_id": "P4", "entity_key": "YP-4", "x": X0 + 2000, "y": Y0, "evidence_grade": "A"},
    {"place_id": "S1", "entity_key": "A-1", "kind": "exploitation_site", "x": X0, "y": Y0 + 3000,
     "evidence_grade": "A"},
    {"place_id": "S9", "entity_key": "A-9", "kind": "exploitation_site", "x": X0 + 4000, "y": Y0 + 4000,
     "evidence_grade": "A"},
]


def conflict(link_id: str, a: str, b: str, **kw) -> dict:
    return {"link_id": link_id, "from_key": a, "to_key": b, "type": "in_conflict_with", **kw}
