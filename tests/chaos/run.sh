#!/usr/bin/env bash
# make chaos: the chaos program (tests/chaos/chaos.c, build/bin/swb-chaos)
# against a dev stack of its own (build/chaos-stack), removed afterwards.
#   tests/chaos/run.sh [--long] [--requests N] [--kills K] [--seed S]
# Environment: BUILD (default build), SWB_CHAOS_LIMIT_S (default 600).
# Not part of `make test`.
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO"
BUILD=${BUILD:-build}
BIN_DIR=$(realpath -m "$BUILD/bin")
STATE=$(realpath -m "$BUILD/chaos-stack")
PROG=$BIN_DIR/swb-chaos
LIMIT=${SWB_CHAOS_LIMIT_S:-600}

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
