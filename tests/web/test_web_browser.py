"""End to end in Debian's Chromium (headless, driven by Playwright): each role signs in and uses its pages.

Every test checks that the page asked no host but the app's own for anything and logged
no console error, and saves a screenshot under ``test-artifacts/``. Never runs
``playwright install``: it drives ``/usr/bin/chromium``.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium (/usr/bin/chromium) is not installed"),
]


@dataclass
class Cast:
    """Who signs in as each role, with which password, on the served city."""

    users: dict[str, tuple[str, str]]  # role -> (username, password)
    demo: bool


def _prepare_city(engine, data_dir: Path) -> Cast:
    """The demo's synthetic city when ``geo_risk.demo`` is there; else the small hand-made one."""
    try:
        from geo_risk.demo import prepare_demo
    except ImportError:
        prepare_demo = None
    if prepare_demo is not None:
        info = prepare_demo(engine, data_dir, size="small", seed=7)
        return Cast(users={role: (info.usernames[role], info.new_passwords[role]) for role in info.usernames},
                    demo=True)
    from argon2 import PasswordHasher

    import web_seed
    from geo_risk import accounts
    from geo_risk.store.migrate import upgrade

    upgrade(engine)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(accounts, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        web_seed.seed(engine)
    by_role = {role: name for name, (role, _u) in reversed(list(web_seed.USERS.items()))}
    return Cast(users={role: (name, web_seed.PASSWORD) for role, name in by_role.items()}, demo=False)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The app on a demo-like SpatiaLite city, served from a thread on 127.0.0.1."""
    from werkzeug.serving import make_server

    from web.assets import install, missing_files

    if missing_files():  # `make setup` installs them; a bare pytest run may not have
        install()

    from geo_risk.config import Settings
    from geo_risk.store.engine import create_store_engine
    from web import create_app

    folder = tmp_path_factory.mktemp("browser")
    engine = create_store_engine(f"sqlite:///{folder / 'city.sqlite'}")
    cast = _prepare_city(engine, folder)
    config = {"SECRET_KEY": "browser-test-secret-0123456789abcdef", "GEO_RISK_ENGINE": engine,
              "GEO_RISK_SETTINGS": Settings(cookie_secure=False, audit_key=os.environ["GEO_RISK_AUDIT_KEY"])}
    if not cast.demo:
        import web_seed

        config["GEO_RISK_CLOCK"] = lambda: web_seed.NOW
    app = create_app(config)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", cast
    finally:
        server.shutdown()
        thread.join(timeout=10)
        engine.dispose()


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )
        try:
            yield browser
        finally:
            browser.close()


class Watched:
    """A page that records every request and every console error."""

    def __init__(self, browser, base: str) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.base = base
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def sign_in(self, cast: Cast, role: str) -> None:
        username, password = cast.users[role]
        self.page.goto(f"{self.base}/login")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_load_state("load")

    def wait_for_map(self) -> None:
        self.page.wait_for_selector(".folium-map[data-ready='1']", timeout=15000)
        self.page.wait_for_function("document.querySelectorAll('.leaflet-container canvas').length > 0",
                                    timeout=15000)

    def finish(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        foreign = [u for u in self.requests if not u.startswith("data:") and urlsplit(u).hostname not in LOCAL_HOSTS]
        self.context.close()
        assert self.requests, "the page made no request at all"
        assert not foreign, f"requests to other hosts: {foreign}"
        assert not self.errors, f"console errors: {self.errors}"


def test_housing_officer_runs_a_placement_check(chromium, live_server):
    base, cast = live_server
    w = Watched(chromium, base)
    w.sign_in(cast, "housing")
    w.page.click("text=Placement check >> nth=0")
    w.wait_for_map()
    given = [p for p in w.page.input_value("#postcodes").splitlines() if p.strip()]
    assert given  # the referral's candidate postcodes are filled in
    # candidates are postcodes only: no points box, and a click on the map adds nothing (issue 14)
    assert w.page.locator("#points").count() == 0
    box = w.page.locator(".folium-map").bounding_box()
    w.page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    w.page.click("#check-form button[type=submit]")
    w.wait_for_map()
    bands = w.page.locator("#candidates tbody tr").evaluate_all("rows => rows.map(r => r.dataset.band)")
    assert len(bands) == len(given) and set(bands) <= {"Low", "Medium", "High", "Very high"}
    assert w.page.locator("text=Bands are advisory").count() >= 1
    # bands and ranks, never a score: not in the table, not on the map
    headers = w.page.locator("#candidates thead th").all_inner_texts()
    assert headers == ["Rank", "Address", "Band", "Why", "Confidence"]
    assert "score" not in w.page.inner_text("main").lower()
    props = w.page.evaluate("window.geoRiskLayers.candidates.toGeoJSON().features.map(f => f.properties)")
    assert len(props) == len(bands)
    for p in props:
        assert not {"score", "value", "raw", "contribution"} & set(p)
        assert all(set(f) == {"name", "label"} for f in p["factors"])
        assert p["_tip"] == f"{p['rank']}. {p['label']}: {p['band']} (advisory)"
    w.finish("housing-placement-check")


def test_transport_officer_sees_both_routes(chromium, live_server):
    base, cast = live_server
    w = Watched(chromium, base)
    w.sign_in(cast, "transport")
    w.page.click("text=Route check >> nth=0")
    w.wait_for_map()
    w.page.click("#route-form button[type=submit]")
    w.wait_for_map()
    roles = w.page.locator("#routes tbody tr").evaluate_all("rows => rows.map(r => r.dataset.role)")
    assert roles[0] == "shortest" and "lowest_risk" in roles
    assert "Recommendation" in w.page.inner_text("#recommendation")
    # each walk and each street segment is banded; no score or risk number on the page or the map
    assert w.page.locator("text=Bands are advisory").count() >= 1
    assert "score" not in w.page.inner_text("main").lower()
    segments = w.page.evaluate("window.geoRiskLayers.segments.toGeoJSON().features.map(f => f.properties)")
    assert segments
    for p in segments:
        assert set(p) == {"role", "band", "_tip", "_style"}
        assert p["band"] in {"Low", "Medium", "High", "Very high"} and p["_tip"].endswith(")")
    w.finish("transport-route-check")


def test_school_user_sees_the_briefing(chromium, live_server):
    base, cast = live_server
    w = Watched(chromium, base)
    w.sign_in(cast, "school")
    w.wait_for_map()
    assert w.page.inner_text("#tension-level") in {"Low", "Elevated", "High", "Critical"}
    assert w.page.locator("#trend svg").count() == 1
    w.finish("school-briefing")


def test_analyst_opens_the_network_view(chromium, live_server):
    base, cast = live_server
    w = Watched(chromium, base)
    w.sign_in(cast, "analyst")
    w.page.click("nav >> text=Young people")
    # The young person with the most links: the network view then has something to draw.
    w.page.click("#people tbody tr >> nth=0 >> text=Network view")
    w.wait_for_map()
    assert w.page.locator("#network svg circle").count() >= 1
    assert w.page.locator("#links").count() == 1
    w.page.click("nav >> text=Incident map")
    w.wait_for_map()
    w.finish("analyst-network-view")


@pytest.mark.parametrize("role, selector", [("admin", "#users"), ("privacy_officer", "#chain-status")])
def test_admin_and_privacy_officer_pages(chromium, live_server, role, selector):
    base, cast = live_server
    w = Watched(chromium, base)
    w.sign_in(cast, role)
    w.page.wait_for_selector(selector)
    w.finish(f"{role}-home")


# every cell's left and right edges against its column's header's, in every row of a table
COLUMNS_OFF = """(sel) => {
    const table = document.querySelector(sel);
    const heads = [...table.querySelectorAll('thead th')].map(th => th.getBoundingClientRect());
    const off = [];
    table.querySelectorAll('tbody tr').forEach((tr, i) => {
        [...tr.children].forEach((td, j) => {
            const r = td.getBoundingClientRect();
            if (Math.abs(r.left - heads[j].left) > 1 || Math.abs(r.right - heads[j].right) > 1
                    || getComputedStyle(td).display !== 'table-cell') {
                off.push(`row ${i + 1} column ${j + 1}`);
            }
        });
    });
    return off;
}"""


def test_the_users_table_lines_up_and_an_unknown_school_urn_keeps_what_was_typed(chromium, live_server):
    base, cast = live_server
    w = Watched(chromium, base)
    w.sign_in(cast, "admin")
    w.page.goto(f"{base}/admin/users")
    assert w.page.evaluate(COLUMNS_OFF, "#users") == []
    w.page.fill("#username", "new-head")
    w.page.select_option("#role", "school")
    w.page.fill("#password", "a-long-head-password-7")
    w.page.fill("#school_urns", "999999")
    w.page.click("#user-form button[type=submit]")
    w.page.wait_for_load_state("load")
    assert w.page.locator(".error-summary a[href='#school_urns']").count() == 1
    assert "999999" in w.page.inner_text("#school_urns-error")
    assert w.page.input_value("#school_urns") == "999999" and w.page.input_value("#username") == "new-head"
    assert w.page.input_value("#role") == "school" and w.page.input_value("#password") == ""
    assert w.page.evaluate(COLUMNS_OFF, "#users") == []
    # the form comes back with status 400, which the browser logs; nothing else may be
    w.errors = [e for e in w.errors if "status of 400" not in e]
    w.finish("admin-unknown-school-urn")
