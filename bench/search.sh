#!/usr/bin/env bash
# Search benchmarks: index build time, in-process query latency and HTTP
# throughput, on the bundled site and on generated corpora.
#
#     bash bench/search.sh [SIZES...]        (default: 10000 100000)
#
# Latency is measured in process with every query computed; HTTP
# throughput both as served (repeated queries answered from memory) and
# with the server keeping no answers (--answers 0: all computed).
#
# Needs ../shared/bench/gen_corpus.py (the shared corpus generator) and wrk
# (installed with apt-get when missing). Prints a table; writes nothing in
# the repository (corpora go to $TMPDIR).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-10000 100000}")
[ $# -eq 0 ] && sizes=(10000 100000)
work="${TMPDIR:-/tmp}/kpot-bench"
mkdir -p "$work"

bash .ci/install-deps
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet --bin kpot --example search_latency --example search_index
# Copies, so that another build of the tree cannot swap the binaries mid-run.
cp target/release/kpot target/release/examples/search_latency target/release/examples/search_index "$work/"
kpot="$work/kpot"
latency="$work/search_latency"
index_only="$work/search_index"

index_time() { # root -> prints ms of the index build (on its own thread, beside rendering)
  # A build keeps an index made from the same documents: remove it first.
  rm -rf "$1/search-index/index"
  KPOT_TIMINGS=1 "$kpot" build --root "$1" --now 2026-11-22 2>&1 >/dev/null | awk '/index thread/ {print $3}'
}

throughput() { # root mode -> prints requests/s; mode: repeated | distinct
  local root=$1 mode=$2 port=$((20000 + RANDOM % 20000)) answers=2048
  # Distinct requests: the server keeps no answers, every one is computed.
  [ "$mode" = distinct ] && answers=0
  "$kpot" server --root "$root" --port "$port" --answers "$answers" 2>/dev/null &
  local pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
  wrk -t2 -c32 -d10s -s bench/queries.lua "http://127.0.0.1:$port" | awk '/Requests\/sec/ {print $2}'
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

http_figures() { # root
  echo "HTTP /api/search, wrk -t2 -c32 10 s, 10 queries in turn: $(throughput "$1" repeated) requests/s answered from memory, $(throughput "$1" distinct) requests/s all computed (--answers 0)"
}

# The bundled site, built whole.
rm -rf "$work/bundled" && mkdir -p "$work/bundled"
cp -r content data search-index config.toml "$work/bundled/" && rm -rf "$work/bundled/search-index/index"
ms=$(index_time "$work/bundled")
echo "bundled site: index stage $ms"
"$latency" "$work/bundled" 50
http_figures "$work/bundled"

# Generated corpora: the index alone (the HTML is the performance bench's).
for n in "${sizes[@]}"; do
  dir="$work/corpus-$n"
  [ -d "$dir/content" ] || python3 ../shared/bench/gen_corpus.py --pages "$n" --out "$dir" --seed 1 >/dev/null
  mkdir -p "$dir/search-index" && cp search-index/config.toml "$dir/search-index/"
  # kpot server insists on a built site; the API needs only the index.
  mkdir -p "$dir/public" && [ -f "$dir/public/index.html" ] || echo '<!doctype html><title>bench</title>' > "$dir/public/index.html"
  echo "corpus $n pages: $("$index_only" "$dir")"
  "$latency" "$dir" 10
  http_figures "$dir"
done
