#!/usr/bin/env bash
# Runs a command with the services up and their environment exported, then stops the services this
# run started (ones that were already up stay up). Exits with the command's status.
#
#   scripts/services/with-services.sh npm test
#   SERVICES="postgres" scripts/services/with-services.sh node scripts/run-tests.js lake/
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"
load_services "$here"
(( $# > 0 )) || die "usage: with-services.sh COMMAND [ARGS...]"

read -r -a services <<<"${SERVICES:-${ALL_SERVICES[*]}}"
started=()
for service in "${services[@]}"; do
  [[ " ${ALL_SERVICES[*]} " == *" $service "* ]] || die "unknown service '$service' (known: ${ALL_SERVICES[*]})"
  if ! "${service}_running"; then started+=("$service"); fi
done

stop_started() {
  if (( ${#started[@]} > 0 )); then "$here/down.sh" "${started[@]}" || true; fi
}
trap stop_started EXIT

exports="$("$here/up.sh" "${services[@]}")" # a failed start ends the run here (set -e)
eval "$exports"
set +e
"$@"
status=$?
set -e
exit "$status"
