#!/usr/bin/env bash
# `kpot server` under load, on the bundled site: static files and search
# side by side (wrk: requests/s and p99), then slow and idle clients
# (bench/slowloris.py: connections the server holds, /healthz latency).
#
#     bash bench/server.sh
#     KPOT=/path/to/an/older/kpot bash bench/server.sh     (the same on it)
#
# Only 127.0.0.1; every run is bounded (wrk 10 s each, slow clients 20 s).
# Installs wrk with apt-get when missing. Writes nothing in the repository
# (the site goes to $TMPDIR/kpot-bench/server-site).
set -euo pipefail
cd "$(dirname "$0")/.."
work="${TMPDIR:-/tmp}/kpot-bench"
mkdir -p "$work"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
# KPOT=path/to/kpot benches another binary (an earlier build, to compare).
if [ -n "${KPOT:-}" ]; then
  cp "$KPOT" "$work/kpot-server-bench"
else
  cargo build --release --quiet --bin kpot
  cp target/release/kpot "$work/kpot-server-bench"
fi
kpot="$work/kpot-server-bench"

site="$work/server-site"
rm -rf "$site" && mkdir -p "$site"
cp -r content data search-index config.toml "$site/" && rm -rf "$site/search-index/index"
"$kpot" build --root "$site" --now 2026-11-22 >/dev/null 2>&1

pid=""
start() { # args for kpot server; sets port and pid
  port=$((20000 + RANDOM % 20000))
  "$kpot" server --root "$site" --port "$port" "$@" 2>>"$work/server-bench.log" &
  pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return; sleep 0.2; done
  echo "kpot server did not start (see $work/server-bench.log)" >&2; exit 2
}
stop() { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; }
trap stop EXIT

load() { # label path [wrk args...] -> one line: requests/s, p50, p99
  local label=$1 path=$2; shift 2
  wrk -t2 -c64 -d10s --latency "$@" "http://127.0.0.1:$port$path" >"$work/wrk.out"
  awk -v label="$label" '
    /Requests\/sec/ {rps=$2}
    /^ +50%/ {p50=$2}
    /^ +99%/ {p99=$2}
    /Non-2xx/ {bad=$NF}
    END {printf "  %-44s %10s req/s   p50 %-9s p99 %-9s%s\n", label, rps, p50, p99, (bad ? "  non-2xx " bad : "")}' "$work/wrk.out"
}

echo "wrk -t2 -c64 -d10s, keep-alive, bundled site ($(nproc) cores shared with the server):"
start
load "static /robots.txt" /robots.txt
load "static HTML /councils/kagoshima/" /councils/kagoshima/
load "static CSS /kpot.css" /kpot.css
load "search, one query (answered from memory)" "/api/search?q=%E4%BA%8B%E6%A5%AD%E5%86%8D%E7%94%9F"
load "search, 10 queries in turn (from memory)" / -s bench/queries.lua
stop
start --answers 0
load "search, 10 queries in turn (all computed)" / -s bench/queries.lua
stop

echo
echo "slow clients, kpot server with defaults under 'ulimit -n 1024' (soft and hard):"
port=$((20000 + RANDOM % 20000))
( ulimit -n 1024; exec "$kpot" server --root "$site" --port "$port" ) 2>>"$work/server-bench.log" &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
python3 bench/slowloris.py "$port" "$pid" --clients 2000 --seconds 20
python3 bench/slowloris.py "$port" "$pid" --clients 1100 --seconds 15 --idle
stop
grep -h "refused\|still open" "$work/server-bench.log" | tail -3 || true
