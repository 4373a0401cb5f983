#!/usr/bin/env bash
# `kpot import jgrants` over loopback: a first import of N calls (4 searches
# and N detail requests, no pause) and the second run that writes nothing.
# Prints wall time and peak memory of each. Usage: bench/import.sh [N]
# (KPOT=path/to/kpot to time a given binary; default: a release build).
set -euo pipefail
n=${1:-500}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'kill "$stub" 2>/dev/null; rm -rf "$work"' EXIT
kpot=${KPOT:-}
if [ -z "$kpot" ]; then
  cargo build --release --manifest-path "$repo/Cargo.toml" -q
  kpot="$repo/target/release/kpot"
fi
git -C "$repo" archive HEAD config.toml data content themes | tar -x -C "$work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 "$repo/bench/jgrants_stub.py" "$port" "$n" & stub=$!
until python3 -c "import socket; socket.create_connection(('127.0.0.1',$port))" 2>/dev/null; do sleep 0.1; done
for run in first second; do
  /usr/bin/time -f "$run run ($n calls): %e s wall, %M KiB peak" \
    "$kpot" --root "$work" import jgrants --api-url "http://127.0.0.1:$port" --pause-ms 0 --now 2027-02-15 | head -1
done
