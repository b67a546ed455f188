"""Route checks in the web app use the school holidays of GEO_RISK_SCHOOL_HOLIDAYS, and say so.

The school-days note is one of the check's ``notes``: in the API JSON, under the recommendation on
the transport officer's page (live and in a saved decision record) and on the analyst's route page.
"""

from __future__ import annotations

import html
import json
import logging
import re

import numpy as np
import pytest
from sqlalchemy import select

from geo_risk.config import Settings
from geo_risk.routing import ADVISORY, adapters
from geo_risk.routing.schoolrun import NO_CALENDAR_NOTE, SchoolCalendar, in_school_window
from geo_risk.store import session_scope
from geo_risk.store.models import Assessment
from tests._records import save_as_version_1, upgrade_as_the_migration_does
from web_seed import ROUTE_DECISION

HOLIDAYS = (
    "start,end,label\n"
    "2026-02-16,2026-02-20,February half term\n"
    "2026-07-22,2026-09-02,Summer holidays\n"
    "2026-10-26,2026-10-30,October half term\n"
)
LISTED = "School holidays from synthetown-holidays.csv (3 closures from 16 Feb 2026 to 30 Oct 2026"
BODY = {"home_postcode": "ZZ1 1AA", "school_urn": "100001", **ROUTE_DECISION}


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


def _notes_on_page(page: str) -> list[str]:
    """The notes shown under the result, as plain text."""
    block = re.search(r'<div id="notes">(.*?)</div>', page, re.DOTALL)
    assert block, "the page shows no notes"
    return [html.unescape(n) for n in re.findall(r'<p class="note">(.*?)</p>', block.group(1), re.DOTALL)]


def _transport_check(signed_in, info):
    tariq = signed_in("tariq")
    rid = info.referrals["tariq"]
    tariq.get(f"/transport/referrals/{rid}")
    resp = tariq.post(f"/transport/referrals/{rid}/check", BODY)
    assert resp.status_code == 200
    return tariq, rid, resp.get_data(as_text=True)


def _stored(engine) -> tuple[int, dict]:
    with session_scope(engine) as s:
        row = s.execute(select(Assessment).order_by(Assessment.id.desc())).scalars().first()
        result = row.result
        return row.id, json.loads(result) if isinstance(result, str) else dict(result)


# Timed injuries at the school gate in the school travel windows (naive UTC; BST in summer):
# the web seed's police.uk rows carry only a month and are never time-weighted.
INJURIES = {
    "2026-07-29 07:30": "holiday",  # Wednesday in the summer holidays, 08:30 BST
    "2026-08-12 14:00": "holiday",  # Wednesday in the summer holidays, 15:00 BST
    "2026-06-10 07:30": "term",     # Wednesday in term
    "2026-09-16 14:00": "term",     # Wednesday, back at school
}


def _add_injuries(engine) -> None:
    import datetime as dt

    from geoalchemy2.shape import from_shape
    from shapely.geometry import Point

    from geo_risk.store.models import Incident

    with session_scope(engine) as s:
        for k, stamp in enumerate(INJURIES):
            when = dt.datetime.fromisoformat(stamp)
            s.add(Incident(external_id=f"ED{k}", category="ED assault injury", occurred_at=when, has_time=True,
                           month=when.strftime("%Y-%m"), precision="exact", source="test NHS trust",
                           source_type="health", geom=from_shape(Point(601000.0, 861050.0), srid=27700)))


def test_without_holidays_the_route_result_says_every_weekday_counted(signed_in, info):
    resp = _route(signed_in, info)
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["notes"][1:] == [NO_CALENDAR_NOTE] and body["notes"][0].startswith("School-run time weighting could not apply")
    assert body["advisory"] == ADVISORY  # the note is a note, not part of the advisory notice


def test_the_transport_page_shows_the_note_under_the_result(signed_in, info):
    _tariq, _rid, page = _transport_check(signed_in, info)
    assert _notes_on_page(page)[1:] == [NO_CALENDAR_NOTE]
    assert page.index('id="recommendation"') < page.index('id="notes"') < page.index('id="routes"')


def test_a_saved_decision_record_keeps_the_note_and_shows_it(signed_in, info, seeded):
    tariq, rid, _page = _transport_check(signed_in, info)
    saved = tariq.post(f"/transport/referrals/{rid}/decisions", BODY)
    assert saved.status_code == 303
    _aid, record = _stored(seeded[0])
    assert record["notes"][1:] == [NO_CALENDAR_NOTE] and record["advisory"] == ADVISORY
    page = tariq.get(saved.headers["Location"]).get_data(as_text=True)
    assert _notes_on_page(page) == record["notes"]


def test_a_record_saved_with_the_note_in_the_advisory_shows_it_as_a_note(signed_in, info, seeded):
    """Records saved before route results had notes carry the note at the end of ``advisory``: the
    data migration (0007) moves it to ``notes``."""
    engine = seeded[0]
    tariq, rid, _page = _transport_check(signed_in, info)
    tariq.post(f"/transport/referrals/{rid}/decisions", BODY)
    aid, record = _stored(engine)
    del record["notes"]
    record["advisory"] = f"{ADVISORY} {NO_CALENDAR_NOTE}"
    save_as_version_1(engine, aid, record)
    upgrade_as_the_migration_does(engine, aid)
    page = tariq.get(f"/transport/decisions/{aid}").get_data(as_text=True)
    assert _notes_on_page(page) == [NO_CALENDAR_NOTE]
    assert page.count(html.escape(NO_CALENDAR_NOTE, quote=False)) == 1


def test_a_record_saved_before_the_note_shows_no_notes(signed_in, info, seeded):
    engine = seeded[0]
    tariq, rid, _page = _transport_check(signed_in, info)
    tariq.post(f"/transport/referrals/{rid}/decisions", BODY)
    aid, record = _stored(engine)
    del record["notes"]
    record["advisory"] = ADVISORY
    save_as_version_1(engine, aid, record)
    upgrade_as_the_migration_does(engine, aid)
    resp = tariq.get(f"/transport/decisions/{aid}")
    assert resp.status_code == 200
    assert 'id="notes"' not in resp.get_data(as_text=True)


def test_the_analyst_route_page_shows_the_note(signed_in, info):
    ana = signed_in("ana")
    pid = info.people["YP-0001"]
    ana.get(f"/analyst/people/{pid}")
    resp = ana.post(f"/analyst/people/{pid}/route", BODY)
    assert resp.status_code == 200
    assert _notes_on_page(resp.get_data(as_text=True))[1:] == [NO_CALENDAR_NOTE]


class TestWithHolidays:
    @pytest.fixture
    def holidays(self, tmp_path):
        path = tmp_path / "synthetown-holidays.csv"
        path.write_text(HOLIDAYS, encoding="utf-8")
        return path

    @pytest.fixture
    def app(self, seeded, clock, holidays):  # the app the signed_in fixture signs in to
        _add_injuries(seeded[0])
        return _app(seeded[0], clock, Settings(cookie_secure=False, school_holidays=holidays))

    def test_the_route_surface_is_weighted_on_school_days_and_the_result_names_the_list(
            self, app, signed_in, info, monkeypatch, holidays):
        seen = {}
        fit, weigh = adapters.school_run_surface, adapters.add_time_weight

        def fit_spy(incidents, *args, **kwargs):
            seen["calendar"] = kwargs.get("calendar")
            return fit(incidents, *args, **kwargs)

        def weigh_spy(incidents, *args, **kwargs):
            seen["weighted"] = out = weigh(incidents, *args, **kwargs)
            return out

        monkeypatch.setattr(adapters, "school_run_surface", fit_spy)
        monkeypatch.setattr(adapters, "add_time_weight", weigh_spy)
        resp = _route(signed_in, info)
        assert resp.status_code == 200
        body = resp.get_json()
        weighting, note = body["notes"]
        assert note.startswith(LISTED) and body["advisory"] == ADVISORY
        # two injuries fell on the school run in term time: the weighting note counts them
        assert weighting.startswith("School-run time weighting: 2 of the 4 records with a time of day")
        assert str(holidays.parent) not in note  # the file's name, never a path of the server
        calendar = seen["calendar"]
        assert isinstance(calendar, SchoolCalendar) and calendar.source == "synthetown-holidays.csv"
        # the weights the surface was fitted with: no school-run weight on a holiday weekday
        weighted = seen["weighted"]
        assert "school_day" not in weighted.columns  # the calendar is an argument, not a hidden column
        from web.extensions import store

        with app.app_context():
            routing = store().policy.routing
        window = in_school_window(weighted["occurred_at"], weighted["has_time"], routing)  # every weekday
        term = in_school_window(weighted["occurred_at"], weighted["has_time"], routing, calendar=calendar)
        holiday = window & ~term
        assert holiday.sum() == 2 and term.sum() == 2  # the injuries added above
        w = weighted["time_weight"].to_numpy()
        assert np.all(w[holiday] == 1.0)
        assert np.all(w[term] == routing.school_window_weight) and routing.school_window_weight > 1

    def test_the_transport_page_names_the_list(self, signed_in, info):
        _tariq, _rid, page = _transport_check(signed_in, info)
        _weighting, note = _notes_on_page(page)
        assert note.startswith(LISTED)
        assert NO_CALENDAR_NOTE not in page

    def test_a_bad_file_stops_route_checks_and_the_log_says_where(self, signed_in, info, holidays, caplog):
        holidays.write_text("start,end,label\n2026-02-20,2026-02-16,February half term\n", encoding="utf-8")
        with caplog.at_level(logging.ERROR, logger="web.state"):
            resp = _route(signed_in, info)
        assert resp.status_code == 503
        logged = " ".join(r.getMessage() for r in caplog.records)
        assert "synthetown-holidays.csv" in logged and "line 2: end 2026-02-16 is before start 2026-02-20" in logged
