"""GOV.UK form patterns (issue 16): an error summary linked to each field, each message beside its field,
what was typed kept, and a "check your answers" step before a notice is published."""

from __future__ import annotations

import re

from sqlalchemy import text

NOTICE = {"title": "Disorder near the station", "what_happened": "Adults fought.",
          "what_to_do": "Remind pupils to travel in groups.", "contact": "Safeguarding hub",
          "valid_from": "2026-11-20T08:00", "valid_to": "2026-11-27T08:00", "school_urns": "100001"}


def _notices(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM notice")).scalar_one()


def _summary_links(page: str) -> list[str]:
    start = page.index("error-summary")
    return re.findall(r'href="#(\w+)"', page[start:page.index("</div>", start)])


def test_a_notice_with_fields_missing_names_each_one_and_keeps_what_was_typed(signed_in, seeded):
    ana = signed_in("ana")
    ana.get("/analyst/notices")
    resp = ana.post("/analyst/notices", {"title": "Kept <title>", "valid_from": "2026-11-20T08:00"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "<title>Error: " in page
    assert _summary_links(page) == ["what_happened", "what_to_do", "contact", "valid_to", "school_urns"]
    assert 'value="Kept &lt;title&gt;"' in page and 'value="2026-11-20T08:00"' in page
    assert 'id="valid_to-error"' in page and 'aria-describedby="valid_to-hint valid_to-error"' in page
    assert _notices(seeded[0]) == 0


def test_a_branding_word_or_an_end_before_the_start_is_shown_beside_its_field(signed_in, seeded):
    ana = signed_in("ana")
    ana.get("/analyst/notices")
    page = ana.post("/analyst/notices", {**NOTICE, "what_happened": "A gang fight.",
                                         "valid_to": "2026-11-19T08:00"}).get_data(as_text=True)
    assert _summary_links(page) == ["what_happened", "valid_to"]
    assert "write &#39;peer group&#39; instead" in page and "The notice must end after it starts" in page
    assert "A gang fight.</textarea>" in page  # kept, to be corrected


def test_a_notice_is_checked_then_published_and_can_be_changed_first(signed_in, seeded):
    ana = signed_in("ana")
    ana.get("/analyst/notices")
    check = ana.post("/analyst/notices", NOTICE)
    page = check.get_data(as_text=True)
    assert check.status_code == 200 and "Check the notice before you publish it" in page
    assert "Synthetown Academy (synthetic)" in page and "20 November 2026, 08:00 UTC" in page
    assert _notices(seeded[0]) == 0  # nothing published yet
    changed = ana.post("/analyst/notices", {**NOTICE, "step": "change"}).get_data(as_text=True)
    assert 'value="Disorder near the station"' in changed and re.search(r'value="100001" id="school_urns" checked',
                                                                        changed)
    assert ana.post("/analyst/notices", {**NOTICE, "step": "publish"}).status_code == 303
    assert _notices(seeded[0]) == 1


def test_no_school_is_chosen_for_the_analyst(signed_in):
    ana = signed_in("ana")
    page = ana.get("/analyst/notices").get_data(as_text=True)
    form = page[page.index('id="notice-form"'):]
    assert not re.search(r'name="school_urns"[^>]*checked', form)
    assert 'name="valid_to" id="valid_to" value=""' in form


def test_moments_are_written_for_people():
    import datetime as dt

    from web.presentation import when

    assert when("2026-12-06T19:04:00") == "6 December 2026, 19:04 UTC"
    assert when("2026-12-06") == "6 December 2026"
    assert when(dt.datetime(2026, 1, 2, 8, 5)) == "2 January 2026, 08:05 UTC"
    assert when("not a date") == "not a date"
