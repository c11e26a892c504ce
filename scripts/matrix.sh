#!/usr/bin/env bash
# The dependency floors and the Python versions, tested (CI runs this after the test suite; `make matrix`).
# For each Python of 3.11, 3.12 and 3.13 found on this machine: a fresh venv with the LOWEST allowed versions
# of the direct dependencies (uv's --resolution lowest-direct), and one with the latest allowed, both without
# extras; each runs scripts/smoke.sh. A Python that is not installed is reported as skipped, not failed.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export UV_PYTHON_DOWNLOADS=never UV_NO_PROGRESS=1

python3 -m venv "$WORK/uv" && "$WORK/uv/bin/pip" install --quiet uv
UV="$WORK/uv/bin/uv"

find_python() {      # python3.X on PATH, else pyenv's copy, else nothing
  local v=$1 p
  if p=$(command -v "python$v") && "$p" --version >/dev/null 2>&1; then echo "$p"; return; fi
  for p in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$v".*/bin/python"$v"; do [ -x "$p" ] && { echo "$p"; return; }; done
}

ran=0
for v in 3.11 3.12 3.13; do
  py=$(find_python "$v" || true)
  if [ -z "$py" ]; then echo "matrix: Python $v not installed here: skipped"; continue; fi
  for resolution in lowest-direct highest; do
    venv="$WORK/py$v-$resolution"
    "$UV" venv --quiet -p "$py" "$venv"
    "$UV" pip install --quiet -p "$venv/bin/python" --resolution "$resolution" . \
      || { echo "matrix: Python $v, $resolution: install failed"; exit 1; }
    echo "matrix: Python $v, $resolution: $("$UV" pip list -p "$venv/bin/python" 2>/dev/null \
      | grep -iE '^(typer|click|duckdb|rich|pyyaml|jinja2) ' | tr -s ' ' | tr '\n' ';')"
    bash scripts/smoke.sh "$venv"
    ran=$((ran + 1))
  done
done
[ "$ran" -gt 0 ] || { echo "matrix: no Python found"; exit 1; }
echo "matrix: $ran passed, 0 failed"
