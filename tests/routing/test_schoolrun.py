"""School-run weighting of timed incidents (issue 5), on school days only when holidays are given."""

from __future__ import annotations

import dataclasses
import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from geo_risk.crs import EastNorth
from geo_risk.errors import ValidationError
from geo_risk.routing import ADVISORY, add_time_weight, assess_route, build_walk_graph, in_school_window
from geo_risk.routing.adapters import school_run_surface
from geo_risk.routing.schoolrun import (
    NO_CALENDAR_NOTE,
    NOTE_START,
    Closure,
    SchoolCalendar,
    school_days,
    school_days_note,
    with_school_days_note,
)

from .helpers import X0, Y0, grid_streets

ROWS = [
    # occurred_at (naive UTC), has_time, expected weight
    ("2025-01-15 08:00", True, 2.0),   # Wednesday, winter: 08:00 at the school gate
    ("2025-01-15 10:00", True, 1.0),   # between windows
    ("2025-01-15 15:30", True, 2.0),   # afternoon window
    ("2025-01-18 08:00", True, 1.0),   # Saturday
    ("2025-06-18 07:00", True, 2.0),   # summer: 07:00 UTC is 08:00 BST
    ("2025-06-18 09:00", True, 1.0),   # summer: 09:00 UTC is 10:00 BST
    ("2025-06-18 16:30", True, 1.0),   # summer: 17:30 BST, after the window
    ("2025-01-01 00:00", False, 1.0),  # police.uk month-only row
    ("2025-01-15 08:00", False, 1.0),  # untimed, even if the clock happens to fall in a window
]


def _incidents() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "incident_id": range(len(ROWS)),
            "category": "ED assault injury",
            "occurred_at": pd.to_datetime([r[0] for r in ROWS]),
            "has_time": [r[1] for r in ROWS],
            "geometry": [Point(450_000, 200_000)] * len(ROWS),
        },
        crs="EPSG:27700",
    )


def test_time_weight_in_school_windows_on_weekdays_only(policy):
    out = add_time_weight(_incidents(), policy.routing)
    heavier = policy.routing.school_window_weight
    assert out["time_weight"].tolist() == [heavier if r[2] > 1 else 1.0 for r in ROWS]
    assert isinstance(out, gpd.GeoDataFrame) and out.crs == "EPSG:27700"


def test_input_frame_is_not_changed(policy):
    frame = _incidents()
    add_time_weight(frame, policy.routing)
    assert "time_weight" not in frame.columns


def test_malformed_windows_are_refused_with_the_fix(policy):
    rp = dataclasses.replace(policy.routing, school_windows=("07:30-09:15", "9am-10am", "17:00-16:00"))
    with pytest.raises(ValidationError, match=r"'9am-10am', '17:00-16:00'.*HH:MM-HH:MM"):
        add_time_weight(_incidents(), rp)


def test_missing_columns_are_refused(policy):
    with pytest.raises(ValidationError, match="has_time"):
        add_time_weight(_incidents().drop(columns=["has_time"]), policy.routing)


# --------------------------------------------------------------------------- school holidays

HOLIDAYS = SchoolCalendar.from_ranges(
    [
        (dt.date(2025, 2, 17), dt.date(2025, 2, 21), "February half term"),
        (dt.date(2025, 7, 22), dt.date(2025, 9, 2), "Summer holidays"),
        (dt.date(2025, 8, 25), dt.date(2025, 8, 25), "Summer bank holiday"),  # overlaps: fine
        (dt.date(2025, 6, 16), dt.date(2025, 6, 16), "INSET day"),
    ],
    source="synthetown-2024-25.csv",
)


def _timed(*stamps: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "category": "ED assault injury",
            "occurred_at": pd.to_datetime(list(stamps)),
            "has_time": True,
            "geometry": [Point(450_000, 200_000)] * len(stamps),
        },
        crs="EPSG:27700",
    )


def test_a_holiday_weekday_no_longer_counts_and_a_term_weekday_does(policy):
    frame = _timed(
        "2025-02-19 08:00",  # Wednesday of February half term
        "2025-02-26 08:00",  # Wednesday in term
        "2025-06-16 07:00",  # Monday, INSET day (08:00 BST)
        "2025-06-17 07:00",  # Tuesday in term
        "2025-08-25 07:00",  # bank holiday inside the summer holidays
        "2025-09-03 07:00",  # first day back
    )
    heavier = policy.routing.school_window_weight
    without = add_time_weight(frame, policy.routing)
    assert without["time_weight"].tolist() == [heavier] * 6  # today's behaviour: every weekday
    with_holidays = add_time_weight(frame, policy.routing, calendar=HOLIDAYS)
    assert with_holidays["time_weight"].tolist() == [1.0, heavier, 1.0, heavier, 1.0, heavier]
    assert in_school_window(frame["occurred_at"], frame["has_time"], policy.routing,
                            calendar=HOLIDAYS).tolist() == [False, True, False, True, False, True]


def test_the_school_clock_date_decides_the_day(policy):
    # 23:30 UTC on Monday 21 July 2025 is 00:30 BST on Tuesday 22 July, the first day of the holidays
    local = school_days(pd.Series(pd.to_datetime(["2025-07-21 23:30", "2025-07-21 22:30"])), HOLIDAYS)
    assert local.tolist() == [False, True]


def test_the_calendar_given_to_school_run_surface_changes_the_weights(policy):
    """school_run_surface passes its calendar to the weighting: incidents at the school gate in the
    holidays no longer weigh as the school run, those in term still do."""
    holiday, term = (X0, Y0), (X0 + 5_000.0, Y0)  # far apart: neither place's kernel reaches the other
    stamps = ["2025-07-23 07:00", "2025-07-30 07:15", "2025-08-06 14:30",   # summer holidays, in the windows (BST)
              "2025-09-10 07:00", "2025-09-17 07:15", "2025-09-24 14:30"]   # term, same times
    frame = _timed(*stamps)
    frame["geometry"] = [Point(*holiday)] * 3 + [Point(*term)] * 3
    as_of = dt.datetime(2025, 11, 1)
    xy = np.array([holiday, term])
    plain = school_run_surface(frame, as_of, policy).intensity_at(xy)
    with_holidays = school_run_surface(frame, as_of, policy, calendar=HOLIDAYS).intensity_at(xy)
    heavier = policy.routing.school_window_weight
    assert heavier > 1 and plain[0] > 0
    # with the calendar the holiday gate's incidents weigh 1, not ``heavier``: its forecast falls against
    # the term-time gate's
    assert with_holidays[0] / with_holidays[1] < 0.8 * plain[0] / plain[1]
    # and no calendar is the same as every weekday a school day
    np.testing.assert_allclose(school_run_surface(frame, as_of, policy, calendar=None).intensity_at(xy), plain)
    assert "school_day" not in frame.columns and "time_weight" not in frame.columns  # the frame is not changed


def test_untimed_rows_and_missing_times_never_weigh(policy):
    frame = _timed("2025-02-26 08:00", "2025-02-26 08:00")
    frame["has_time"] = [False, True]
    frame.loc[1, "occurred_at"] = pd.NaT
    out = add_time_weight(frame, policy.routing, calendar=HOLIDAYS)
    assert out["time_weight"].tolist() == [1.0, 1.0]


def test_calendar_merges_overlaps_and_its_digest_is_the_closed_days():
    starts, ends = HOLIDAYS.closed_spans()
    assert [str(s) for s in starts] == ["2025-02-17", "2025-06-16", "2025-07-22"]
    assert [str(e) for e in ends] == ["2025-02-21", "2025-06-16", "2025-09-02"]
    same_days = SchoolCalendar.from_ranges(
        [(dt.date(2025, 7, 22), dt.date(2025, 8, 10)), (dt.date(2025, 8, 11), dt.date(2025, 9, 2)),
         (dt.date(2025, 6, 16), dt.date(2025, 6, 16)), (dt.date(2025, 2, 17), dt.date(2025, 2, 21), "other label")]
    )
    assert same_days.digest == HOLIDAYS.digest
    one_day_more = SchoolCalendar.from_ranges([*((c.start, c.end) for c in HOLIDAYS.closures),
                                               (dt.date(2025, 9, 3), dt.date(2025, 9, 3))])
    assert one_day_more.digest != HOLIDAYS.digest
    assert HOLIDAYS.is_closed([dt.date(2025, 2, 16), dt.date(2025, 2, 17), dt.date(2025, 9, 2),
                               dt.date(2025, 9, 3)]).tolist() == [False, True, True, False]
    assert HOLIDAYS.to_dict()["closures"][0] == {"start": "2025-02-17", "end": "2025-02-21",
                                                 "label": "February half term"}


def test_closures_are_checked():
    with pytest.raises(ValidationError, match="ends on 2025-02-17 before it starts on 2025-02-21; swap"):
        Closure(dt.date(2025, 2, 21), dt.date(2025, 2, 17), "half term")
    with pytest.raises(TypeError, match="datetime.date"):
        Closure("2025-02-17", dt.date(2025, 2, 21))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Closure items"):
        SchoolCalendar(((dt.date(2025, 2, 17), dt.date(2025, 2, 21)),))  # type: ignore[arg-type]


def test_the_note_says_when_holidays_were_not_supplied():
    note = school_days_note(None)
    assert note == NO_CALENDAR_NOTE
    assert note.startswith("School holidays not supplied: every weekday was counted as a school day")


def test_the_note_names_the_list_and_what_it_does_not_cover():
    inside = school_days_note(HOLIDAYS, period=(dt.date(2025, 2, 1), dt.date(2025, 9, 1)))
    assert inside == (
        f"School holidays from synthetown-2024-25.csv (4 closures from 17 Feb 2025 to 2 Sep 2025, "
        f"digest {HOLIDAYS.digest[:12]}): weekdays in them were not counted as school days; weekdays from "
        "1 Feb 2025 to 16 Feb 2025 (before the list starts) were counted as school days."
    )
    after = school_days_note(HOLIDAYS, period=(dt.date(2025, 3, 1), dt.date(2025, 11, 1)))
    assert after.endswith("weekdays from 3 Sep 2025 to 1 Nov 2025 (after the list ends) were counted as school days.")
    assert school_days_note(SchoolCalendar()) == "School holidays: none listed, so every weekday was counted as a school day."


def test_every_note_starts_the_same_way():
    # saved records from before route results had notes are split on it (web.transport)
    for note in (NO_CALENDAR_NOTE, school_days_note(SchoolCalendar()), school_days_note(HOLIDAYS),
                 school_days_note(SchoolCalendar.from_ranges([(dt.date(2025, 2, 17), dt.date(2025, 2, 21))]))):
        assert note.startswith(NOTE_START)
    assert NOTE_START not in ADVISORY


def _route_result(policy, tier="transport"):
    graph = build_walk_graph(grid_streets(4), sample_step_m=policy.routing.sample_step_m)
    return assess_route("YP-0042", EastNorth(X0, Y0), EastNorth(X0 + 300.0, Y0 + 300.0),
                        dt.datetime(2025, 11, 1, 9), policy, graph=graph,
                        risk_fn=lambda xy: np.full(len(xy), 0.05), tier=tier)


@pytest.mark.parametrize("tier", ["transport", "analyst"])
def test_the_note_goes_with_the_route_result_as_a_note(policy, tier):
    result = _route_result(policy, tier)
    assert result.notes == ()
    noted = with_school_days_note(result, None, horizon_days=365)
    assert noted.notes == (NO_CALENDAR_NOTE,)
    assert noted.advisory == ADVISORY  # the advisory notice is left as it is
    assert noted.to_dict()["notes"] == [NO_CALENDAR_NOTE] and noted.to_dict()["advisory"] == ADVISORY
    noted = with_school_days_note(result, HOLIDAYS, horizon_days=365)
    (note,) = noted.notes
    assert note.startswith("School holidays from synthetown-2024-25.csv")
    assert "weekdays from 1 Nov 2024 to 16 Feb 2025 (before the list starts)" in note
    assert noted.to_dict()["notes"] == [note]


def _frame(rows):
    return pd.DataFrame({"occurred_at": pd.to_datetime([r[0] for r in rows], format="ISO8601"), "has_time": [r[1] for r in rows]})


def test_weighting_says_plainly_when_it_could_not_apply_to_month_only_data(policy):
    from geo_risk.routing.schoolrun import time_weighting

    police = _frame([("2025-01-01", False), ("2025-02-01", False), ("2025-03-01", False)])
    w = time_weighting(police, policy.routing, as_of=dt.datetime(2025, 4, 1), horizon_days=365)
    assert (w.weighed, w.timed, w.on_school_run, w.applied) == (3, 0, 0, False)
    assert w.note.startswith("School-run time weighting could not apply: none of the 3 incidents weighed")
    assert "police.uk records give only the month" in w.note


def test_weighting_applies_to_dated_records_and_counts_what_it_could_not_weigh(policy):
    from geo_risk.routing.schoolrun import add_time_weight, time_weighting

    # Tuesday 4 March 2025 07:45 UTC is 07:45 at the school gate; 23:00 is not the school run;
    # a record after as_of and one beyond the horizon are not weighed at all
    rows = [("2025-03-04 07:45", True), ("2025-03-04 23:00", True), ("2025-03-01", False), ("2025-02-01", False),
            ("2025-04-02 08:00", True), ("2020-01-07 08:00", True)]
    frame = _frame(rows)
    w = time_weighting(frame, policy.routing, as_of=dt.datetime(2025, 4, 1), horizon_days=365)
    assert (w.weighed, w.timed, w.on_school_run, w.applied) == (4, 2, 1, True)
    assert w.note == ("School-run time weighting: 1 of the 2 records with a time of day (partner and "
                      "emergency-department records) happened in a school travel window on a school day and count "
                      "2 times; the other 2 of the 4 incidents weighed give no time of day (police.uk records give "
                      "only the month) and could not be weighted.")
    assert add_time_weight(frame, policy.routing)["time_weight"].tolist()[:2] == [2.0, 1.0]
