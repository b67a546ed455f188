"""Analyst oversight pages (issue 8): chronology, evidence reviews, disproportionality, data quality."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select, update

from geo_risk.store.engine import session_scope
from geo_risk.store.models import AuditEvent, ChronologyEntry, EvidenceReview, Link, Person
from web_seed import NOW

FORBIDDEN = re.compile(r"\b(gang|gangs|nominal|nominals)\b", re.IGNORECASE)


def pages(info) -> list[tuple[str, str, dict]]:
    pid = info.people["YP-0001"]
    return [
        ("GET", f"/analyst/oversight/people/{pid}/chronology", {}),
        ("GET", f"/analyst/oversight/people/{pid}/chronology?source_type=parent_carer&family=inside", {}),
        ("GET", f"/analyst/oversight/people/{pid}/chronology/export", {}),
        ("POST", f"/analyst/oversight/people/{pid}/chronology", {
            "occurred_at": "2026-11-19", "kind": "concern", "summary": "x", "source": "Aunt",
            "source_type": "parent_carer", "evidence_grade": "C"}),
        ("GET", "/analyst/oversight/reviews", {}),
        ("POST", "/analyst/oversight/reviews/link/L2", {"action": "expire", "reason": "resolved"}),
        ("GET", "/analyst/oversight/fairness", {}),
        ("POST", "/analyst/oversight/fairness/population", {}),
        ("GET", "/analyst/oversight/quality", {}),
        ("GET", "/analyst/oversight/quality.csv", {}),
    ]


@pytest.mark.parametrize("who", ["hana", "sami", "tariq", "adam", "pat"])
def test_school_housing_and_other_roles_cannot_reach_any_oversight_page(signed_in, seeded, info, who):
    """Issue 8, Show: a school or housing user (or any role but analyst) is refused every page."""
    b = signed_in(who)
    for method, path, form in pages(info):
        resp = b.get(path) if method == "GET" else b.post(path, form)
        assert resp.status_code in (403, 404), f"{who} {method} {path}: {resp.status_code}"
        assert "Missing from home overnight" not in resp.get_data(as_text=True)
    engine, _ = seeded
    with session_scope(engine) as s:  # nothing was changed by the refused requests
        assert s.execute(select(Link.status).where(Link.link_id == "L2")).scalar_one() == "live"
        assert s.execute(select(func.count()).select_from(ChronologyEntry)).scalar_one() == 1
        assert s.execute(select(func.count()).select_from(EvidenceReview)).scalar_one() == 0


def test_signed_out_is_sent_to_login(signed_in, info):
    b = signed_in(None)
    for method, path, form in pages(info):
        resp = b.get(path) if method == "GET" else b.post(path, form)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"], path


# --------------------------------------------------------------------------- chronology


class _Rows(HTMLParser):
    """The rows of ``table#chronology``: the row's attributes and each cell's class and text."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict] = []
        self._in_table = False
        self._cell: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("id") == "chronology":
            self._in_table = True
        elif self._in_table and tag == "tr" and "class" in a:
            self.rows.append({"attrs": a, "cells": []})
        elif self._in_table and tag == "td" and self.rows:
            self._cell = {"class": a.get("class"), "text": "", "markup": []}
            self.rows[-1]["cells"].append(self._cell)
        elif self._cell is not None:
            self._cell["markup"].append((tag, a.get("class")))

    def handle_endtag(self, tag):
        if tag == "table":
            self._in_table = False
        if tag == "td":
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["text"] += data


def _rows(html: str) -> list[dict]:
    parser = _Rows()
    parser.feed(html)
    return parser.rows


def _add_parent_entry(engine):
    with session_scope(engine) as s:
        s.add(ChronologyEntry(child_pseudonym="YP-0001", occurred_at=NOW - dt.timedelta(days=3), kind="concern",
                              summary="Mother found cash and a second phone in his room", evidence_grade="B",
                              source="Mother", source_type="parent_carer", inside_family=False))


def test_parent_carer_entry_appears_with_its_source_and_the_same_prominence(signed_in, seeded, info):
    engine, _ = seeded
    _add_parent_entry(engine)
    ana = signed_in("ana")
    pid = info.people["YP-0001"]
    resp = ana.get(f"/analyst/oversight/people/{pid}/chronology")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert not FORBIDDEN.search(html)
    rows = _rows(html)
    by_type = {}
    for r in rows:
        by_type.setdefault(r["attrs"]["data-source-type"], []).append(r)
    mother = next(r for r in by_type["parent_carer"] if "Mother found cash" in r["cells"][2]["text"])
    source_cell = next(c for c in mother["cells"] if c["class"] == "source")
    assert "Mother" in source_cell["text"] and "Parent or carer" in source_cell["text"]
    police = by_type["police"][0]
    # same markup, same classes: nothing marks a parent's entry as lesser than police intelligence
    assert mother["attrs"]["class"] == police["attrs"]["class"] == "chron-item"
    assert [(c["class"], c["markup"]) for c in mother["cells"] if c["class"] not in ("family", "status")] == \
        [(c["class"], c["markup"]) for c in police["cells"] if c["class"] not in ("family", "status")]
    assert not re.search(r'data-source-type="parent_carer"[^>]*class="[^"]*(muted|faint|minor)', html)
    # every kind of record is there: links, places (home included, without a location), entries, referrals
    records = {r["cells"][-1]["text"] for r in rows}
    assert {"link L1", "link L4", "link L5", "place P3", "entry 1", "referral 1", "referral 2"} <= records
    assert "Home recorded (the location is never shown)" in html


def test_filter_by_source_type_and_family(signed_in, seeded, info):
    engine, _ = seeded
    _add_parent_entry(engine)
    ana = signed_in("ana")
    pid = info.people["YP-0001"]
    html = ana.get(f"/analyst/oversight/people/{pid}/chronology?source_type=parent_carer").get_data(as_text=True)
    rows = _rows(html)
    assert [r["attrs"]["data-source-type"] for r in rows] == ["parent_carer"]
    html = ana.get(f"/analyst/oversight/people/{pid}/chronology?family=inside").get_data(as_text=True)
    assert {r["attrs"]["data-family"] for r in _rows(html)} == {"inside"}
    assert "place P3" in html  # the home is inside the family
    html = ana.get(f"/analyst/oversight/people/{pid}/chronology?source_type=social_care&source_type=geo_risk"
                   "&family=outside").get_data(as_text=True)
    assert {r["attrs"]["data-source-type"] for r in _rows(html)} == {"social_care", "geo_risk"}
    # filters carry into the export link
    assert "chronology/export?source_type=social_care&amp;source_type=geo_risk&amp;family=outside" in html


def test_reading_and_exporting_a_chronology_are_audited(signed_in, seeded, info):
    engine, _ = seeded
    ana = signed_in("ana")
    pid = info.people["YP-0001"]
    assert ana.get(f"/analyst/oversight/people/{pid}/chronology").status_code == 200
    resp = ana.get(f"/analyst/oversight/people/{pid}/chronology/export?download=1")
    assert resp.status_code == 200
    assert resp.headers["Content-Disposition"].startswith("attachment; filename=\"chronology-")
    assert "YP-0001" not in resp.headers["Content-Disposition"]
    html = resp.get_data(as_text=True)
    assert "@page" in html and "@media print" in html and "Missing from home overnight" in html
    with session_scope(engine) as s:
        events = s.execute(select(AuditEvent.action, AuditEvent.pseudonym, AuditEvent.username)
                           .where(AuditEvent.action.like("chronology.%")).order_by(AuditEvent.seq)).all()
    # each read: the young person, then the other child its links name (YP-0003, an associate)
    assert [tuple(e) for e in events] == [("chronology.view", "YP-0001", "ana"),
                                          ("chronology.view.linked", "YP-0003", "ana"),
                                          ("chronology.export", "YP-0001", "ana"),
                                          ("chronology.export.linked", "YP-0003", "ana")]
    assert ana.get("/analyst/oversight/people/999999/chronology").status_code == 404


def test_analyst_adds_an_entry(signed_in, seeded, info):
    engine, _ = seeded
    ana = signed_in("ana")
    pid = info.people["YP-0001"]
    ana.get(f"/analyst/oversight/people/{pid}/chronology")
    resp = ana.post(f"/analyst/oversight/people/{pid}/chronology", {
        "occurred_at": "2026-11-18", "kind": "missing_episode", "summary": "Grandmother reported him missing",
        "source": "Grandmother", "source_type": "parent_carer", "evidence_grade": "B", "inside_family": "on"})
    assert resp.status_code == 302
    html = ana.get(f"/analyst/oversight/people/{pid}/chronology").get_data(as_text=True)
    assert "The entry was added" in html and "Grandmother reported him missing" in html
    row = next(r for r in _rows(html) if "Grandmother" in r["cells"][3]["text"])
    assert row["attrs"]["data-family"] == "inside" and row["cells"][1]["text"] == "missing episode"
    bad = ana.post(f"/analyst/oversight/people/{pid}/chronology", {"occurred_at": "2030-01-01", "kind": "concern",
                                                                  "summary": "", "source": "", "source_type": "x",
                                                                  "evidence_grade": "B"})
    assert bad.status_code == 302
    html = ana.get(f"/analyst/oversight/people/{pid}/chronology").get_data(as_text=True)
    assert "the entry was not added" in html and "in the future" in html
    with session_scope(engine) as s:
        assert s.execute(select(func.count()).select_from(ChronologyEntry)).scalar_one() == 2
        assert s.execute(select(func.count()).select_from(AuditEvent)
                         .where(AuditEvent.action == "chronology.add")).scalar_one() == 1


# --------------------------------------------------------------------------- evidence reviews


def _bands(html: str) -> dict[str, str]:
    """Candidate label -> band from the placement result table."""
    return {label: band for band, label in re.findall(r'<tr data-band="([^"]+)">\s*<td>\d+</td><td>([^<]+)</td>', html)}


def test_expiring_a_link_lists_it_records_who_and_why_and_changes_the_band(signed_in, seeded, info):
    engine, _ = seeded
    with session_scope(engine) as s:  # the group conflict is due for review
        s.execute(update(Link).where(Link.link_id == "L2").values(review_by=NOW - dt.timedelta(days=3)))
    ana = signed_in("ana")
    pid = info.people["YP-0001"]
    before = _bands(ana.post(f"/analyst/people/{pid}/placement", {"postcodes": "ZZ1 1AB", "points": ""})
                    .get_data(as_text=True))
    assert before == {"ZZ1 1AB": "Very high"}
    html = ana.get("/analyst/oversight/reviews").get_data(as_text=True)
    assert 'data-target="link-L2"' in html and "3 days overdue" in html
    resp = ana.post("/analyst/oversight/reviews/link/L2", {"action": "expire",
                                                          "reason": "the two groups made peace at mediation"})
    assert resp.status_code == 302
    html = ana.get("/analyst/oversight/reviews").get_data(as_text=True)
    assert "Link L2 expired" in html
    assert re.search(r'<tr class="state-expired" data-target="link-L2">', html)
    assert "the two groups made peace at mediation" in html and ">ana<" in html
    after = _bands(ana.post(f"/analyst/people/{pid}/placement", {"postcodes": "ZZ1 1AB", "points": ""})
                   .get_data(as_text=True))
    assert after["ZZ1 1AB"] in ("Low", "Medium")
    with session_scope(engine) as s:
        review = s.execute(select(EvidenceReview)).scalar_one()
        assert (review.action, review.target_id, review.user_id, review.old_grade) == (
            "expire", "L2", info.users["ana"], "B")


def test_confirm_and_downgrade_from_the_dashboard(signed_in, seeded, info):
    engine, _ = seeded
    with session_scope(engine) as s:
        s.execute(update(Link).where(Link.link_id.in_(["L4", "L5"])).values(review_by=NOW - dt.timedelta(days=1)))
    ana = signed_in("ana")
    ana.get("/analyst/oversight/reviews")
    ana.post("/analyst/oversight/reviews/link/L5", {"action": "downgrade", "new_grade": "D",
                                                     "reason": "one report only"})
    ana.post("/analyst/oversight/reviews/link/L4", {"action": "confirm", "last_seen": "2026-11-18",
                                                     "review_by": "2027-02-18", "reason": "seen by the school"})
    html = ana.get("/analyst/oversight/reviews").get_data(as_text=True)
    assert "Link L4 confirmed" in html
    bad = ana.post("/analyst/oversight/reviews/link/L5", {"action": "downgrade", "new_grade": "A", "reason": "oops"})
    assert bad.status_code == 302
    assert "is not lower" in ana.get("/analyst/oversight/reviews").get_data(as_text=True)
    assert ana.post("/analyst/oversight/reviews/person/L5", {"action": "expire", "reason": "x y z"}).status_code == 404
    assert ana.post("/analyst/oversight/reviews/link/NOPE", {"action": "expire", "reason": "x y z"}).status_code == 404
    with session_scope(engine) as s:
        rows = {r.link_id: r for r in s.execute(select(Link).where(Link.link_id.in_(["L4", "L5"]))).scalars()}
        assert rows["L5"].evidence_grade == "D"
        assert rows["L4"].review_by == dt.datetime(2027, 2, 18)
        actions = [(r.action, r.target_id) for r in s.execute(select(EvidenceReview).order_by(EvidenceReview.id))
                   .scalars()]
    assert actions == [("downgrade", "L5"), ("confirm", "L4")]


# --------------------------------------------------------------------------- disproportionality, quality


def test_disproportionality_page_after_a_population_upload(signed_in, seeded):
    engine, _ = seeded
    with session_scope(engine) as s:
        for p in s.execute(select(Person)).scalars():
            p.ethnicity, p.sex, p.home_area_code = "Black" if p.pseudonym == "YP-0001" else "White", "Male", "Z01000000"
    ana = signed_in("ana")
    html = ana.get("/analyst/oversight/fairness").get_data(as_text=True)
    assert "No population denominators for ethnicity yet" in html
    data = {"population": (io.BytesIO(b"area_code,dimension,group,count\nZ01000000,ethnicity,Black,10\n"
                                      b"Z01000000,ethnicity,White,90\n"), "pop.csv")}
    resp = ana.client.post("/analyst/oversight/fairness/population", data={**data, "csrf_token": ana.token},
                           content_type="multipart/form-data")
    assert resp.status_code == 302
    html = ana.get("/analyst/oversight/fairness?dimension=ethnicity").get_data(as_text=True)
    assert "Stored 2 population counts for 1 area(s)." in html
    assert "Reference group: <strong>White</strong>" in html
    assert 'data-group="Black"' in html and "Flagged with a cce or cse concern" in html
    bad = ana.client.post("/analyst/oversight/fairness/population", content_type="multipart/form-data",
                          data={"csrf_token": ana.token, "population": (io.BytesIO(b"nope\n"), "x.csv")})
    assert bad.status_code == 302
    assert "header must be exactly" in ana.get("/analyst/oversight/fairness").get_data(as_text=True)


def test_quality_page_and_csv(signed_in, seeded):
    engine, _ = seeded
    with session_scope(engine) as s:
        s.execute(update(Link).where(Link.link_id == "L3").values(evidence_grade=None))
    ana = signed_in("ana")
    html = ana.get("/analyst/oversight/quality").get_data(as_text=True)
    assert "snap point (on or near)" in html and "link L3" in html
    resp = ana.get("/analyst/oversight/quality.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert any(r["section"] == "ungraded" and r["file_name"] == "L3" for r in rows)
    assert sum(int(r["count"]) for r in rows if r["section"] == "coverage") == 400
