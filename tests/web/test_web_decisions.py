"""Decision records a case file can hold (issue 16): the decision, its reasons, the case reference, the
officer, the date, the data currency and the marking; an officer's list of them; a print view, a one-page
A4 PDF and a CSV; and a form that says what is wrong beside each field and keeps what was typed."""

from __future__ import annotations

import csv
import io
import re
import zlib

import pytest
from sqlalchemy import text

from web_seed import PLACEMENT_DECISION, ROUTE_DECISION

PLACEMENT = {"postcodes": "ZZ1 1AA\nZZ1 1AB", "points": ""}
ROUTE = {"home_postcode": "ZZ1 1AA", "school_urn": "100001"}


def _count(engine, sql: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar()


def _actions(engine) -> list[tuple[str, str | None]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT action, pseudonym FROM audit_event ORDER BY seq"))]


def _inflated(pdf: bytes) -> list[bytes]:
    """The PDF file and each of its compressed streams, inflated."""
    parts = [pdf]
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.DOTALL):
        try:
            parts.append(zlib.decompress(m.group(1)))
        except zlib.error:
            continue
    return parts


def pdf_pages(pdf: bytes) -> int:
    """Pages in a PDF: its page objects, in the file or in its compressed object streams."""
    return sum(len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", part)) for part in _inflated(pdf))


def _save(b, info, kind="placement", **fields):
    if kind == "placement":
        return b.post(f"/housing/referrals/{info.referrals['hana']}/decisions",
                      {**PLACEMENT, **PLACEMENT_DECISION, **fields})
    return b.post(f"/transport/referrals/{info.referrals['tariq']}/decisions", {**ROUTE, **ROUTE_DECISION, **fields})


def test_a_decision_with_fields_missing_comes_back_with_an_error_summary_and_keeps_what_was_typed(signed_in, info,
                                                                                                  seeded):
    hana = signed_in("hana")
    resp = hana.post(f"/housing/referrals/{info.referrals['hana']}/decisions",
                     {**PLACEMENT, "rationale": "Typed before the error <kept>", "case_reference": "",
                      "marking": "OFFICIAL"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "<title>Error: " in page and "There is a problem" in page
    summary = page[page.index("error-summary"):page.index("</div>", page.index("error-summary"))]
    assert re.findall(r'href="#(\w+)"', summary) == ["option", "case_reference"]
    assert 'id="option-error"' in page and 'id="case_reference-error"' in page and 'id="rationale-error"' not in page
    assert "Typed before the error &lt;kept&gt;</textarea>" in page
    assert re.search(r'value="OFFICIAL" id="marking-2" checked', page)
    assert 'name="postcodes" value="ZZ1 1AA\nZZ1 1AB"' in page  # the check itself is kept for the next try
    assert _count(seeded[0], "SELECT count(*) FROM assessment") == 0


def test_the_form_offers_each_checked_address_and_none_with_nothing_chosen(signed_in, info):
    hana = signed_in("hana")
    page = hana.post(f"/housing/referrals/{info.referrals['hana']}/check", PLACEMENT).get_data(as_text=True)
    form = page[page.index('id="decision-form"'):page.index("</form>", page.index('id="decision-form"'))]
    values = re.findall(r'name="option" value="([^"]+)"', form)
    assert sorted(values[:-1]) == ["ZZ1 1AA", "ZZ1 1AB"] and values[-1] == "none"  # safest first, then none
    assert not re.search(r'name="option"[^>]*checked', form)  # no option chosen for the officer
    assert re.search(r'value="OFFICIAL-SENSITIVE" id="marking" checked', form)  # the higher marking


def test_a_saved_record_shows_the_decision_and_is_in_the_officers_list(signed_in, info, seeded):
    hana = signed_in("hana")
    saved = _save(hana, info)
    assert saved.status_code == 303
    page = hana.get(saved.headers["Location"]).get_data(as_text=True)
    decision = page[page.index('id="decision"'):page.index("</dl>", page.index('id="decision"'))]
    for words in ("HOU/2026/0042", "None of these addresses", "None is near the young person&#39;s college.",
                  "hana (Housing officer)", "20 November 2026, 12:00 UTC", "OFFICIAL-SENSITIVE", "Incidents up to "):
        assert words in decision, words
    listing = hana.get("/housing/decisions").get_data(as_text=True)
    aid = saved.headers["Location"].rsplit("/", 1)[1]
    assert f'href="/housing/decisions/{aid}"' in listing and "HOU/2026/0042" in listing
    # another officer's list does not show it
    assert "HOU/2026/0042" not in signed_in("harry").get("/housing/decisions").get_data(as_text=True)
    assert ("placement.decision.list", "YP-0001") in _actions(seeded[0])


def test_the_list_is_paged(signed_in, info, monkeypatch):
    from web import records

    monkeypatch.setattr(records, "PER_PAGE", 2)
    hana = signed_in("hana")
    for ref in ("A-1", "A-2", "A-3"):
        assert _save(hana, info, case_reference=ref).status_code == 303
    first = hana.get("/housing/decisions").get_data(as_text=True)
    second = hana.get("/housing/decisions?page=2").get_data(as_text=True)
    assert "A-3" in first and "A-2" in first and "A-1" not in first and "Page 1 of 2 (3 records)" in first
    assert "A-1" in second and "A-3" not in second and 'rel="prev"' in second
    assert "Page 1 of 2" in hana.get("/housing/decisions?page=x9").get_data(as_text=True)


@pytest.mark.parametrize("kind", ["placement", "route"])
def test_the_print_view_carries_the_marking_who_printed_it_and_no_map(signed_in, info, seeded, kind):
    who, view = ("hana", "housing") if kind == "placement" else ("tariq", "transport")
    b = signed_in(who)
    saved = _save(b, info, kind, marking="OFFICIAL")
    aid = saved.headers["Location"].rsplit("/", 1)[1]
    page = b.get(f"/{view}/decisions/{aid}/print").get_data(as_text=True)
    assert page.count("<p>OFFICIAL</p>") == 2 and '@top-center { content: "OFFICIAL"' in page
    assert f"Printed by {who} on 20 November 2026 at 12:00 UTC" in page
    assert "Manager sign-off" in page and "leaflet" not in page.lower() and "folium" not in page
    assert _actions(seeded[0])[-1] == (f"{kind}.decision.print", "YP-0001")


@pytest.mark.parametrize("kind", ["placement", "route"])
def test_the_pdf_is_one_a4_page_and_its_reading_is_audited(signed_in, info, seeded, kind):
    who, view = ("hana", "housing") if kind == "placement" else ("tariq", "transport")
    b = signed_in(who)
    long_reasons = " ".join(["The officer weighed the young person's own account and the college timetable."] * 12)
    aid = _save(b, info, kind, rationale=long_reasons).headers["Location"].rsplit("/", 1)[1]
    resp = b.get(f"/{view}/decisions/{aid}/record.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    pdf = resp.get_data()
    assert pdf.startswith(b"%PDF-") and pdf_pages(pdf) == 1
    assert re.search(rb"/MediaBox\s*\[\s*0 0 595\.\d+ 841\.\d+", b"".join(_inflated(pdf)))  # A4 in points
    assert f'filename="decision-record-{aid}.pdf"' in resp.headers["Content-Disposition"]
    assert _actions(seeded[0])[-1][0] == f"{kind}.decision.pdf"


def test_the_csv_has_a_line_per_address_with_the_decision_and_runs_no_formula(signed_in, info, seeded):
    hana = signed_in("hana")
    aid = _save(hana, info, rationale="=HYPERLINK(\"http://x\")", option="ZZ1 1AB").headers["Location"]
    resp = hana.get(f"{aid}/record.csv")
    assert resp.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert sorted(r["address"] for r in rows) == ["ZZ1 1AA", "ZZ1 1AB"]
    assert {r["case_reference"] for r in rows} == {"HOU/2026/0042"} and {r["officer"] for r in rows} == {"hana"}
    assert {r["decision"] for r in rows} == {next(r["decision"] for r in rows)}
    assert rows[0]["decision"].startswith("ZZ1 1AB (ranked ")
    assert rows[0]["reasons"] == "'=HYPERLINK(\"http://x\")"
    assert "score" not in rows[0] and all(r["band"] for r in rows)
    assert _actions(seeded[0])[-1] == ("placement.decision.csv", "YP-0001")


def test_a_route_record_csv_has_a_line_per_walk(signed_in, info):
    tariq = signed_in("tariq")
    aid = _save(tariq, info, "route").headers["Location"]
    rows = list(csv.DictReader(io.StringIO(tariq.get(f"{aid}/record.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert rows and {r["decision"] for r in rows} == {"No assisted transport: the lowest-risk walk advised"}
    assert "Shortest walk" in {r["walk"] for r in rows} and all(r["recommendation"] for r in rows)


def test_someone_elses_record_is_not_found_in_every_format(signed_in, info):
    hana = signed_in("hana")
    aid = _save(hana, info).headers["Location"].rsplit("/", 1)[1]
    harry = signed_in("harry")
    for suffix in ("", "/print", "/record.pdf", "/record.csv"):
        assert harry.get(f"/housing/decisions/{aid}{suffix}").status_code == 404, suffix


def test_a_walks_passes_within_lines_are_grouped_by_what_they_pass_naming_each_street_once():
    from web.presentation import near_groups

    exploitation = "100 m of a place associated with the exploitation of young people"
    near = [{"street": "Owl Grove", "text": f"segment near Owl Grove passes within {exploitation}"},
            {"street": "Rush Avenue", "text": "segment near Rush Avenue passes within 200 m of an area in conflict"},
            {"street": "Rush Avenue", "text": f"segment near Rush Avenue passes within {exploitation}"},
            {"street": "Owl Grove", "text": f"segment near Owl Grove passes within {exploitation}"},
            {"text": "Crosses a main road without a crossing"}]
    assert near_groups(near) == [f"Passes within {exploitation}: Owl Grove, Rush Avenue",
                                 "Passes within 200 m of an area in conflict: Rush Avenue",
                                 "Crosses a main road without a crossing"]
    assert near_groups([]) == []
