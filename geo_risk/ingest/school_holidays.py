"""School holidays and closures (a local authority's term-date list) -> a :class:`SchoolCalendar`.

A small CSV the user writes from the authority's published term dates, one row per
holiday or closure, dates inclusive::

    start,end,label
    2025-10-27,2025-10-31,October half term
    2025-12-22,2026-01-02,Christmas holidays
    2026-01-05,,INSET day
    04/05/2026,04/05/2026,Early May bank holiday

- ``start`` and ``end`` (also ``start_date``/``end_date`` or ``from``/``to``; any case):
  ``YYYY-MM-DD`` or the UK ``DD/MM/YYYY``; an empty ``end`` means the one day ``start``;
- ``label`` (or ``name``/``description``) is optional; other columns are ignored;
- rows may overlap or repeat (a bank holiday inside a holiday is fine); blank lines are skipped;
- UTF-8 (Excel's "CSV UTF-8"; a byte-order mark is fine).

Every problem in the file is reported at once, by line, with the fix. The file is
configured with ``GEO_RISK_SCHOOL_HOLIDAYS`` (:attr:`geo_risk.config.Settings.school_holidays`);
without it every weekday counts as a school day (see :mod:`geo_risk.routing.schoolrun`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from geo_risk.errors import DataSourceError, ValidationError
from geo_risk.ingest._files import Source, decode_text
from geo_risk.routing.schoolrun import Closure, SchoolCalendar

if TYPE_CHECKING:
    from geo_risk.config import Settings

log = logging.getLogger(__name__)

#: Longest closure accepted: a holiday lasts weeks, not months (a wrong year is the usual cause).
MAX_CLOSURE_DAYS = 92
START_COLUMNS = ("start", "start_date", "from")
END_COLUMNS = ("end", "end_date", "to")
LABEL_COLUMNS = ("label", "name", "description")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_UK = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_DATE_FIX = "write YYYY-MM-DD (e.g. 2025-10-27) or DD/MM/YYYY (e.g. 27/10/2025)"
_MAX_SHOWN = 20


def _parse_date(text: str) -> dt.date | str:
    """The date, or the reason it is not one."""
    m = _ISO.match(text)
    if m:
        year, month, day = (int(g) for g in m.groups())
    else:
        m = _UK.match(text)
        if not m:
            return f"{text!r} is not a date; {_DATE_FIX}"
        day, month, year = (int(g) for g in m.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        return f"{text!r} is not a day of the calendar (day {day} of month {month} of {year}); check it"


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    for name in names:
        if name in header:
            return header.index(name)
    return None


def parse_school_holidays(text: str, *, source: str = "school holidays") -> SchoolCalendar:
    """Parse the text of a school holidays CSV.

    Parameters
    ----------
    text
        The file's text.
    source
        The file's name, for messages and for the calendar's ``source``.

    Raises
    ------
    ValidationError
        Naming every problem with its line and fix.
    """
    where = f"school holidays file {source}"
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header_line = 0
    header: list[str] = []
    for cells in rows:
        if any(c.strip() for c in cells):
            header = [c.strip().lower() for c in cells]
            header_line = rows.line_num
            break
    if not header:
        msg = f"{where} is empty; write a header line 'start,end,label' and one row per holiday or closure"
        raise ValidationError(msg)
    i_start, i_end, i_label = (_column(header, names) for names in (START_COLUMNS, END_COLUMNS, LABEL_COLUMNS))
    if i_start is None or i_end is None:
        missing = " and ".join(repr(n[0]) for n, i in ((START_COLUMNS, i_start), (END_COLUMNS, i_end)) if i is None)
        msg = (
            f"{where} line {header_line}: the header lacks {missing} (it has: {', '.join(map(repr, header))}); "
            "the first line must be the header 'start,end,label'"
        )
        raise ValidationError(msg)

    closures: list[Closure] = []
    problems: list[str] = []
    for cells in rows:
        if not any(c.strip() for c in cells):
            continue
        line = rows.line_num
        cell = [c.strip() for c in cells] + [""] * (len(header) - len(cells))
        start_text, end_text = cell[i_start], cell[i_end]
        label = cell[i_label] if i_label is not None else ""
        if not start_text:
            problems.append(f"line {line}: start is empty; give the first day closed ({_DATE_FIX})")
            continue
        start = _parse_date(start_text)
        end = _parse_date(end_text) if end_text else start
        if isinstance(start, str) or isinstance(end, str):
            bad = [f"start {start}"] if isinstance(start, str) else []
            if end_text and isinstance(end, str):
                bad.append(f"end {end}")
            problems.append(f"line {line}: " + "; ".join(bad))
            continue
        if end < start:
            problems.append(
                f"line {line}: end {end.isoformat()} is before start {start.isoformat()}; "
                "both dates are inclusive and the start comes first: swap them or fix the year"
            )
            continue
        days = (end - start).days + 1
        if days > MAX_CLOSURE_DAYS:
            problems.append(
                f"line {line}: {start.isoformat()} to {end.isoformat()} is {days} days; a holiday or closure "
                f"lasts weeks, not months (at most {MAX_CLOSURE_DAYS} days): check the years"
            )
            continue
        closures.append(Closure(start, end, label))
    if problems:
        shown = problems[:_MAX_SHOWN]
        if len(problems) > _MAX_SHOWN:
            shown.append(f"... and {len(problems) - _MAX_SHOWN} more")
        msg = f"{where} has {len(problems)} problem(s); fix them and try again:\n  - " + "\n  - ".join(shown)
        raise ValidationError(msg)
    if not closures:
        msg = (
            f"{where} has a header but no holidays; add one row per holiday or closure "
            "(start,end,label), or unset GEO_RISK_SCHOOL_HOLIDAYS to count every weekday as a school day"
        )
        raise ValidationError(msg)
    return SchoolCalendar(tuple(closures), source=Path(source).name)


def read_school_holidays(path: str | os.PathLike[str]) -> SchoolCalendar:
    """Read a school holidays CSV (see the module docstring for the format).

    The calendar's ``source`` is the file's name (not its folder), so results
    that quote it do not carry a path of the machine.

    Raises
    ------
    DataSourceError
        The file does not exist or cannot be read.
    ValidationError
        The file is not UTF-8 text, or has bad rows (every one named, with its line).
    """
    path = Path(path)
    if not path.is_file():
        msg = (
            f"school holidays file {path} does not exist; check GEO_RISK_SCHOOL_HOLIDAYS "
            "(a CSV with the columns start,end,label), or unset it to count every weekday as a school day"
        )
        raise DataSourceError(msg)
    source = Source(str(path), path, None, path.stat().st_size)
    calendar = parse_school_holidays(decode_text(source), source=str(path))
    log.info("school holidays: %d closures from %s to %s read from %s", len(calendar.closures),
             calendar.first, calendar.last, path.name)
    return calendar


def load_school_calendar(settings: Settings) -> SchoolCalendar | None:
    """The school holidays named by ``settings.school_holidays``, or None when it is not set."""
    if settings.school_holidays is None:
        return None
    return read_school_holidays(settings.school_holidays)
