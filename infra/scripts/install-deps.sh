#!/usr/bin/env bash
# Installs the Debian packages switchboard needs, only those missing.
# Uses sudo when not root. Safe to run repeatedly.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config
  librdkafka-dev      # Kafka clients + the mock cluster behind swb-devbroker
  libavro-dev         # Avro (contracts in schemas/)
  libcurl4-openssl-dev # schema registry, LLM and HTTP tool clients
  libpq-dev postgresql # travel database
  libhiredis-dev redis-server # cache and session state
  libjansson-dev      # JSON
  libmicrohttpd-dev   # /health, /metrics
  libcmocka-dev       # unit tests
  kcat python3-avro   # a client that is not ours, for the interop test
  prometheus          # promtool and Prometheus for the monitoring test
  iproute2 procps     # ss, pgrep in the stack scripts
)

missing=()
for p in "${PKGS[@]}"; do
  case "$p" in \#*) continue ;; esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
