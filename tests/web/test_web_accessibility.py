"""Every page of every role in a real browser: axe-core finds no serious or critical violation, and
no page scrolls sideways on a 390 px wide phone (issue 16).

Pages are found by following the links each role sees, starting from its home page: one page per
route (``/analyst/people/YP-0001`` and ``/analyst/people/YP-0002`` are the same page), so a new page is
checked as soon as it is linked. axe-core comes from the npm registry at setup (``web/assets.py``,
test packages) and is injected by the test: the app never serves it. Screenshots of each role's home
page at both sizes go to ``test-artifacts/``.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest

from tests.web.test_web_browser import ARTIFACTS, CHROMIUM, Watched, chromium, live_server  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium (/usr/bin/chromium) is not installed"),
]

ROLES = ["housing", "transport", "school", "analyst", "admin", "privacy_officer"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}
MAX_PAGES = 40
# pages and states that only forms lead to: (a page the crawl found, the steps from it); a step is
# ("click", selector), ("check", selector), ("fill", selector, text) or ("goto", path)
_CHECK = {"housing": ("click", "#check-form button[type=submit]"),
          "transport": ("click", "#route-form button[type=submit]")}
_SAVE = ("click", "#decision-form button[type=submit]")
_DECIDE = [("check", "#option"), ("fill", "#rationale", "Reasons typed in the browser test."),
           ("fill", "#case_reference", "AXE/0001"), _SAVE]
SUBMIT = {
    role: [
        (f"/{role}/referrals/", [_CHECK[role]]),  # the result page with the decision form
        (f"/{role}/referrals/", [_CHECK[role], _SAVE]),  # the form's error summary and inline errors
        (f"/{role}/referrals/", [_CHECK[role], *_DECIDE]),  # the saved decision record
        (f"/{role}/referrals/", [_CHECK[role], *_DECIDE, ("click", "#record-actions a[href$='/print']")]),
        (f"/{role}/referrals/", [("goto", f"/{role}/decisions")]),  # the officer's list, now with records
    ]
    for role in ("housing", "transport")
}
_NOTICE = [("fill", "#title", "Disorder near the station"), ("fill", "#what_happened", "Adults fought."),
           ("fill", "#what_to_do", "Remind pupils to travel in groups."), ("fill", "#contact", "Safeguarding hub"),
           ("fill", "#valid_to", "2030-01-01T08:00"), ("check", "#school_urns"),
           ("click", "#notice-form button[type=submit]")]
SUBMIT["analyst"] = [
    ("/analyst/notices", [("click", "#notice-form button[type=submit]")]),  # the error summary
    ("/analyst/notices", _NOTICE),  # check your answers
]
SUBMIT["admin"] = [  # the add-user form's error summary and inline errors, what was typed kept
    ("/admin/users", [("fill", "#username", "new-head"), ("fill", "#school_urns", "999999"),
                      ("click", "#user-form button[type=submit]")]),
]
SUBMIT["privacy_officer"] = [  # a user's report with a date range, a name no one has, a range that is wrong
    ("/privacy/", [("fill", "#username", "DEMO-HOUSING"), ("fill", "#user-from", "2020-01-01"),
                   ("click", "#user-form button[type=submit]")]),
    ("/privacy/", [("fill", "#username", "no-such-person"), ("click", "#user-form button[type=submit]")]),
    ("/privacy/", [("fill", "#pseudonym", "YP-0001"), ("fill", "#person-from", "2030-01-02"),
                   ("fill", "#person-to", "2030-01-01"), ("click", "#person-form button[type=submit]")]),
]
# never followed: signing out, machine-readable answers, downloads
SKIP = re.compile(r"/logout|/api/|/static/|\.(csv|json|geojson|png|pdf)$|[?&](format|download)=")


# the outermost elements that stick out past the right edge of the window
WIDEST = """() => {
    const out = [];
    const clipped = (el) => {
        for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
            if (getComputedStyle(a).overflowX !== 'visible') { return true; }
        }
        return false;
    };
    for (const el of document.querySelectorAll('body *')) {
        if (clipped(el)) { continue; }
        const r = el.getBoundingClientRect();
        if (r.right > window.innerWidth + 1 && !(el.parentElement && el.parentElement.getBoundingClientRect().right
                > window.innerWidth + 1)) {
            out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                     (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '')
                     + ' ' + Math.round(r.right) + ' px');
        }
    }
    return out.slice(0, 4).join(', ');
}"""


def _axe_source() -> str:
    from web.assets import AXE_JS, install

    if not AXE_JS.is_file():  # `make setup` installs it; a bare pytest run may not have
        install()
    return AXE_JS.read_text(encoding="utf-8")


def _pattern(path: str) -> str:
    """One pattern per route: numbers and pseudonyms in the path stand for any value."""
    return re.sub(r"/(\d+|[A-Z]{2,3}-\d+)(?=/|$)", "/<id>", path)


def _crawl(w: Watched, start: str) -> list[str]:
    seen: dict[str, str] = {}
    queue = [start]
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        path = urlsplit(url).path
        if _pattern(path) in seen:
            continue
        response = w.page.goto(url)
        if response is None or response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue
        seen[_pattern(path)] = url
        hrefs = w.page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        for href in hrefs:
            target = urljoin(url, href)
            if urlsplit(target).netloc == urlsplit(start).netloc and not SKIP.search(target) and "#" not in href:
                queue.append(target.split("#")[0])
    return list(seen.values())


def _step(w: Watched, base: str, step: tuple[str, ...]) -> None:
    what, target, *text = step
    if what == "goto":
        w.page.goto(base + target)
    elif what == "fill":
        w.page.fill(target, text[0])
        return
    elif what == "check":
        w.page.check(target)
        return
    else:
        w.page.click(target)
    w.page.wait_for_load_state("load")


def _serious(w: Watched, axe: str) -> list[str]:
    w.page.add_script_tag(content=axe)
    found = w.page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
                .map(v => `${v.id} (${v.impact}): ${v.help} - ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join('; ')}`);
        }"""
    )
    return found


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_the_role_passes_axe_and_fits_a_phone(chromium, live_server, role):  # noqa: F811
    base, cast = live_server
    axe = _axe_source()
    w = Watched(chromium, base)
    w.context.close()
    # axe is injected as a script; the app's CSP (rightly) allows no such script, so this context bypasses it
    w.context = chromium.new_context(viewport=DESKTOP, bypass_csp=True)
    w.page = w.context.new_page()
    w.page.on("request", lambda r: w.requests.append(r.url))
    w.sign_in(cast, role)
    home = w.page.url
    ARTIFACTS.mkdir(exist_ok=True)
    w.page.screenshot(path=str(ARTIFACTS / f"{role}-home-desktop.png"), full_page=True)
    pages = _crawl(w, home)
    assert pages, f"no page found for {role}"
    problems: dict[str, list[str]] = {}
    visits = [(url, []) for url in pages]
    for part, steps in SUBMIT.get(role, []):
        case = next(u for u in pages if part in u)
        visits.append((case, steps))
    for url, steps in visits:
        for size in (DESKTOP, PHONE):
            w.page.set_viewport_size(size)
            w.page.goto(url)
            w.page.wait_for_load_state("load")
            for step in steps:
                _step(w, base, step)
            found = _serious(w, axe)
            wide = w.page.evaluate("document.documentElement.scrollWidth")
            if size is PHONE and wide > PHONE["width"]:
                culprits = w.page.evaluate(WIDEST)
                found.append(f"scrolls sideways at {PHONE['width']} px: the page is {wide} px wide ({culprits})")
            if found:
                where = f"{urlsplit(url).path}" + "".join(f" then {' '.join(step)}" for step in steps)
                problems[f"{where} at {size['width']} px"] = found
    w.page.set_viewport_size(PHONE)
    w.page.goto(home)
    w.page.screenshot(path=str(ARTIFACTS / f"{role}-home-phone.png"), full_page=True)
    w.context.close()
    foreign = [u for u in w.requests if not u.startswith("data:") and urlsplit(u).hostname not in {"127.0.0.1"}]
    assert not foreign, f"requests to other hosts: {foreign}"
    assert not problems, "\n".join(f"{where}:\n  " + "\n  ".join(items) for where, items in problems.items())


def test_one_palette_for_bands_in_the_stylesheet_and_the_maps():
    import re as _re
    from pathlib import Path

    from web.presentation import BAND_COLOURS, LEVEL_COLOURS

    css = (Path(__file__).resolve().parents[2] / "web" / "static" / "app.css").read_text(encoding="utf-8")
    declared = dict(_re.findall(r"--band-([a-z-]+):\s*(#[0-9a-f]{6})", css))
    assert {k.lower().replace(" ", "-"): v for k, v in BAND_COLOURS.items()} == declared
    assert list(LEVEL_COLOURS.values()) == list(BAND_COLOURS.values())
    # white text on every colour meets WCAG 2.2 AA (4.5:1)
    for colour in declared.values():
        assert _contrast(colour, "#ffffff") >= 4.5, colour


def _contrast(a: str, b: str) -> float:
    def luminance(hex_colour: str) -> float:
        r, g, b = (int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_the_month_slider_does_not_reload_the_page_on_a_keystroke(chromium, live_server):  # noqa: F811
    base, cast = live_server
    w = Watched(chromium, base)
    w.sign_in(cast, "analyst")
    w.page.goto(f"{base}/analyst/incidents")
    before = w.page.url
    loads: list[str] = []
    w.page.on("load", lambda page: loads.append(page.url))
    w.page.focus("#incident-filter input[type=range]")
    w.page.keyboard.press("ArrowLeft")
    w.page.keyboard.press("ArrowLeft")
    w.page.wait_for_timeout(500)
    assert not loads and w.page.url == before
    w.page.click("#incident-filter button[type=submit]")
    w.page.wait_for_load_state("load")
    assert "end=" in w.page.url
    w.context.close()


def test_a_keyboard_user_can_skip_to_the_content_and_sees_where_they_are(chromium, live_server):  # noqa: F811
    base, cast = live_server
    w = Watched(chromium, base)
    w.sign_in(cast, "analyst")
    w.page.goto(f"{base}/analyst/people")
    w.page.keyboard.press("Tab")
    assert w.page.evaluate("document.activeElement.textContent") == "Skip to main content"
    assert w.page.evaluate("getComputedStyle(document.activeElement).left") == "0px"  # visible when focused
    w.page.keyboard.press("Enter")
    assert w.page.evaluate("document.activeElement.id") == "main"
    current = w.page.locator("header nav a[aria-current=page]").all_inner_texts()
    assert current == ["Young people"]
    w.context.close()
