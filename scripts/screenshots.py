"""Take the README's screenshots from the demo city: a housing officer's placement result and a
transport officer's route result, in Chromium at 1280 x 860.

    python scripts/screenshots.py            # writes docs/images/placement-result.png, route-result.png

It builds the small synthetic city (``geo_risk.demo.prepare_demo``) in a temporary SpatiaLite file,
serves the app on 127.0.0.1 from a thread, signs in as each demo user and runs a check with the
referral's own inputs. Needs Chromium (``/usr/bin/chromium`` or ``GEO_RISK_CHROMIUM``) and Playwright.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SIZE = {"width": 1280, "height": 860}


def _serve(folder: Path):
    from werkzeug.serving import make_server

    from geo_risk.config import Settings
    from geo_risk.demo import prepare_demo
    from geo_risk.store.engine import create_store_engine
    from web import create_app
    from web.assets import install, missing_files

    if missing_files():
        install()
    engine = create_store_engine(f"sqlite:///{folder / 'city.sqlite'}")
    info = prepare_demo(engine, folder, size="small", seed=7, progress=lambda line: None)
    app = create_app({"SECRET_KEY": secrets.token_hex(32), "GEO_RISK_ENGINE": engine,
                      "GEO_RISK_SETTINGS": Settings(cookie_secure=False, audit_key=secrets.token_hex(32))})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    users = {role: (info.usernames[role], info.new_passwords[role]) for role in info.usernames}
    return server, f"http://127.0.0.1:{server.server_port}", users


def _shoot(browser, base: str, user: tuple[str, str], *, start: str, submit: str, out: Path) -> None:
    context = browser.new_context(viewport=SIZE)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", user[0])
    page.fill("input[name=password]", user[1])
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    page.click(start)
    page.wait_for_load_state("load")
    page.click(submit)
    page.wait_for_load_state("load")
    page.wait_for_selector(".folium-map[data-ready='1']")
    page.locator("#result-map").scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, -120)")
    page.wait_for_timeout(300)
    page.screenshot(path=str(out))
    context.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "images", help="folder for the PNG files")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    chromium = Path(os.environ.get("GEO_RISK_CHROMIUM", "/usr/bin/chromium"))
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        server, base, users = _serve(Path(tmp))
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(chromium), headless=True)
                _shoot(browser, base, users["housing"], start="text=Placement check >> nth=0",
                       submit="#check-form button[type=submit]", out=args.out / "placement-result.png")
                _shoot(browser, base, users["transport"], start="text=Route check >> nth=0",
                       submit="#route-form button[type=submit]", out=args.out / "route-result.png")
                browser.close()
        finally:
            server.shutdown()
    for name in ("placement-result.png", "route-result.png"):
        print(f"{args.out / name}: {(args.out / name).stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
