"""Insert small hand-made records into a test store (no real data)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from geoalchemy2.shape import from_shape
from shapely.geometry import Point

from geo_risk.store.models import (
    Assessment,
    ChronologyEntry,
    Group,
    Incident,
    Link,
    Person,
    Place,
    Referral,
    User,
)

AS_OF = dt.datetime(2026, 11, 1)
X0, Y0 = 600_000.0, 860_000.0


def d(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def person(s, pseudonym: str, **kw: Any) -> Person:
    row = Person(pseudonym=pseudonym, is_child=kw.pop("is_child", True), source=kw.pop("source", "Social care"),
                 source_type=kw.pop("source_type", "social_care"), **kw)
    s.add(row)
    s.flush()
    return row


def group(s, code: str) -> Group:
    row = Group(code=code, label=f"peer group {code[1:]}", source="Police", source_type="police")
    s.add(row)
    s.flush()
    return row


def link(s, link_id: str, a: str, b: str, type_: str = "in_conflict_with", **kw: Any) -> Link:
    values = {
        "from_kind": "person", "to_kind": "person", "evidence_grade": "A", "source": "Police",
        "source_type": "police", "first_seen": d("2026-09-01"), "last_seen": d("2026-10-20"),
        "review_by": d("2026-12-01"), "expires_at": d("2027-06-01"), "status": "live",
    }
    values.update(kw)
    row = Link(link_id=link_id, from_key=a, to_key=b, type=type_, **values)
    s.add(row)
    s.flush()
    return row


def place(s, place_id: str, entity: str, x: float = X0, y: float = Y0, kind: str = "hangout", **kw: Any) -> Place:
    values = {
        "entity_kind": "person", "evidence_grade": "A", "source": "Police", "source_type": "police",
        "first_seen": d("2026-09-01"), "last_seen": d("2026-10-20"), "review_by": d("2026-12-01"),
        "expires_at": d("2027-06-01"), "status": "live",
    }
    values.update(kw)
    row = Place(place_id=place_id, entity_key=entity, kind=kind, geom=from_shape(Point(x, y), srid=27700), **values)
    s.add(row)
    s.flush()
    return row


def incident(s, external_id: str, x: float, y: float, when: dt.datetime, **kw: Any) -> Incident:
    values = {"category": "Violence and sexual offences", "source": "Police", "source_type": "police",
              "has_time": True, "precision": "exact", "month": when.strftime("%Y-%m")}
    values.update(kw)
    row = Incident(external_id=external_id, occurred_at=when, geom=from_shape(Point(x, y), srid=27700), **values)
    s.add(row)
    s.flush()
    return row


def user(s, username: str, role: str = "analyst") -> User:
    row = User(username=username, role=role, password_hash="x", school_urns="", disabled=False, session_version=0)
    s.add(row)
    s.flush()
    return row


def entry(s, child: str, when: dt.datetime, summary: str, **kw: Any) -> ChronologyEntry:
    values = {"kind": "concern", "source": "Parent", "source_type": "parent_carer", "evidence_grade": "B",
              "inside_family": False}
    values.update(kw)
    row = ChronologyEntry(child_pseudonym=child, occurred_at=when, summary=summary, **values)
    s.add(row)
    s.flush()
    return row


def referral(s, child: str, user_id: int, **kw: Any) -> Referral:
    values = {"purpose": "placement", "created_at": d("2026-10-05"), "expires_at": d("2026-12-05"), "details": {}}
    values.update(kw)
    row = Referral(child_pseudonym=child, user_id=user_id, **values)
    s.add(row)
    s.flush()
    return row


def assessment(s, child: str, band: str, **kw: Any) -> Assessment:
    values = {"kind": "placement", "inputs_hash": "0" * 64, "policy_version": "2026.11-1",
              "created_at": d("2026-10-06"), "result": {"band": band}}
    values.update(kw)
    row = Assessment(child_pseudonym=child, **values)
    s.add(row)
    s.flush()
    return row
