#!/usr/bin/env bash
# A smoke test of an installed revops (no extras needed): scripts/smoke.sh /path/to/venv
# Runs the newcomer's path on a fresh home and checks what a broken dependency floor breaks: argument help,
# a deal answer, a pattern, a guarded query as JSON, an offline replay, and the missing-extra message (exit 3).
set -euo pipefail
VENV=$1
REVOPS="$VENV/bin/revops"
export REVOPS_HOME="$(mktemp -d)" REVOPS_AS_OF=2026-11-24 NO_COLOR=1
trap 'rm -rf "$REVOPS_HOME"' EXIT
fail() { echo "smoke ($VENV): $*" >&2; exit 1; }

"$REVOPS" --version | grep -q '^revops ' || fail "--version"
"$REVOPS" ask -h | grep -q 'The question, in plain words' || fail "revops ask -h shows no argument help"
"$REVOPS" data run -h | grep -q 'Examples:' || fail "revops data run -h shows no example"
"$REVOPS" demo init --scale 0.2 >/dev/null 2>&1 || fail "demo init"
"$REVOPS" deal IXIS | grep -q 'IXIS' || fail "deal IXIS"
"$REVOPS" data run win_rate -p start_date=2026-01-01 -p end_date=2026-11-24 -f json >/dev/null || fail "data run"
"$REVOPS" --offline data run win_rate -p start_date=2026-01-01 -p end_date=2026-11-24 -f json >/dev/null \
  || fail "offline replay"
"$REVOPS" data sql "SELECT segment, count(*) AS n FROM accounts GROUP BY 1" -f json \
  | "$VENV/bin/python" -c 'import json, sys; assert json.load(sys.stdin)["row_count"] > 0' || fail "data sql -f json"
"$REVOPS" report leads -f json >/dev/null || fail "report leads"
set +e
"$REVOPS" data sql "DELETE FROM accounts" >/dev/null 2>&1; [ $? -eq 4 ] || fail "a refused query should exit 4"
"$REVOPS" deal IXIS -f xml >/dev/null 2>&1; [ $? -eq 2 ] || fail "an unknown --format should exit 2"
if ! "$VENV/bin/python" -c 'import uvicorn' 2>/dev/null; then        # installed without the serve extra
  out=$("$REVOPS" serve-webhook 2>&1); code=$?
  [ $code -eq 3 ] && grep -q "pip install 'revops-cli\[serve\]'" <<<"$out" || fail "serve-webhook without the extra: $code $out"
fi
if ! "$VENV/bin/python" -c 'import matplotlib' 2>/dev/null; then
  out=$("$REVOPS" report pipeline -f html 2>&1); code=$?
  [ $code -eq 3 ] && grep -q "pip install 'revops-cli\[report\]'" <<<"$out" || fail "report -f html without the extra: $code $out"
fi
echo "smoke ok: $("$REVOPS" --version), $("$VENV/bin/python" --version)"
