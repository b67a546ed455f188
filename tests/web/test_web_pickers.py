"""Pickers search as you type (issue 16): the young people list, the notice's schools and the route check's
school narrow without a page load, and say how many are shown."""

from __future__ import annotations

import pytest

from tests.web.test_web_browser import CHROMIUM, Watched, chromium, live_server  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium (/usr/bin/chromium) is not installed"),
]


def test_the_young_people_list_narrows_as_you_type(chromium, live_server):  # noqa: F811
    base, cast = live_server
    w = Watched(chromium, base)
    w.sign_in(cast, "analyst")
    w.page.goto(f"{base}/analyst/people")
    rows = w.page.locator("#people tbody tr")
    total = rows.count()
    first = w.page.inner_text("#people tbody tr:first-child td:first-child")
    loads: list[str] = []
    w.page.on("load", lambda page: loads.append(page.url))
    w.page.fill("#people-filter", first.lower())
    visible = [r for r in rows.all() if r.is_visible()]
    assert 1 <= len(visible) < total and all(first in r.inner_text() for r in visible)
    assert w.page.inner_text("#people-filter-status") == f"{len(visible)} of {total} shown"
    w.page.fill("#people-filter", "")
    assert sum(r.is_visible() for r in rows.all()) == total and not loads
    w.context.close()


def test_the_notice_schools_narrow_as_you_type(chromium, live_server):  # noqa: F811
    base, cast = live_server
    w = Watched(chromium, base)
    w.sign_in(cast, "analyst")
    w.page.goto(f"{base}/analyst/notices")
    labels = w.page.locator("#school-list label").all_inner_texts()
    word = labels[0].split()[0]
    w.page.fill("#school-filter", word)
    shown = [t for t, v in zip(labels, [el.is_visible() for el in w.page.locator("#school-list .radio").all()],
                               strict=True) if v]
    assert shown and all(word.lower() in t.lower() for t in shown)
    w.context.close()


def test_the_transport_school_picker_narrows_as_you_type(chromium, live_server):  # noqa: F811
    base, cast = live_server
    w = Watched(chromium, base)
    w.sign_in(cast, "transport")
    w.page.click("text=Route check >> nth=0")
    w.page.wait_for_selector("#school-filter")  # shown once the page's script has wired it
    options = w.page.locator("#school_urn option[data-filter-item]")
    names = options.evaluate_all("els => els.map(e => e.textContent.trim())")
    assert len(names) >= 2
    total = len(names)
    target = names[-1]
    loads: list[str] = []
    w.page.on("load", lambda page: loads.append(page.url))
    w.page.fill("#school-filter", target.upper())
    hidden = options.evaluate_all("els => els.map(e => e.hidden)")
    shown = [n for n, h in zip(names, hidden, strict=True) if not h]
    assert target in shown and len(shown) < total
    assert all(target.lower() in n.lower() for n in shown)
    assert w.page.inner_text("#school-filter-status") == f"{len(shown)} of {total} shown"
    if len(shown) == 1:  # one school left: the drop-down takes it
        chosen = w.page.eval_on_selector("#school_urn", "s => s.options[s.selectedIndex].text")
        assert chosen == target
    w.page.fill("#school-filter", "")
    assert not any(options.evaluate_all("els => els.map(e => e.hidden)")) and not loads
    w.context.close()
