#!/usr/bin/env bash
# prometheus-targets.sh - Prometheus scrape targets for the dev stack, from the
# port files its processes write.
#
#   prometheus-targets.sh [--state DIR] [--run-dir DIR] [--out FILE]
#
# Every switchboard process writes RUN/<name>.port (its HTTP port: /health/*,
# /metrics). Each becomes a target 127.0.0.1:<port> with the label
# worker="<name>", in the file_sd JSON format that infra/prometheus/prometheus.yml
# reads. postgres.port and redis.port (the stack's services, not ours) are
# skipped. A stale file (a crashed worker) stays a target on purpose: it shows
# as up == 0 and fires SwbWorkerDown.
#
# --state    default $SWB_STATE, else <repo>/.swb
# --run-dir  default STATE/run
# --out      default STATE/prometheus/targets.json; written atomically
#            (Prometheus re-reads it when it changes: run this again after
#            `swb-stack up` restarts a worker)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PROG=prometheus-targets
STATE=${SWB_STATE:-$REPO/.swb}
RUN=
OUT=

die() { echo "$PROG: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
        case $1 in
        --state) [ $# -ge 2 ] || die "--state needs a value"; STATE=$2; shift 2 ;;
        --state=*) STATE=${1#*=}; shift ;;
        --run-dir) [ $# -ge 2 ] || die "--run-dir needs a value"; RUN=$2; shift 2 ;;
        --run-dir=*) RUN=${1#*=}; shift ;;
        --out) [ $# -ge 2 ] || die "--out needs a value"; OUT=$2; shift 2 ;;
        --out=*) OUT=${1#*=}; shift ;;
        -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $1" ;;
        esac
done
RUN=${RUN:-$STATE/run}
OUT=${OUT:-$STATE/prometheus/targets.json}
[ -d "$RUN" ] || die "no run directory $RUN (is the stack up?)"
mkdir -p "$(dirname "$OUT")"

entries=()
shopt -s nullglob
for f in "$RUN"/*.port; do
        name=$(basename "$f" .port)
        case $name in
        postgres|redis) continue ;;
        esac
        # Names become label values: keep to what our run files use.
        [[ $name =~ ^[A-Za-z0-9_.-]+$ ]] || { echo "$PROG: skipping $f (odd name)" >&2; continue; }
        port=$(head -n1 "$f" 2>/dev/null | tr -dc '0-9')
        [ -n "$port" ] || { echo "$PROG: skipping $f (no port in it)" >&2; continue; }
        entries+=("  {\"targets\": [\"127.0.0.1:$port\"], \"labels\": {\"worker\": \"$name\"}}")
done
shopt -u nullglob

tmp=$OUT.tmp.$$
{
        echo "["
        for i in "${!entries[@]}"; do
                if [ "$i" -lt $(( ${#entries[@]} - 1 )) ]; then
                        echo "${entries[$i]},"
                else
                        echo "${entries[$i]}"
                fi
        done
        echo "]"
} >"$tmp"
mv -f "$tmp" "$OUT"
echo "$PROG: ${#entries[@]} target(s) in $OUT"
