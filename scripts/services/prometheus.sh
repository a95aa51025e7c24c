#!/usr/bin/env bash
# Runs Prometheus in the foreground on a free loopback port with a given configuration and a fresh,
# temporary TSDB directory (removed when it stops): for trying monitoring/ against a running
# OrderPulse, and for the tests that check the rules and the dashboard against a real Prometheus.
#
#   scripts/services/prometheus.sh [CONFIG]    # default: monitoring/prometheus.yml
#
# Prints `ORDERPULSE_PROMETHEUS_URL=http://127.0.0.1:PORT` on stdout once Prometheus is ready (its
# own log goes to stderr); stops it on SIGTERM, SIGINT or when Prometheus exits. The first free port
# from 19900 (ORDERPULSE_PROMETHEUS_PORT sets it). Needs `prometheus` on the PATH (Debian: apt-get
# install prometheus).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"

config="${1:-$SERVICES_ROOT/monitoring/prometheus.yml}"
[[ -f "$config" ]] || die "no Prometheus configuration at $config"
command -v prometheus >/dev/null || die "prometheus is not installed (Debian: apt-get install prometheus)"

port="$(free_port "${ORDERPULSE_PROMETHEUS_PORT:-19900}")"
tsdb="$(mktemp -d "${TMPDIR:-/tmp}/orderpulse-prometheus-XXXXXX")"
pid=""
stop() {
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -s TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$tsdb"
}
trap stop EXIT
trap 'exit 0' TERM INT

prometheus --config.file="$config" --storage.tsdb.path="$tsdb" --web.listen-address="127.0.0.1:$port" \
  --storage.tsdb.retention.time=1d --log.level=warn </dev/null >&2 &
pid=$!

ready() {
  kill -0 "$pid" 2>/dev/null || die "prometheus exited while starting (config $config)"
  (exec 3<>"/dev/tcp/127.0.0.1/$port" && printf 'GET /-/ready HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3 && head -n1 <&3 | grep -q ' 200 ') 2>/dev/null
}
wait_until 60 "Prometheus ready" ready || die "Prometheus is not ready on 127.0.0.1:$port after 60 s"
log "prometheus $(prometheus --version 2>&1 | head -n1 | awk '{print $3}') ready on 127.0.0.1:$port (config $config, TSDB $tsdb)"
echo "ORDERPULSE_PROMETHEUS_URL=http://127.0.0.1:$port"
wait "$pid"
