"""Evidence reviews: the queue, checked decisions, automatic expiry, and live-only scoring (issue 8)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import select

from geo_risk.config import Policy
from geo_risk.errors import NotFound, ValidationError
from geo_risk.fairness import repository as repo
from geo_risk.fairness.reviews import (
    due_by_source,
    plan_auto_expiry,
    plan_confirm,
    plan_downgrade,
    plan_expire,
    review_queue,
)
from geo_risk.network import build_network, find_exposure
from geo_risk.scoring import assess_location
from geo_risk.store.engine import session_scope
from geo_risk.store.models import EvidenceReview, Link, Place
from geo_risk.store.snapshot import load_snapshot
from tests.fairness._store_data import AS_OF, X0, Y0, d, link, person, place, user

NOW = AS_OF


def _links() -> pd.DataFrame:
    return pd.DataFrame(
        [
            # due: live, review date passed
            {"link_id": "L1", "from_key": "YP-1", "to_key": "YP-2", "type": "in_conflict_with",
             "evidence_grade": "B", "source": "Police", "source_type": "police",
             "review_by": "2026-10-01", "expires_at": "2027-01-01", "status": "live"},
            # not due yet
            {"link_id": "L2", "from_key": "YP-1", "to_key": "YP-3", "type": "associates_with",
             "evidence_grade": "C", "source": "Parent", "source_type": "parent_carer",
             "review_by": "2026-12-01", "expires_at": "2027-01-01", "status": "live"},
            # expired by date last week: listed as expired
            {"link_id": "L3", "from_key": "YP-4", "to_key": "YP-2", "type": "in_conflict_with",
             "evidence_grade": "A", "source": "Police", "source_type": "police",
             "review_by": "2026-09-01", "expires_at": "2026-10-25", "status": "live"},
            # expired by hand long ago: no longer listed
            {"link_id": "L4", "from_key": "YP-5", "to_key": "YP-2", "type": "in_conflict_with",
             "evidence_grade": "A", "source": "Police", "source_type": "police",
             "review_by": "2025-09-01", "expires_at": "2025-10-01", "status": "expired"},
            # due, from a parent, more overdue than L1
            {"link_id": "L5", "from_key": "YP-1", "to_key": "YP-6", "type": "family",
             "evidence_grade": None, "source": "Parent", "source_type": "parent_carer",
             "review_by": "2026-08-01", "expires_at": "2027-01-01", "status": "live"},
        ]
    )


def _places() -> pd.DataFrame:
    return pd.DataFrame(
        [{"place_id": "P1", "entity_kind": "person", "entity_key": "YP-2", "kind": "hangout", "evidence_grade": "B",
          "source": "Youth service", "source_type": "voluntary_sector", "review_by": "2026-10-15",
          "expires_at": None, "status": "live"}]
    )


def test_review_queue_lists_due_and_recently_expired_evidence():
    queue = review_queue(_links(), _places(), "2026-11-01")
    assert queue[["target_id", "state"]].values.tolist() == [
        ["L5", "due"], ["L1", "due"], ["P1", "due"], ["L3", "expired"],
    ]
    l1 = queue.set_index("target_id").loc["L1"]
    assert l1["days_overdue"] == 31 and l1["subject"] == "YP-1 - YP-2" and l1["what"] == "in_conflict_with"
    assert queue.set_index("target_id").loc["L3", "status"] == "expired"
    # a wider window brings back the long-expired link
    assert "L4" in set(review_queue(_links(), _places(), "2026-11-01", expired_window_days=800)["target_id"])


def test_due_by_source_counts_each_source():
    table = due_by_source(review_queue(_links(), _places(), "2026-11-01"))
    rows = {(r.source, r.source_type): (r.due, r.expired, r.total) for r in table.itertuples()}
    assert rows == {("Police", "police"): (1, 1, 2), ("Parent", "parent_carer"): (1, 0, 1),
                    ("Youth service", "voluntary_sector"): (1, 0, 1)}


def _current(**kw):
    base = {"target_kind": "link", "target_id": "L1", "evidence_grade": "B", "last_seen": d("2026-06-01"),
            "expires_at": d("2027-01-01"), "status": "live"}
    base.update(kw)
    return base


def test_confirm_needs_newer_evidence_and_a_future_review_date():
    change = plan_confirm(_current(), last_seen="2026-10-30", review_by="2027-02-01", reason="seen together again",
                          user_id=7, at=NOW)
    assert change.action == "confirm" and change.user_id == 7
    assert change.updates == {"last_seen": d("2026-10-30"), "review_by": d("2027-02-01"), "status": "live",
                              "evidence_grade": "B"}
    with pytest.raises(ValidationError) as info:
        plan_confirm(_current(), last_seen="2026-05-01", review_by="2026-10-01", reason="ok then", user_id=7, at=NOW)
    assert "before the recorded 2026-06-01" in str(info.value) and "must be after today" in str(info.value)
    with pytest.raises(ValidationError, match="give a new expires_at"):
        plan_confirm(_current(expires_at=d("2026-10-01"), status="expired"), last_seen="2026-10-30",
                     review_by="2027-02-01", reason="seen again", user_id=7, at=NOW)
    revived = plan_confirm(_current(expires_at=d("2026-10-01"), status="expired"), last_seen="2026-10-30",
                           review_by="2027-02-01", expires_at="2027-05-01", reason="seen again", user_id=7, at=NOW)
    assert revived.updates["status"] == "live" and revived.updates["expires_at"] == d("2027-05-01")
    with pytest.raises(ValidationError, match="a reason is required"):
        plan_confirm(_current(), last_seen="2026-10-30", review_by="2027-02-01", reason=" ", user_id=7, at=NOW)


def test_downgrade_must_lower_the_grade():
    change = plan_downgrade(_current(), new_grade="d", reason="single uncorroborated report", user_id=3, at=NOW)
    assert (change.old_grade, change.new_grade, change.updates) == ("B", "D", {"evidence_grade": "D"})
    with pytest.raises(ValidationError, match="B -> A is not lower"):
        plan_downgrade(_current(), new_grade="A", reason="x y z", user_id=3, at=NOW)
    with pytest.raises(ValidationError, match="no grade to lower"):
        plan_downgrade(_current(evidence_grade=None), new_grade="E", reason="x y z", user_id=3, at=NOW)


def test_expire_and_auto_expiry_plans():
    change = plan_expire(_current(), reason="the two have reconciled", user_id=3, at=NOW)
    assert change.updates == {"status": "expired", "expires_at": NOW}
    with pytest.raises(ValidationError, match="already expired"):
        plan_expire(_current(status="expired"), reason="again", user_id=3, at=NOW)
    auto = plan_auto_expiry(_links(), _places(), "2026-11-01")
    assert [(c.target_id, c.action, c.user_id) for c in auto] == [("L3", "auto_expire", None)]
    assert auto[0].reason == "automatic expiry: expires_at 2026-10-25 has passed"


# --------------------------------------------------------------------------- on the store


def _seed_conflict(db):
    """YP-1 in conflict with YP-2, who hangs out at (X0, Y0)."""
    with session_scope(db) as s:
        for p in ("YP-1", "YP-2", "YP-3"):
            person(s, p)
        link(s, "L1", "YP-1", "YP-2", review_by=d("2026-10-15"))
        link(s, "L2", "YP-1", "YP-3", "associates_with", source="Parent", source_type="parent_carer")
        place(s, "P2", "YP-2", X0, Y0)
        place(s, "P3", "YP-3", X0 + 3000, Y0, review_by=d("2026-10-01"), expires_at=d("2026-10-30"))
        analyst = user(s, "ana")
    return analyst.id


def test_repository_actions_record_who_why_and_grades(db):
    uid = _seed_conflict(db)
    with session_scope(db) as s:
        repo.downgrade(s, "link", "L1", new_grade="C", reason="only one source", user_id=uid, at=NOW)
        repo.confirm(s, "link", "L1", last_seen="2026-10-31", review_by="2027-01-31", reason="seen by school",
                     user_id=uid, at=NOW + dt.timedelta(minutes=1))
    with session_scope(db) as s:
        l1 = s.execute(select(Link).where(Link.link_id == "L1")).scalar_one()
        assert (l1.evidence_grade, l1.last_seen, l1.review_by) == ("C", d("2026-10-31"), d("2027-01-31"))
        with pytest.raises(NotFound):
            repo.expire(s, "link", "L99", reason="no such link", user_id=uid, at=NOW)
    history = repo.review_history(db, target_kind="link", target_id="L1")
    assert history[["action", "old_grade", "new_grade", "reason", "username"]].values.tolist() == [
        ["confirm", "C", "C", "seen by school", "ana"],
        ["downgrade", "A", "C", "only one source", "ana"],
    ]


def test_a_failed_decision_writes_nothing(db):
    uid = _seed_conflict(db)
    with pytest.raises(ValidationError), session_scope(db) as s:
        repo.downgrade(s, "link", "L1", new_grade="A", reason="wrong way", user_id=uid, at=NOW)
    with session_scope(db) as s:
        assert s.execute(select(EvidenceReview)).first() is None


def test_auto_expiry_marks_and_records_only_past_expiry(db):
    _seed_conflict(db)
    with session_scope(db) as s:
        planned = repo.run_auto_expiry(s, NOW, dry_run=True)
        assert [c.target_id for c in planned] == ["P3"]
        assert s.execute(select(Place.status).where(Place.place_id == "P3")).scalar_one() == "live"
    with session_scope(db) as s:
        done = repo.run_auto_expiry(s, NOW)
    assert [c.target_id for c in done] == ["P3"]
    with session_scope(db) as s:
        assert s.execute(select(Place.status).where(Place.place_id == "P3")).scalar_one() == "expired"
        rows = s.execute(select(EvidenceReview)).scalars().all()
        assert [(r.action, r.target_id, r.user_id) for r in rows] == [("auto_expire", "P3", None)]
        assert repo.run_auto_expiry(s, NOW) == ()  # idempotent
    assert repo.review_history(db)["username"].tolist() == ["(automatic)"]


def test_an_expired_link_disappears_from_scoring_and_appears_in_the_review_list(db):
    """Issue 8, Show: expire a conflict link and the placement band falls; the link is listed for review."""
    uid = _seed_conflict(db)
    policy = Policy.default()

    def check():
        snap = load_snapshot(db)
        frames = {"people": snap.people, "groups": snap.groups, "links": snap.links, "places": snap.places}
        exposure = find_exposure(build_network(snap.people, snap.groups, snap.links), "YP-1", NOW, policy.network)
        a = assess_location("YP-1", (X0, Y0), NOW, policy, area_percentile=5.0, **frames)
        return exposure, a, review_queue(snap.links, snap.places, NOW)

    exposure, before, queue = check()
    assert [a.key for a in exposure.adversaries] == ["YP-2"] and "L1" in exposure.links
    assert before.band == "Very high" and before.lifted_by == ("conflict_exposure",)
    assert queue.set_index("target_id").loc["L1", "state"] == "due"

    with session_scope(db) as s:
        repo.expire(s, "link", "L1", reason="conflict resolved at mediation", user_id=uid, at=NOW)

    exposure, after, queue = check()
    assert exposure.adversaries == () and "L1" not in exposure.links
    assert after.band == "Low" and after.factor("conflict_exposure").value == 0.0
    listed = queue.set_index("target_id").loc["L1"]
    assert (listed["state"], listed["status"], listed["target_kind"]) == ("expired", "expired", "link")
    # an expiry date in the past (not yet swept by the automatic run) already stops scoring too
    with session_scope(db) as s:
        repo.confirm(s, "link", "L1", last_seen="2026-10-31", review_by="2027-01-01", expires_at="2027-03-01",
                     reason="conflict flared up again", user_id=uid, at=NOW)
    assert check()[1].band == "Very high"
    with session_scope(db) as s:
        s.execute(Link.__table__.update().where(Link.link_id == "L1").values(expires_at=d("2026-10-31")))
    exposure, again, queue = check()
    assert again.band == "Low" and queue.set_index("target_id").loc["L1", "state"] == "expired"
