#!/usr/bin/env bash
# Schemathesis against a real `kpot server` on 127.0.0.1: every check, on
# the OpenAPI document the server serves (/api/openapi.json).
#
#     bash bench/schemathesis.sh [EXTRA st run OPTIONS...]
#
# Installs schemathesis with pip when missing. Exit status is schemathesis's
# (0: no failure). The site goes to $TMPDIR/kpot-bench/schemathesis-site.
set -euo pipefail
cd "$(dirname "$0")/.."
work="${TMPDIR:-/tmp}/kpot-bench"
mkdir -p "$work"
command -v st >/dev/null || pip install --quiet schemathesis
cargo build --release --quiet --bin kpot
cp target/release/kpot "$work/kpot-schemathesis"
site="$work/schemathesis-site"
rm -rf "$site" && mkdir -p "$site"
cp -r content data search-index config.toml "$site/" && rm -rf "$site/search-index/index"
"$work/kpot-schemathesis" build --root "$site" --now 2026-11-22 >/dev/null 2>&1
port=$((20000 + RANDOM % 20000))
"$work/kpot-schemathesis" server --root "$site" --port "$port" 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
# From the work folder: schemathesis keeps its example database (.schemathesis/) there.
cd "$work"
st run "http://127.0.0.1:$port/api/openapi.json" --url "http://127.0.0.1:$port" \
  --checks all --max-examples 200 --seed 1 "$@"
