"""Install the front-end libraries the maps need and copy them under ``web/static/vendor/``.

Leaflet and jQuery (which folium's pop-up code calls) come from the npm registry at
setup, pinned below, into a build folder; the files the pages load are copied to
``web/static/vendor/`` (git-ignored) and served by the app itself, so no page asks any
other host for anything. Run ``python -m web.assets`` (``make setup`` does).
"""

from __future__ import annotations

import argparse
import logging
import shutil
import subprocess
import sys
from pathlib import Path

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent
VENDOR_DIR = WEB_DIR / "static" / "vendor"
REPO_DIR = WEB_DIR.parent
BUILD_DIR = REPO_DIR / "build" / "web-assets"

# npm package -> version, and which of its files are served (source under node_modules/<pkg>/ -> vendor/)
PACKAGES: dict[str, str] = {"leaflet": "1.9.4", "jquery": "3.7.1"}
# Installed beside them for the browser tests only, never copied to vendor/ nor served by the app:
# axe-core, the accessibility checker the tests inject into each page.
TEST_PACKAGES: dict[str, str] = {"axe-core": "4.14.1"}
AXE_JS = BUILD_DIR / "node_modules" / "axe-core" / "axe.min.js"
FILES: dict[str, list[tuple[str, str]]] = {
    "leaflet": [
        ("dist/leaflet.js", "leaflet/leaflet.js"),
        ("dist/leaflet.css", "leaflet/leaflet.css"),
        ("dist/images/layers.png", "leaflet/images/layers.png"),
        ("dist/images/layers-2x.png", "leaflet/images/layers-2x.png"),
        ("dist/images/marker-icon.png", "leaflet/images/marker-icon.png"),
        ("dist/images/marker-icon-2x.png", "leaflet/images/marker-icon-2x.png"),
        ("dist/images/marker-shadow.png", "leaflet/images/marker-shadow.png"),
        ("LICENSE", "leaflet/LICENSE"),
    ],
    "jquery": [("dist/jquery.min.js", "jquery/jquery.min.js"), ("LICENSE.txt", "jquery/LICENSE.txt")],
}
# What the pages reference, relative to /static/.
LEAFLET_JS = "vendor/leaflet/leaflet.js"
LEAFLET_CSS = "vendor/leaflet/leaflet.css"
JQUERY_JS = "vendor/jquery/jquery.min.js"


def missing_files(vendor_dir: Path = VENDOR_DIR, build_dir: Path = BUILD_DIR) -> list[str]:
    """Vendor files the app serves, and test packages, that are not installed yet."""
    missing = [dest for files in FILES.values() for _, dest in files if not (vendor_dir / dest).is_file()]
    return missing + [pkg for pkg in TEST_PACKAGES if not (build_dir / "node_modules" / pkg / "package.json").is_file()]


def install(*, vendor_dir: Path = VENDOR_DIR, build_dir: Path = BUILD_DIR, force: bool = False) -> list[str]:
    """Install the pinned packages with npm (if needed) and copy their served files.

    Returns the vendor paths written. Raises ``RuntimeError`` naming the fix when npm
    is missing or fails.
    """
    if not force and not missing_files(vendor_dir, build_dir):
        return []
    npm = shutil.which("npm")
    node_modules = build_dir / "node_modules"
    need_npm = force or any(
        not (node_modules / pkg / src).is_file() for pkg, files in FILES.items() for src, _ in files
    ) or any(not (node_modules / pkg / "package.json").is_file() for pkg in TEST_PACKAGES)
    if need_npm:
        if npm is None:
            msg = "npm is not installed: install Node.js and npm (Debian: `apt-get install npm`), then rerun"
            raise RuntimeError(msg)
        build_dir.mkdir(parents=True, exist_ok=True)
        specs = [f"{name}@{version}" for name, version in {**PACKAGES, **TEST_PACKAGES}.items()]
        cmd = [npm, "install", "--no-audit", "--no-fund", "--no-save", "--ignore-scripts", "--prefix",
               str(build_dir), *specs]
        log.info("installing %s", " ".join(specs))
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
        if proc.returncode != 0:
            msg = f"`npm install` failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}"
            raise RuntimeError(msg)
    written = []
    for pkg, files in FILES.items():
        for src, dest in files:
            target = vendor_dir / dest
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(node_modules / pkg / src, target)
            written.append(dest)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="reinstall even if the files are present")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        written = install(force=args.force)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"web assets: {len(written)} file(s) installed" if written else "web assets: up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
