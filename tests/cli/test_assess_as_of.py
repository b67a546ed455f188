"""`geo-risk assess --as-of`: the default is now, so a link that expired earlier today does not score."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from geo_risk.cli import assess as assess_cli
from geo_risk.cli.assess import parse_as_of
from geo_risk.errors import ValidationError
from tests.cli._assess_world import HANGOUT, X0, Y0, run_cli, seed

NOW = dt.datetime(2026, 11, 1, 14, 0)  # a check run at 14:00 ...
EXPIRED_TODAY = dt.datetime(2026, 11, 1, 9, 0)  # ... on a day the only conflict link expired at 09:00
AT_HANGOUT = f"{HANGOUT[0]:.0f},{HANGOUT[1]:.0f}"


def _placement(db_url, *extra):
    # the analyst tier: factor values are not in the housing tier
    out = run_cli(["assess", "placement", "--child", "YP-1", "--point", AT_HANGOUT, "--json", "--audience",
                   "analyst", *extra], db_url)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["candidates"][0]["assessment"]


def _conflict(assessment) -> float:
    return {f["name"]: f["raw"] for f in assessment["factors"]}["conflict_exposure"]


def _route(db_url, *extra):
    # the analyst tier: walk scores are not in the transport tier
    out = run_cli(["assess", "route", "--child", "YP-1", "--from", f"{X0:.0f},{Y0 + 350:.0f}", "--to-school",
                   "999001", "--json", "--audience", "analyst", *extra], db_url)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_parse_as_of_default_is_now_and_accepts_dates_and_date_times(monkeypatch):
    monkeypatch.setattr(assess_cli, "_utcnow", lambda: NOW)
    assert parse_as_of(None) == NOW
    assert parse_as_of("2026-11-01") == dt.datetime(2026, 11, 1)
    assert parse_as_of("2026-11-01T14:30") == dt.datetime(2026, 11, 1, 14, 30)
    assert parse_as_of("2026-11-01 14:30:05") == dt.datetime(2026, 11, 1, 14, 30, 5)
    assert parse_as_of("2026-11-01T15:30+01:00") == dt.datetime(2026, 11, 1, 14, 30)  # to UTC, naive
    with pytest.raises(ValidationError, match="YYYY-MM-DD or an ISO date-time"):
        parse_as_of("1 Nov 2026")


def test_a_link_that_expired_earlier_today_does_not_score_by_default(db, db_url, monkeypatch):
    seed(db, link_expires_at=EXPIRED_TODAY)
    monkeypatch.setattr(assess_cli, "_utcnow", lambda: NOW)
    now = _placement(db_url)  # no --as-of: 14:00, five hours after the link expired
    assert now["as_of"] == NOW.isoformat()
    assert now["lifted_by"] == [] and now["child_band"] == "Low"  # the area alone
    assert _conflict(now) == 0.0 and now["outcome"] == "assessed"
    # the same day given as a date means its midnight, when the link was still live
    midnight = _placement(db_url, "--as-of", "2026-11-01")
    assert midnight["band"] == "Very high" and midnight["lifted_by"] == ["conflict_exposure"]
    # a full date-time either side of the expiry
    assert _placement(db_url, "--as-of", "2026-11-01T08:59")["band"] == "Very high"
    assert _conflict(_placement(db_url, "--as-of", "2026-11-01T09:00")) == 0.0  # expires_at <= as_of: expired


def test_route_default_as_of_is_now_too(db, db_url, monkeypatch):
    seed(db, link_expires_at=EXPIRED_TODAY)
    monkeypatch.setattr(assess_cli, "_utcnow", lambda: NOW)
    now = _route(db_url)
    assert now["as_of"] == NOW.isoformat()
    assert all(n["kind"] != "adversary_activity" for r in now["routes"] for n in r["near"])
    before = _route(db_url, "--as-of", "2026-11-01T08:00")
    assert any(n["kind"] == "adversary_activity" for r in before["routes"] for n in r["near"])
    assert before["routes"][0]["score"] > now["routes"][0]["score"]


def test_on_the_real_clock_a_link_expired_hours_ago_does_not_score(db, db_url):
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    seed(db, link_expires_at=now - dt.timedelta(hours=3), seen=now - dt.timedelta(days=10))
    a = _placement(db_url)
    assert a["lifted_by"] == [] and _conflict(a) == 0.0
    assert dt.datetime.fromisoformat(a["as_of"]) >= now
