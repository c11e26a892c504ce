#!/usr/bin/env bash
# Render a report as self-contained HTML and screenshot it with headless Chromium.
#
#   scripts/screenshot_report.sh [--install] [REPORT] [OUT.png]
#   scripts/screenshot_report.sh [--install] --html FILE.html [OUT.png]     # screenshot an HTML file you have
#
#   REPORT     a report name (default: pipeline); extra `revops report` options go in REVOPS_REPORT_ARGS,
#              e.g. REVOPS_REPORT_ARGS="--as-of 2026-11-24"
#   OUT.png    where the screenshot goes (default: ./REPORT.png); the HTML is written next to it (OUT.html)
#   --install  apt-get install chromium when /usr/bin/chromium is missing (needs root); without it a
#              missing chromium is an error (exit 3)
#
# Uses the revops in .venv/ (or on PATH) and Debian's chromium: headless, no sandbox, no GPU, no network
# side traffic. The report is one HTML file with its charts embedded as data: URIs, so Chromium needs no
# network at all. Exit codes: 0 ok, 2 usage, 3 chromium missing, the report's own code, 9 no screenshot.
set -euo pipefail

install=0
given_html=""
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --install) install=1 ;;
    --html) shift; given_html="${1:?--html needs a file}" ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) args+=("$1") ;;
  esac
  shift
done
if [ -n "$given_html" ]; then
  [ -f "$given_html" ] || { echo "no such file: $given_html" >&2; exit 2; }
  report="$(basename "${given_html%.*}")"
  png="${args[0]:-${given_html%.*}.png}"
  html="$given_html"
else
  report="${args[0]:-pipeline}"
  png="${args[1]:-./${report}.png}"
  html="${png%.png}.html"
fi

here="$(cd "$(dirname "$0")/.." && pwd)"
revops="$here/.venv/bin/revops"
[ -x "$revops" ] || revops="$(command -v revops || true)"
[ -n "$revops" ] || [ -n "$given_html" ] || { echo "revops is not installed (make install)" >&2; exit 2; }

chromium="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$chromium" ]; then
  if [ "$install" = 1 ]; then
    echo "installing chromium (apt-get)..." >&2
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
    chromium="$(command -v chromium)"
  else
    echo "chromium is not installed; re-run with --install (apt-get install -y chromium)" >&2
    exit 3
  fi
fi

if [ -z "$given_html" ]; then
  # shellcheck disable=SC2086
  "$revops" report "$report" --format html --out "$html" --quiet ${REVOPS_REPORT_ARGS:-}
fi

rm -f "$png"
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
"$chromium" --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --no-first-run --hide-scrollbars --user-data-dir="$profile" \
  --screenshot="$png" --window-size=1200,2400 "file://$(cd "$(dirname "$html")" && pwd)/$(basename "$html")" \
  >/dev/null 2>&1 || true
if [ ! -s "$png" ]; then
  echo "chromium wrote no screenshot at $png" >&2
  exit 9
fi
echo "$png"
