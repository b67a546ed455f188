"""The route check use case: the statutory walking distance for the age band on the referral."""

from __future__ import annotations

import datetime as dt

import pytest

from geo_risk import accounts
from geo_risk.errors import ValidationError
from geo_risk.service import check_route
from geo_risk.store import session_scope
from geo_risk.store.models import Referral
from tests.web.web_seed import NOW


def _set_age_band(engine, rid: int, band: str | None) -> None:
    with session_scope(engine) as s:
        referral = s.get(Referral, rid)
        referral.details = {**(referral.details or {}), "age_band": band}


@pytest.mark.parametrize(("band", "miles"), [("under_8", "2.0"), ("8_and_over", "3.0")])
def test_a_transport_check_compares_the_walk_with_the_distance_for_the_referrals_age_band(engine, data, info, actor,
                                                                                         band, miles):
    _set_age_band(engine, info.referrals["tariq"], band)
    with session_scope(engine) as s:
        checked = check_route(s, actor("tariq"), data, as_of=NOW, home="ZZ1 1AA", school_urn="100001",
                              referral_id=info.referrals["tariq"])
    distance = checked.result["recommendation"]["walking_distance"]
    assert distance["age_band"] == band and distance["beyond_statutory"] is False
    assert f"statutory walking distance of {miles} miles" in distance["text"]
    reasons = checked.result["recommendation"]["reasons"]
    assert any(r.startswith("Safety: ") for r in reasons) and any(r.startswith("Distance: ") for r in reasons)


def test_a_referral_without_an_age_band_gives_both_distances(engine, data, info, actor):
    with session_scope(engine) as s:
        checked = check_route(s, actor("tariq"), data, as_of=NOW, home="ZZ1 1AA", school_urn="100001",
                              referral_id=info.referrals["tariq"])
    distance = checked.result["recommendation"]["walking_distance"]
    assert distance["age_band"] is None and distance["beyond_statutory"] is None
    assert "gives no age band" in distance["text"]


def test_an_officer_cannot_override_the_referrals_age_band(engine, data, info, actor):
    _set_age_band(engine, info.referrals["tariq"], "under_8")
    with session_scope(engine) as s, pytest.raises(ValidationError, match="referral records the age band"):
        check_route(s, actor("tariq"), data, as_of=NOW, home="ZZ1 1AA", school_urn="100001",
                    referral_id=info.referrals["tariq"], age_band="8_and_over")


def test_a_referral_refuses_an_unknown_age_band(engine, info):
    with session_scope(engine) as s:
        tariq = accounts.get_user(s, "tariq")
        with pytest.raises(ValidationError, match="age band must be one of under_8, 8_and_over"):
            accounts.grant_referral(s, "YP-0001", tariq, "route", NOW + dt.timedelta(days=3),
                                    details={"age_band": "seven"}, as_of=NOW)
