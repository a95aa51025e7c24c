#!/usr/bin/env bash
# One node of the Kafka cluster that scripts/services/up.sh started, for fault tests and for trying
# failover by hand.
#
#   scripts/services/kafka-node.sh kill N     # SIGKILL node N: a crash, no controlled shutdown
#   scripts/services/kafka-node.sh start      # start the nodes that are down; wait until all are ready
#   scripts/services/kafka-node.sh pid N      # node N's PID (exit 1 when it does not run)
#
# Node N is Kafka's node.id N and listens for clients on the N-th address of ORDERPULSE_TEST_KAFKA_BROKERS.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"
load_services "$here"

usage() { die "usage: kafka-node.sh kill N | start | pid N"; }
node_number() {
  [[ "${1:-}" =~ ^[1-9]$ ]] || usage
  [[ -f "$KAFKA_DIR/node$1/server.properties" ]] || die "Kafka node $1 is not part of the cluster in $KAFKA_DIR (start it with scripts/services/up.sh kafka)"
  echo "$1"
}

case "${1:-}" in
  kill)
    node="$(node_number "${2:-}")"
    pid="$(read_pid "$KAFKA_DIR/node$node/kafka.pid")"
    kafka_node_alive "$node" || die "Kafka node $node does not run"
    kill -s KILL "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    log "Kafka node $node (pid $pid) killed"
    ;;
  start)
    kafka_up >/dev/null
    ;;
  pid)
    node="$(node_number "${2:-}")"
    kafka_node_alive "$node" || exit 1
    echo "$(read_pid "$KAFKA_DIR/node$node/kafka.pid")"
    ;;
  *) usage ;;
esac
