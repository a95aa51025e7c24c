#!/usr/bin/env bash
# Stops the services up.sh started (by the PIDs it recorded; nothing else is signalled), in reverse
# order. Idempotent: a service that is not running is skipped. Data stays in .services/ for the
# next up.sh; remove .services/ to start from scratch.
#
#   scripts/services/down.sh [service...]    # services: postgres s3 kafka registry (default: all)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"
load_services "$here"

select_services "$@"
services=("${SELECTED[@]}")

for (( i = ${#services[@]} - 1; i >= 0; i-- )); do
  "${services[i]}_down"
done
log "down: ${services[*]}"
