"""Printing (issue 16): Chromium prints the school briefing on at most two A4 pages, and a decision
record's print view on one (a route) or two (seven addresses), each with who printed it and the
marking, and no map controls."""

from __future__ import annotations

import pytest

from tests.web.test_web_browser import ARTIFACTS, CHROMIUM, Watched, chromium, live_server  # noqa: F401
from tests.web.test_web_decisions import pdf_pages

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium (/usr/bin/chromium) is not installed"),
]


def _print(w: Watched, name: str) -> bytes:
    w.page.emulate_media(media="print")
    pdf = w.page.pdf(format="A4", print_background=True)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"{name}.pdf").write_bytes(pdf)
    return pdf


def test_the_school_briefing_prints_on_at_most_two_a4_pages(chromium, live_server):  # noqa: F811
    base, cast = live_server
    w = Watched(chromium, base)
    w.sign_in(cast, "school")
    w.page.wait_for_selector("#tension-level")
    pdf = _print(w, "school-briefing-print")
    assert 1 <= pdf_pages(pdf) <= 2, f"the briefing prints on {pdf_pages(pdf)} A4 pages"
    assert w.page.locator("#printed-by").is_visible()
    assert "Printed by " in w.page.inner_text("#printed-by")
    assert not w.page.locator(".leaflet-control-zoom").is_visible()
    assert not w.page.locator("header.top").is_visible()
    w.context.close()


@pytest.mark.parametrize("role", ["housing", "transport"])
def test_a_decision_record_print_view_fits_a4(chromium, live_server, role):  # noqa: F811
    base, cast = live_server
    w = Watched(chromium, base)
    w.sign_in(cast, role)
    w.page.click("table a.button")  # the first referred young person's check
    w.page.wait_for_load_state("load")
    w.page.click("#check-form button[type=submit]" if role == "housing" else "#route-form button[type=submit]")
    w.page.wait_for_load_state("load")
    w.page.check("#option")
    w.page.fill("#rationale", "Printed in the browser test. " * 10)
    w.page.fill("#case_reference", "PRINT/0001")
    w.page.click("#decision-form button[type=submit]")
    w.page.wait_for_load_state("load")
    w.page.click("#record-actions a[href$='/print']")
    w.page.wait_for_load_state("load")
    pdf = _print(w, f"{role}-decision-print")
    # a route record fits one page; the demo's placement record checks seven addresses, each with its
    # reasons, and may take a second
    assert pdf_pages(pdf) <= (1 if role == "transport" else 2)
    assert w.page.inner_text("#marking-top") == "OFFICIAL-SENSITIVE"
    assert not w.page.locator(".screen-only").is_visible()
    w.context.close()
