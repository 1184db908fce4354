#!/usr/bin/env bash
# make bench: every figure from one run on one private dev broker.
set -euo pipefail
BUILD=${1:-build}
BIN=$BUILD/bin
SHARED=$(cd "$(dirname "$0")/../../.." && pwd)/shared/data/clinc150
tmp=$(mktemp -d)
trap 'kill $(cat "$tmp/pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$tmp"' EXIT
topics=()
for r in 1 2 3; do
  for t in raw.in raw.out fan.in fan.out fan.audit sup.in route.hotel route.flight route.tour route.customer_service \
           replies audit dlq; do topics+=(--topic "bench.r$r.$t"); done
done
"$BIN/swb-devbroker" --addr-file "$tmp/addr" "${topics[@]}" >/dev/null 2>"$tmp/broker.log" &
echo $! > "$tmp/pid"
for _ in $(seq 100); do [ -s "$tmp/addr" ] && break; sleep 0.1; done
[ -s "$tmp/addr" ] || { echo "bench: dev broker did not start" >&2; exit 1; }
echo "== switchboard bench ($(nproc) cores, $(date -u +%F)); one dev broker, one run"
if [ -f "$SHARED/val.tsv" ]; then
  echo
  echo "-- routing accuracy on the shared validation split (val.tsv + oos_val.tsv)"
  "$BIN/swb-classify" --eval "$SHARED/val.tsv" "$SHARED/oos_val.tsv"
  "$BIN/swb-classify" --bench "$SHARED/val.tsv" "$SHARED/oos_val.tsv" | tail -n 4
fi
echo
"$BIN/swb-bench" --brokers "$(cat "$tmp/addr")" --bin "$BIN" --count "${BENCH_COUNT:-100000}"
echo
"$BIN/swb-bench-agent" --brokers "$(cat "$tmp/addr")" --bin "$BIN" \
  --count "${BENCH_AGENT_COUNT:-2000}" --delay-ms 1000
