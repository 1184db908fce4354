#!/usr/bin/env bash
# Black-box interop: with the stack up (`make up`, here in a state folder of its
# own), a client that is not ours (kcat + Debian's python3-avro, see client.py)
# publishes an AgentRequest and reads back the AgentReply and AuditEvents.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${SWB_BIN_DIR:?}
STATE=$(dirname "$BIN")/interop-stack
trap '"$SRC/infra/swb-stack" clean --state "$STATE" >/dev/null 2>&1 || true' EXIT
"$SRC/infra/swb-stack" up --state "$STATE" --bin "$BIN" >/dev/null
BROKERS=$(sed -n 's/^SWB_BROKERS=//p' "$STATE/env")
/usr/bin/python3 "$SRC/tests/interop/client.py" "$BROKERS" "$SRC/schemas" \
  "Find me a hotel in Bali" hotel
