"""School holidays CSV -> SchoolCalendar: the format, and errors that name the file, line and fix."""

from __future__ import annotations

import datetime as dt

import pytest

from geo_risk.config import Settings
from geo_risk.errors import DataSourceError, ValidationError
from geo_risk.ingest.school_holidays import load_school_calendar, parse_school_holidays, read_school_holidays

GOOD = """\ufeffStart , End, Label, academic_year
2025-10-27,2025-10-31,October half term,2025/26

2025-12-22,2026-01-02,Christmas holidays,2025/26
05/01/2026,,INSET day,2025/26
2025-12-25,2025-12-26,Christmas and Boxing Day,2025/26
"""


def test_a_good_file(tmp_path):
    path = tmp_path / "synthetown-2025-26.csv"
    path.write_text(GOOD, encoding="utf-8")
    cal = read_school_holidays(path)
    assert cal.source == "synthetown-2025-26.csv"  # the name only: results never carry a folder
    assert [(c.start, c.end, c.label) for c in cal.closures] == [
        (dt.date(2025, 10, 27), dt.date(2025, 10, 31), "October half term"),
        (dt.date(2025, 12, 22), dt.date(2026, 1, 2), "Christmas holidays"),
        (dt.date(2026, 1, 5), dt.date(2026, 1, 5), "INSET day"),  # DD/MM/YYYY; empty end: one day
        (dt.date(2025, 12, 25), dt.date(2025, 12, 26), "Christmas and Boxing Day"),  # overlaps: fine
    ]
    assert cal.first == dt.date(2025, 10, 27) and cal.last == dt.date(2026, 1, 5)


def test_other_column_names_and_no_label():
    cal = parse_school_holidays("from,to\n2026-02-16,2026-02-20\n", source="half-terms.csv")
    assert [(c.start, c.end, c.label) for c in cal.closures] == [(dt.date(2026, 2, 16), dt.date(2026, 2, 20), "")]


def test_every_bad_row_is_reported_at_once_with_its_line_and_fix(tmp_path):
    path = tmp_path / "holidays.csv"
    path.write_text(
        "start,end,label\n"
        "2025-10-27,2025-10-31,October half term\n"
        "27 Oct 2025,2025-10-31,words\n"
        "2025-12-22,2025-12-02,Christmas typo\n"
        "2026-02-30,2026-03-01,no such day\n"
        ",2026-04-10,no start\n"
        "2025-07-22,2026-09-02,summer with the wrong year\n"
        "2026-05-04,May 4th,bad end\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationError) as err:
        read_school_holidays(path)
    text = str(err.value)
    assert text.startswith(f"school holidays file {path} has 6 problem(s)")
    assert "line 3: start '27 Oct 2025' is not a date; write YYYY-MM-DD (e.g. 2025-10-27) or DD/MM/YYYY" in text
    assert "line 4: end 2025-12-02 is before start 2025-12-22; both dates are inclusive" in text
    assert "swap them or fix the year" in text
    assert "line 5: start '2026-02-30' is not a day of the calendar" in text
    assert "line 6: start is empty" in text
    assert "line 7: 2025-07-22 to 2026-09-02 is 408 days" in text and "check the years" in text
    assert "line 8: end 'May 4th' is not a date" in text
    assert "line 2" not in text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty; write a header line 'start,end,label'"),
        ("\n\n", "is empty; write a header line 'start,end,label'"),
        ("date,label\n2025-10-27,x\n", "line 1: the header lacks 'start' and 'end' (it has: 'date', 'label')"),
        ("2025-10-27,2025-10-31,half term\n", "the header lacks 'start' and 'end'"),
        ("start,end,label\n", "has a header but no holidays; add one row per holiday"),
    ],
)
def test_file_level_problems(text, message):
    with pytest.raises(ValidationError, match="school holidays file holidays.csv") as err:
        parse_school_holidays(text, source="holidays.csv")
    assert message in str(err.value)


def test_a_missing_file_names_the_setting(tmp_path):
    with pytest.raises(DataSourceError, match=r"nope\.csv does not exist; check GEO_RISK_SCHOOL_HOLIDAYS"):
        read_school_holidays(tmp_path / "nope.csv")


def test_a_file_that_is_not_utf8_says_how_to_resave_it(tmp_path):
    path = tmp_path / "holidays.csv"
    path.write_bytes("start,end,label\n2025-10-27,2025-10-31,Half term \u2013 autumn\n".encode("cp1252"))
    with pytest.raises(ValidationError, match="is not UTF-8 text.*CSV UTF-8"):
        read_school_holidays(path)


def test_load_from_settings(tmp_path):
    assert load_school_calendar(Settings()) is None
    path = tmp_path / "holidays.csv"
    path.write_text(GOOD, encoding="utf-8")
    cal = load_school_calendar(Settings.load(env={"GEO_RISK_SCHOOL_HOLIDAYS": str(path)}))
    assert cal is not None and len(cal.closures) == 4
