#!/usr/bin/env bash
# Install what reportgen needs on a Debian machine, then the package itself into .venv.
#
#   ./setup.sh                 system packages (when missing) + .venv with reportgen and its test tools
#   VENV=/path ./setup.sh      the same, into another virtual environment
#
# System packages: WeasyPrint needs Pango; libharfbuzz-subset0 makes its PDF step
# about 1.5x faster; poppler-utils turns PDFs into PNG pages; chromium and
# chromium-driver run the browser tests; postgresql runs the PostgreSQL tests.
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
          poppler-utils chromium chromium-driver postgresql openssl)
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "setup: installing ${missing[*]}" >&2
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then
        echo "setup: installing ${missing[*]} with sudo" >&2
        sudo apt-get update -qq >/dev/null
        sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "setup: please install these system packages, then run ./setup.sh again: ${missing[*]}" >&2
        exit 1
    fi
fi

if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
"$VENV/bin/python" -m pip install -q -e ".[test]" 2>&1 | grep -v "^WARNING: Location" || true
"$VENV/bin/python" -c "import reportgen, weasyprint, vl_convert" \
    || { echo "setup: the Python packages did not install; see the pip output above" >&2; exit 1; }
