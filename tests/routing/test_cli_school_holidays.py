"""`geo-risk assess route` reads GEO_RISK_SCHOOL_HOLIDAYS and says which weekdays counted as school days."""

from __future__ import annotations

import datetime as dt
import json

from geo_risk.config import Policy
from geo_risk.routing import ADVISORY
from geo_risk.routing.schoolrun import NO_CALENDAR_NOTE

from .test_cli import AS_OF, _run, env  # noqa: F401 - env is the fixture

ARGS = ["assess", "route", "--child", "YP-1", "--from", "ZZ1 1AA", "--to-school", "999001", "--as-of", AS_OF]


def test_without_holidays_the_result_says_every_weekday_counted(env):  # noqa: F811
    without = {k: v for k, v in env.items() if k != "GEO_RISK_SCHOOL_HOLIDAYS"}
    out = _run([*ARGS, "--json"], without)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    weighting, days = data["notes"]  # what school-run weighting did, then which days were school days
    assert days == NO_CALENDAR_NOTE and data["advisory"] == ADVISORY
    assert weighting.startswith("School-run time weighting")
    table = _run(ARGS, without)
    assert table.returncode == 0, table.stderr
    assert table.stdout.rstrip().endswith(f"Notes:\n  - {weighting}\n  - {NO_CALENDAR_NOTE}")  # under the result
    assert table.stdout.count(NO_CALENDAR_NOTE) == 1


def test_with_holidays_the_result_names_the_list(env, tmp_path):  # noqa: F811
    path = tmp_path / "la-term-dates.csv"
    path.write_text("start,end,label\n2026-07-22,2026-09-02,Summer holidays\n2026-10-26,2026-10-30,Half term\n",
                    encoding="utf-8")
    out = _run([*ARGS, "--json"], {**env, "GEO_RISK_SCHOOL_HOLIDAYS": str(path)})
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["advisory"] == ADVISORY
    _weighting, note = data["notes"]
    assert note.startswith("School holidays from la-term-dates.csv (2 closures from 22 Jul 2026 to 30 Oct 2026")
    since = dt.date(2026, 11, 1) - dt.timedelta(days=Policy.default().surface.horizon_days)  # the surface horizon
    assert note.endswith(f"weekdays from {since.day} {since:%b %Y} to 21 Jul 2026 (before the list starts) "
                         "were counted as school days.")  # and nothing after: 31 Oct-1 Nov is a weekend
    assert str(tmp_path) not in note  # the file's name, never its path
    table = _run(ARGS, {**env, "GEO_RISK_SCHOOL_HOLIDAYS": str(path)})
    assert table.returncode == 0, table.stderr
    assert table.stdout.rstrip().endswith(f"Notes:\n  - {_weighting}\n  - {note}")


def test_a_bad_holidays_file_is_refused_naming_the_file_line_and_fix(env, tmp_path):  # noqa: F811
    path = tmp_path / "holidays.csv"
    path.write_text("start,end,label\n2026-07-22,2026-09-02,Summer\n2026-10-30,2026-10-26,Half term\n",
                    encoding="utf-8")
    out = _run(ARGS, {**env, "GEO_RISK_SCHOOL_HOLIDAYS": str(path)})
    assert out.returncode == 2, out.stdout + out.stderr
    assert f"school holidays file {path}" in out.stderr
    assert "line 3: end 2026-10-26 is before start 2026-10-30" in out.stderr and "swap them" in out.stderr
    assert "Traceback" not in out.stderr
    missing = _run(ARGS, {**env, "GEO_RISK_SCHOOL_HOLIDAYS": str(tmp_path / "nope.csv")})
    assert missing.returncode == 2 and "check GEO_RISK_SCHOOL_HOLIDAYS" in missing.stderr
