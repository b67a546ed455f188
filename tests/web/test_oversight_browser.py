"""Analyst oversight in Debian's Chromium (issue 8): open a chronology, filter it, expire a link, and
see the placement band of an affected candidate change.

Reuses the browser fixtures of ``test_web_browser.py`` (Chromium at /usr/bin/chromium, a page
that records every request and console error); the city is the small hand-made one of
``web_seed`` so the link and the candidate are known: young person YP-0001 is in peer group 1,
in conflict (link L2) with peer group 2, which spends time next to postcode ZZ1 1AB.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import sys
import threading
from pathlib import Path

import pytest


def _browser_helpers():
    name = "geo_risk_web_browser_helpers"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("test_web_browser.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


_helpers = _browser_helpers()
chromium = _helpers.chromium  # the web engineer's fixture: Debian's Chromium, headless
Watched, Cast, CHROMIUM = _helpers.Watched, _helpers.Cast, _helpers.CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium (/usr/bin/chromium) is not installed"),
]


@pytest.fixture(scope="module")
def seeded_server(tmp_path_factory):
    """The app on the hand-made city, with link L2 due for review and a parent's concern recorded."""
    from argon2 import PasswordHasher
    from sqlalchemy import update
    from werkzeug.serving import make_server

    import web_seed
    from geo_risk import accounts
    from geo_risk.config import Settings
    from geo_risk.store.engine import create_store_engine, session_scope
    from geo_risk.store.migrate import upgrade
    from geo_risk.store.models import ChronologyEntry, Link
    from web import create_app

    engine = create_store_engine(f"sqlite:///{tmp_path_factory.mktemp('oversight') / 'city.sqlite'}")
    upgrade(engine)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(accounts, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        info = web_seed.seed(engine)
    with session_scope(engine) as s:
        s.execute(update(Link).where(Link.link_id == "L2").values(review_by=web_seed.NOW - dt.timedelta(days=5)))
        s.add(ChronologyEntry(child_pseudonym="YP-0001", occurred_at=web_seed.NOW - dt.timedelta(days=4),
                              kind="concern", summary="Mother found cash and a second phone in his room",
                              evidence_grade="B", source="Mother", source_type="parent_carer"))
    app = create_app({"SECRET_KEY": "browser-test-secret-0123456789abcdef", "GEO_RISK_ENGINE": engine,
                      "GEO_RISK_SETTINGS": Settings(cookie_secure=False, audit_key=os.environ["GEO_RISK_AUDIT_KEY"]), "GEO_RISK_CLOCK": lambda: web_seed.NOW})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", Cast(users={"analyst": ("ana", web_seed.PASSWORD)},
                                                               demo=False), info
    finally:
        server.shutdown()
        thread.join(timeout=10)
        engine.dispose()


def _shot(w, name: str) -> None:
    _helpers.ARTIFACTS.mkdir(exist_ok=True)
    w.page.screenshot(path=str(_helpers.ARTIFACTS / f"{name}.png"), full_page=True)


def _placement_band(w, postcode: str) -> str:
    w.page.fill("textarea[name=postcodes]", postcode)
    w.page.click("form[action$='/placement'] button[type=submit]")
    w.page.wait_for_selector("#candidates tbody tr")
    bands = w.page.locator("#candidates tbody tr").evaluate_all("rows => rows.map(r => r.dataset.band)")
    assert len(bands) == 1
    return bands[0]


def test_analyst_filters_a_chronology_expires_a_link_and_the_band_changes(chromium, seeded_server):
    base, cast, _info = seeded_server
    w = Watched(chromium, base)
    w.sign_in(cast, "analyst")

    # open the young person and their full chronology
    w.page.click("nav >> text=Young people")
    w.page.click("#people tbody tr:has-text('YP-0001') >> text=Network view")
    w.page.wait_for_selector("#network svg")
    person_url = w.page.url
    w.page.click("text=Full chronology from every source")
    w.page.wait_for_selector("#chronology tbody tr.chron-item")
    types = set(w.page.locator("#chronology tbody tr.chron-item").evaluate_all(
        "rows => rows.map(r => r.dataset.sourceType)"))
    assert {"police", "social_care", "parent_carer", "geo_risk"} <= types
    _shot(w, "analyst-oversight-chronology")

    # filter: parent and carer information only
    w.page.check("#filters input[name=source_type][value=parent_carer]")
    w.page.click("#filters button[type=submit]")
    w.page.wait_for_load_state("load")
    rows = w.page.locator("#chronology tbody tr.chron-item")
    assert set(rows.evaluate_all("rows => rows.map(r => r.dataset.sourceType)")) == {"parent_carer"}
    assert "Mother found cash" in rows.first.inner_text() and "Parent or carer" in rows.first.inner_text()
    # ... then risks inside the family only
    w.page.uncheck("#filters input[name=source_type][value=parent_carer]")
    w.page.check("#filters input[name=family][value=inside]")
    w.page.click("#filters button[type=submit]")
    w.page.wait_for_load_state("load")
    assert set(w.page.locator("#chronology tbody tr.chron-item").evaluate_all(
        "rows => rows.map(r => r.dataset.family)")) == {"inside"}

    # the placement band of a candidate next to the rival group's hangout
    w.page.goto(person_url)
    before = _placement_band(w, "ZZ1 1AB")
    assert before in ("High", "Very high")

    # expire the group conflict from the evidence-review dashboard
    w.page.click("nav >> text=Evidence reviews")
    row = w.page.locator("#queue tr[data-target='link-L2']")
    assert "due" in row.locator("td.state").inner_text()
    row.locator("summary").click()
    expire = row.locator("form.expire")
    expire.locator("input[name=reason]").fill("the two groups made peace at mediation")
    expire.locator("button[type=submit]").click()
    w.page.wait_for_load_state("load")
    assert "Link L2 expired" in w.page.inner_text("main")
    assert "expired" in w.page.locator("#queue tr[data-target='link-L2'] td.state").inner_text()
    assert "the two groups made peace at mediation" in w.page.inner_text("#history")
    _shot(w, "analyst-oversight-reviews")

    # the same candidate, checked again: the band has come down
    w.page.goto(person_url)
    after = _placement_band(w, "ZZ1 1AB")
    assert after in ("Low", "Medium") and after != before
    w.finish("analyst-oversight-expire-link")
