#!/usr/bin/env bash
# Starts the services tests and developers use, on 127.0.0.1, each in its own state directory under
# .services/ (gitignored): PostgreSQL (a private cluster), an S3-compatible server (SeaweedFS), a
# Kafka KRaft cluster (3 nodes; ORDERPULSE_KAFKA_NODES=1 for one) and a schema registry (Apicurio).
# Idempotent: a service already up is left running. Waits until each one is ready (bounded) and
# fails with a message naming its log otherwise.
#
#   scripts/services/up.sh [service...]      # services: postgres s3 kafka registry (default: all)
#   eval "$(scripts/services/up.sh)"         # stdout is `export NAME=value` lines; progress goes to stderr
#   source .services/env                     # the same variables, for the services that are up
#
# Stop them with scripts/services/down.sh.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"
load_services "$here"

select_services "$@"
services=("${SELECTED[@]}")

mkdir -p "$SERVICES_DIR"
started="$(now_ms)"
for service in "${services[@]}"; do
  "${service}_up"
done
log "up: ${services[*]} in $(( $(now_ms) - started )) ms; environment in $SERVICES_DIR/env"
for service in "${services[@]}"; do
  cat "$SERVICES_DIR/$service/$service.env"
done
