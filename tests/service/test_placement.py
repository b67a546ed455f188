"""The placement use case: authorise, check, audit in the same transaction, project for the tier."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from geo_risk.crs import EastNorth
from geo_risk.errors import AccessDenied, NotFound, ValidationError
from geo_risk.service import OPERATOR, Actor, check_placement
from geo_risk.store import session_scope
from geo_risk.store.models import AuditEvent
from tests._tree import keys
from tests.web.web_seed import NOW

POSTCODES = ["ZZ1 1AA", "ZZ1 1AB", "ZZ1 1AC"]
NUMBER_KEYS = {"score", "value", "raw", "weight", "contribution", "threshold", "nearest_adversary_m",
               "nearest_exploiter_m"}


def _events(engine):
    with session_scope(engine) as s:
        return [(e.username, e.role, e.action, e.purpose, e.pseudonym, e.outcome)
                for e in s.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars()]


def test_housing_officer_gets_the_housing_tier_of_their_referral_and_the_read_is_audited(engine, data, info, actor):
    with session_scope(engine) as s:
        checked = check_placement(s, actor("hana"), data, as_of=NOW, postcodes=POSTCODES,
                                  referral_id=info.referrals["hana"], action="placement.check")
    assert checked.child == "YP-0001" and checked.tier == "housing"
    assert [c["rank"] for c in checked.candidates] == [1, 2, 3]
    assert not keys(checked.result) & NUMBER_KEYS
    assert {c["assessment"]["band"] for c in checked.candidates} <= {"Low", "Medium", "High", "Very high"}
    assert _events(engine)[-1] == ("hana", "housing", "placement.check", "placement", "YP-0001", "allowed")


def test_the_analyst_tier_carries_the_scores_and_bands_agree(engine, data, info, actor):
    with session_scope(engine) as s:
        housing = check_placement(s, actor("hana"), data, as_of=NOW, postcodes=POSTCODES,
                                  referral_id=info.referrals["hana"])
        analyst = check_placement(s, actor("ana"), data, as_of=NOW, postcodes=POSTCODES, child="YP-0001")
    assert analyst.tier == "analyst"
    assert all("score" in c["assessment"] for c in analyst.candidates)
    strip = [(c["rank"], c["label"], c["assessment"]["band"], c["assessment"]["reasons"]) for c in analyst.candidates]
    assert strip == [(c["rank"], c["label"], c["assessment"]["band"], c["assessment"]["reasons"])
                     for c in housing.candidates]
    assert _events(engine)[-1][2:5] == ("placement.check", "analysis", "YP-0001")


@pytest.mark.parametrize("rid", ["hana_other", 0, -1, 99999999999999999999999])
def test_a_referral_not_theirs_or_an_impossible_id_is_not_found_and_audited(engine, data, info, actor, rid):
    rid = info.referrals.get(rid, rid) if isinstance(rid, str) else rid
    with pytest.raises(NotFound), session_scope(engine) as s:
        check_placement(s, actor("hana"), data, as_of=NOW, postcodes=POSTCODES, referral_id=rid)
    assert _events(engine)[-1] == ("hana", "housing", "placement.check", "placement", None, "not_found")


@pytest.mark.parametrize("username", ["tariq", "sami", "adam", "pat"])
def test_roles_that_may_not_check_placements_are_refused(engine, data, info, actor, username):
    with pytest.raises(AccessDenied), session_scope(engine) as s:
        check_placement(s, actor(username), data, as_of=NOW, postcodes=POSTCODES, child="YP-0001",
                        referral_id=info.referrals["hana"])


def test_a_housing_officer_cannot_ask_for_the_analyst_tier(engine, data, info, actor):
    with pytest.raises(AccessDenied), session_scope(engine) as s:
        check_placement(s, actor("hana"), data, as_of=NOW, postcodes=POSTCODES, referral_id=info.referrals["hana"],
                        tier="analyst")


def test_the_candidate_limit_is_checked_before_any_postcode_is_looked_up(engine, data, info, actor):
    too_many = [f"ZZ9 {i // 26}{chr(65 + i % 26)}{chr(65 + i % 26)}" for i in range(51)]  # none exists
    with pytest.raises(ValidationError, match="51 candidates given; a placement check takes at most 50"), \
            session_scope(engine) as s:
        check_placement(s, actor("hana"), data, as_of=NOW, postcodes=too_many, referral_id=info.referrals["hana"])
    with pytest.raises(ValidationError, match="give at least one candidate"), session_scope(engine) as s:
        check_placement(s, actor("hana"), data, as_of=NOW, referral_id=info.referrals["hana"])


def test_nothing_is_returned_when_the_audit_event_cannot_be_written(engine, data, info, actor, monkeypatch):
    from geo_risk import audit

    def broken(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(audit, "record", broken)
    before = None
    with session_scope(engine) as s:
        before = s.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    with pytest.raises(RuntimeError), session_scope(engine) as s:
        check_placement(s, actor("ana"), data, as_of=NOW, postcodes=POSTCODES, child="YP-0001")
    with session_scope(engine) as s:
        assert s.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == before


def test_the_operator_names_the_young_person_and_chooses_the_tier(engine, data):
    op = Actor(username="ops", role=OPERATOR, now=NOW)
    with session_scope(engine) as s:
        housing = check_placement(s, op, data, as_of=NOW, points=[("a point", EastNorth(600300, 860300))],
                                  child="YP-0001")
        analyst = check_placement(s, op, data, as_of=NOW, points=[("a point", EastNorth(600300, 860300))],
                                  child="YP-0001", tier="analyst")
    assert housing.tier == "housing" and "score" not in housing.candidates[0]["assessment"]
    assert analyst.candidates[0]["assessment"]["score"] > 0
    with pytest.raises(NotFound), session_scope(engine) as s:
        check_placement(s, op, data, as_of=NOW, postcodes=POSTCODES, child="YP-9999")


def test_a_check_made_later_the_same_day_uses_that_days_surface(engine, data, info, actor):
    """Surfaces are fitted per day, so the time of day changes nothing but the live links."""
    later = NOW.replace(hour=23, minute=59)
    with session_scope(engine) as s:
        noon = check_placement(s, actor("ana"), data, as_of=NOW, postcodes=POSTCODES, child="YP-0001")
        night = check_placement(s, actor("ana", later), data, as_of=later, postcodes=POSTCODES, child="YP-0001")
    pct = [next(f["raw"] for f in c["assessment"]["factors"] if f["name"] == "area_intensity") for c in noon.candidates]
    pct_later = [next(f["raw"] for f in c["assessment"]["factors"] if f["name"] == "area_intensity")
                 for c in night.candidates]
    assert pct == pct_later
