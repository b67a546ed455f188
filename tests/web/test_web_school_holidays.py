"""Route checks in the web app use the school holidays of GEO_RISK_SCHOOL_HOLIDAYS, and say so."""

from __future__ import annotations

import logging

import pytest

from geo_risk.config import Settings
from geo_risk.routing import adapters
from geo_risk.routing.schoolrun import NO_CALENDAR_NOTE, SCHOOL_DAY

HOLIDAYS = (
    "start,end,label\n"
    "2026-02-16,2026-02-20,February half term\n"
    "2026-07-22,2026-09-02,Summer holidays\n"
    "2026-10-26,2026-10-30,October half term\n"
)
BODY = {"home_postcode": "ZZ1 1AA", "school_urn": "100001"}


def _app(engine, clock, settings):
    from web import create_app

    return create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-0123456789abcdef",
        "GEO_RISK_ENGINE": engine,
        "GEO_RISK_CLOCK": clock,
        "GEO_RISK_SETTINGS": settings,
        "GEO_RISK_DATA_CHECK_SECONDS": 0.0,
        "GEO_RISK_WARM_UP": False,
    })


def _route(signed_in, info):
    tariq = signed_in("tariq")
    rid = info.referrals["tariq"]
    return tariq.client.post(f"/api/v1/referrals/{rid}/route", json=BODY, headers={"X-CSRFToken": tariq.token})


def test_without_holidays_the_route_result_says_every_weekday_counted(signed_in, info):
    resp = _route(signed_in, info)
    assert resp.status_code == 200
    assert resp.get_json()["advisory"].endswith(NO_CALENDAR_NOTE)


class TestWithHolidays:
    @pytest.fixture
    def holidays(self, tmp_path):
        path = tmp_path / "synthetown-holidays.csv"
        path.write_text(HOLIDAYS, encoding="utf-8")
        return path

    @pytest.fixture
    def app(self, seeded, clock, holidays):  # the app the signed_in fixture signs in to
        return _app(seeded[0], clock, Settings(cookie_secure=False, school_holidays=holidays))

    def test_the_route_surface_is_weighted_on_school_days_and_the_result_names_the_list(
            self, signed_in, info, monkeypatch, holidays):
        seen = {}
        fit = adapters.school_run_surface

        def spy(incidents, *args, **kwargs):
            seen["incidents"] = incidents
            return fit(incidents, *args, **kwargs)

        monkeypatch.setattr(adapters, "school_run_surface", spy)
        resp = _route(signed_in, info)
        assert resp.status_code == 200
        advisory = resp.get_json()["advisory"]
        assert "School holidays from synthetown-holidays.csv (3 closures from 16 Feb 2026 to 30 Oct 2026" in advisory
        assert NO_CALENDAR_NOTE not in advisory
        assert str(holidays.parent) not in advisory  # the file's name, never a path of the server
        incidents = seen["incidents"]
        assert SCHOOL_DAY in incidents.columns
        local = incidents["occurred_at"].dt.tz_localize("UTC").dt.tz_convert("Europe/London").dt.date.astype(str)
        in_summer = ((local >= "2026-07-22") & (local <= "2026-09-02")).to_numpy()
        assert in_summer.any() and not incidents[SCHOOL_DAY].to_numpy()[in_summer].any()

    def test_a_bad_file_stops_route_checks_and_the_log_says_where(self, signed_in, info, holidays, caplog):
        holidays.write_text("start,end,label\n2026-02-20,2026-02-16,February half term\n", encoding="utf-8")
        with caplog.at_level(logging.ERROR, logger="web.state"):
            resp = _route(signed_in, info)
        assert resp.status_code == 503
        logged = " ".join(r.getMessage() for r in caplog.records)
        assert "synthetown-holidays.csv" in logged and "line 2: end 2026-02-16 is before start 2026-02-20" in logged
