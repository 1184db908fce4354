#!/usr/bin/env bash
# make demo: a sample conversation through the running dev stack.
# Usage: demo.sh STATE_DIR BIN_DIR
set -euo pipefail
STATE=${1:-.swb}
BIN=${2:-build/bin}
export SWB_STATE=$STATE

send() { "$BIN/swb-send" --timeout-ms 30000 "$@"; }

# The workers have just started: wait (with a deadline) until the pipeline answers.
deadline=$((SECONDS + 60))
until send --user demo-user "hello, is anyone there?" >/dev/null 2>&1; do
  if [ $SECONDS -ge $deadline ]; then
    echo "demo: the stack did not answer within 60 s; see $STATE/log/" >&2
    exit 1
  fi
done

session=$(cat /proc/sys/kernel/random/uuid)
echo "== A sample conversation (session $session; an out-of-scope question first: once an agent is active, follow-ups stay with it)"
while IFS='|' read -r locale text; do
  printf '\nyou (%s): %s\n' "$locale" "$text"
  send --session "$session" --user demo-user --locale "$locale" "$text"
done <<'MSGS'
en|What is the capital of France?
en|Find me a hotel in Bali
en|Any flights from Jakarta to Denpasar tomorrow?
en|What tours do you have in Yogyakarta?
en|Show my bookings
id|Carikan hotel di Bandung
MSGS

cat <<EOT

== Try it yourself
  build/bin/swb-send --chat          chat interactively (Ctrl-D to quit)
  make status                        what is running, logs in $STATE/log/
  make down                          stop everything
EOT
