#!/usr/bin/env bash
# Install the system packages geo-risk needs, where apt is available.
#   libsqlite3-mod-spatialite  SpatiaLite, the embedded database (required)
#   chromium                   headless browser for the web tests (tests only)
#   libpango-1.0-0, libpangoft2-1.0-0
#                              text layout for WeasyPrint, which draws decision records as PDF
# Elsewhere, print what to install by hand.
set -euo pipefail

need=()
ls /usr/lib/*/mod_spatialite.so /usr/lib/mod_spatialite.so /usr/local/lib/mod_spatialite.* \
   /opt/homebrew/lib/mod_spatialite.* >/dev/null 2>&1 || need+=(libsqlite3-mod-spatialite)
command -v chromium >/dev/null 2>&1 || test -x /usr/bin/chromium || need+=(chromium)
if command -v ldconfig >/dev/null 2>&1 || test -x /sbin/ldconfig; then
    libs=$(PATH="$PATH:/sbin" ldconfig -p 2>/dev/null || true)
    grep -q "libpango-1.0.so" <<<"$libs" || need+=(libpango-1.0-0)
    grep -q "libpangoft2-1.0.so" <<<"$libs" || need+=(libpangoft2-1.0-0)
fi

if [ ${#need[@]} -eq 0 ]; then
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
fi

if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ]; }; then
    echo "installing system packages: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
else
    echo "geo-risk needs these system packages, please install them by hand:" >&2
    for p in "${need[@]}"; do
        case "$p" in
            libsqlite3-mod-spatialite) echo "  SpatiaLite: Debian/Ubuntu libsqlite3-mod-spatialite; macOS 'brew install libspatialite'; then set SPATIALITE_LIBRARY_PATH if it is not found" >&2 ;;
            chromium) echo "  Chromium (browser tests only): Debian/Ubuntu 'chromium'; the browser tests skip without it" >&2 ;;
            libpango*) echo "  Pango (decision record PDFs): Debian/Ubuntu $p; macOS 'brew install pango'" >&2 ;;
        esac
    done
    case " ${need[*]} " in
        *libsqlite3-mod-spatialite*) exit 1 ;;
    esac
fi
