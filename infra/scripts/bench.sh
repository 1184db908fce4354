#!/usr/bin/env bash
# make bench: every figure from one run on one private dev broker.
set -euo pipefail
BUILD=${1:-build}
BIN=$BUILD/bin
SHARED=$(cd "$(dirname "$0")/../../.." && pwd)/shared/data/clinc150
tmp=$(mktemp -d)
trap 'kill $(cat "$tmp/pid" "$tmp/redis.pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$tmp"' EXIT
topics=()
for r in 1 2 3; do
  for t in raw.in raw.out fan.in fan.out fan.audit; do topics+=(--topic "bench.r$r.$t"); done
  for p in "" st.; do
    for t in sup.in route.hotel route.flight route.tour route.customer_service replies audit dlq; do
      topics+=(--topic "bench.r$r.$p$t")
    done
  done
done
"$BIN/swb-devbroker" --addr-file "$tmp/addr" "${topics[@]}" >/dev/null 2>"$tmp/broker.log" &
echo $! > "$tmp/pid"
for _ in $(seq 100); do [ -s "$tmp/addr" ] && break; sleep 0.1; done
[ -s "$tmp/addr" ] || { echo "bench: dev broker did not start:" >&2; tail -n 5 "$tmp/broker.log" >&2; exit 1; }
# A Redis of its own for the stateful supervisor (conversation state).
redis_url=
for _ in 1 2 3 4 5; do
  port=$((20000 + RANDOM % 40000))
  if redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no --daemonize yes \
       --pidfile "$tmp/redis.pid" --dir "$tmp" --logfile "$tmp/redis.log" >/dev/null 2>&1; then
    for _ in $(seq 100); do
      [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && redis_url=redis://127.0.0.1:$port/0 && break
      sleep 0.1
    done
  fi
  [ -n "$redis_url" ] && break
done
[ -n "$redis_url" ] || { echo "bench: redis did not start" >&2; exit 1; }
echo "== switchboard bench ($(nproc) cores, $(date -u +%F)); one dev broker, one run"
if [ -f "$SHARED/val.tsv" ]; then
  echo
  echo "-- routing accuracy on the shared validation split (val.tsv + oos_val.tsv)"
  "$BIN/swb-classify" --eval "$SHARED/val.tsv" "$SHARED/oos_val.tsv"
  "$BIN/swb-classify" --bench "$SHARED/val.tsv" "$SHARED/oos_val.tsv" | tail -n 4
fi
echo
"$BIN/swb-bench" --brokers "$(cat "$tmp/addr")" --bin "$BIN" --count "${BENCH_COUNT:-100000}" \
  --redis "$redis_url" --broker-pid "$(cat "$tmp/pid")"
echo
"$BIN/swb-bench-agent" --brokers "$(cat "$tmp/addr")" --bin "$BIN" \
  --count "${BENCH_AGENT_COUNT:-2000}" --delay-ms 1000
