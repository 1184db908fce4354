#!/usr/bin/env bash
# make chaos and the CTest test chaos.short: the chaos program
# (tests/chaos/chaos.c, BUILD/bin/swb-chaos) against a dev stack of its own
# (BUILD/chaos-stack: its PostgreSQL and Redis get restarted), removed
# afterwards, on failure too. Kafka is the program's own mock cluster.
#   tests/chaos/run.sh [--long] [--only NAME[,NAME]] [--requests N] [--kills K] [--seed S]
# Environment: BUILD (default build), SWB_CHAOS_LIMIT_S (default 600, --long 1200).
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO"
BUILD=${BUILD:-build}
# the long form takes about 8 minutes, the short one about 1
case " $* " in *" --long "*) LIMIT=${SWB_CHAOS_LIMIT_S:-1200} ;; *) LIMIT=${SWB_CHAOS_LIMIT_S:-600} ;; esac
# ours, not a setting: the workers would reject an unknown SWB_* variable
unset SWB_CHAOS_LIMIT_S
BIN_DIR=$(realpath -m "$BUILD/bin")
STATE=$(realpath -m "$BUILD/chaos-stack")
PROG=$BIN_DIR/swb-chaos

[ -x "$PROG" ] || { echo "chaos: $PROG not built (cmake --build $BUILD)" >&2; exit 2; }

pid= pgid=
cleanup() {
        # the program and the workers it spawned share its process group
        if [ -n "$pgid" ]; then
                kill -KILL -- "-$pgid" 2>/dev/null
                [ -n "$pid" ] && wait "$pid" 2>/dev/null
        fi
        infra/swb-stack clean --state "$STATE" >/dev/null 2>&1 ||
                echo "chaos: could not remove $STATE" >&2
}
trap cleanup EXIT
trap 'exit 130' INT TERM

infra/swb-stack up --state "$STATE" --bin "$BIN_DIR" --no-workers || {
        echo "chaos: the stack did not start" >&2
        exit 2
}

SWB_TEST_STATE=$STATE SWB_BIN_DIR=$BIN_DIR setsid "$PROG" "$@" &
pid=$! pgid=$!
start=$(date +%s)
while kill -0 "$pid" 2>/dev/null; do
        if [ $(($(date +%s) - start)) -ge "$LIMIT" ]; then
                echo "chaos: still running after ${LIMIT}s; stopping it" >&2
                kill -KILL -- "-$pid" 2>/dev/null
                break
        fi
        sleep 1
done
wait "$pid"
rc=$?
pid=
exit $rc
