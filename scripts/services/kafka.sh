# Apache Kafka for tests and development: a KRaft cluster on 127.0.0.1, three nodes by default (each
# one broker and controller, so the cluster keeps serving with one node down), from the jars Maven
# Central serves (the pom in scripts/services/kafka/ names them). Sourced by up.sh/down.sh after lib.sh.
#
# Internal topics are replicated to every node (up to 3) with min.insync.replicas 2 on three nodes;
# the broker keeps records forever by default (log.retention.ms=-1): OrderPulse's events carry
# event times from 2016-2018, and time-based retention would delete their segments at once.
#
# ORDERPULSE_KAFKA_NODES=1 runs a single node instead (lighter, no replication). Node N listens for
# clients on BASE+2(N-1) and for its controller quorum on the port after it; BASE is 19092 unless
# taken (ORDERPULSE_KAFKA_PORT sets it).
#
# Each node also serves its own metrics for Prometheus: the Prometheus JMX exporter's Java agent
# (io.prometheus.jmx:jmx_prometheus_javaagent from Maven Central) with the rules in
# monitoring/kafka/jmx-exporter.yml, on 127.0.0.1, one port per node: the first free one from 19190
# (ORDERPULSE_KAFKA_METRICS_PORT sets it), kept in nodeN/metrics-port across restarts.
#
# State: .services/kafka/ (libs/, agent/, cluster-id, layout; nodeN/ with server.properties, data/,
# metrics-port, kafka.log, kafka.pid). A changed layout (node count, ports) starts from empty storage.
# Environment: ORDERPULSE_TEST_KAFKA_BROKERS=127.0.0.1:19092,127.0.0.1:19094,127.0.0.1:19096
#              ORDERPULSE_TEST_KAFKA_METRICS=127.0.0.1:19190,127.0.0.1:19191,127.0.0.1:19192 (node order)

KAFKA_DIR="$SERVICES_DIR/kafka"
KAFKA_POM_DIR="$SERVICES_ROOT/scripts/services/kafka"
KAFKA_FIRST_PORT="${ORDERPULSE_KAFKA_PORT:-19092}"
KAFKA_FIRST_METRICS_PORT="${ORDERPULSE_KAFKA_METRICS_PORT:-19190}"
# The newest version Maven Central's metadata lists for the agent.
JMX_EXPORTER_VERSION=1.0.1
JMX_EXPORTER_RULES="$SERVICES_ROOT/monitoring/kafka/jmx-exporter.yml"
# Three JVMs share two cores here: small heaps, the serial collector (no GC threads to compete).
KAFKA_JVM_OPTS=(-Xms64m -Xmx320m -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true
  -Dorg.slf4j.simpleLogger.showDateTime=true '-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd HH:mm:ss.SSS')

kafka_nodes() {
  local nodes="${ORDERPULSE_KAFKA_NODES:-3}"
  [[ "$nodes" =~ ^[1-9]$ ]] || die "ORDERPULSE_KAFKA_NODES must be a node count from 1 to 9, got '$nodes'"
  echo "$nodes"
}

# The broker's jars in libs/, fetched once per version of the pom.
kafka_libs() {
  local stamp
  stamp="$(sha256sum "$KAFKA_POM_DIR/pom.xml" | cut -c1-16)"
  if [[ -f "$KAFKA_DIR/libs/.pom-$stamp" ]]; then return 0; fi
  need_maven Kafka
  log "fetching Kafka's jars from Maven Central (mvn dependency:copy-dependencies); log: $KAFKA_DIR/mvn.log"
  rm -rf "$KAFKA_DIR/libs.partial" "$KAFKA_DIR/libs"
  (cd "$KAFKA_POM_DIR" && mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DoutputDirectory="$KAFKA_DIR/libs.partial" -DincludeScope=runtime) >"$KAFKA_DIR/mvn.log" 2>&1 ||
    die "fetching Kafka's jars failed; see $KAFKA_DIR/mvn.log"
  ls "$KAFKA_DIR"/libs.partial/kafka_2.13-*.jar >/dev/null 2>&1 || die "mvn copied no kafka_2.13 jar; see $KAFKA_DIR/mvn.log"
  touch "$KAFKA_DIR/libs.partial/.pom-$stamp"
  mv "$KAFKA_DIR/libs.partial" "$KAFKA_DIR/libs"
}

# The JMX exporter's agent jar in agent/, fetched once per version; prints its path.
kafka_metrics_agent() {
  local jar="$KAFKA_DIR/agent/jmx_prometheus_javaagent-$JMX_EXPORTER_VERSION.jar"
  if [[ ! -f "$jar" ]]; then
    need_maven "Kafka's metrics exporter"
    log "fetching the Prometheus JMX exporter $JMX_EXPORTER_VERSION from Maven Central; log: $KAFKA_DIR/agent-mvn.log"
    mkdir -p "$KAFKA_DIR/agent"
    mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
      -Dartifact="io.prometheus.jmx:jmx_prometheus_javaagent:$JMX_EXPORTER_VERSION" \
      -DoutputDirectory="$KAFKA_DIR/agent" >"$KAFKA_DIR/agent-mvn.log" 2>&1 ||
      die "fetching the JMX exporter failed; see $KAFKA_DIR/agent-mvn.log"
    [[ -f "$jar" ]] || die "mvn copied no $jar; see $KAFKA_DIR/agent-mvn.log"
  fi
  echo "$jar"
}

# kafka_metrics_port NODE AFTER: the node's metrics port: the one it recorded when the node runs, or
# when that port is free and above AFTER (the previous node's); else the first free port above AFTER
# (or from the first metrics port), recorded.
kafka_metrics_port() {
  local node="$1" after="${2:-}" dir="$KAFKA_DIR/node$1" port
  port="$(read_pid "$dir/metrics-port")"
  if [[ -n "$port" ]] && { kafka_node_alive "$node" || { ! port_in_use "$port" && [[ -z "$after" || "$port" -gt "$after" ]]; }; }; then
    echo "$port"
    return 0
  fi
  if [[ -n "$after" ]]; then port="$(free_port $((after + 1)))"; else port="$(free_port "$KAFKA_FIRST_METRICS_PORT")"; fi
  echo "$port" >"$dir/metrics-port"
  echo "$port"
}

kafka_client_port() { echo $(( $1 + 2 * ($2 - 1) )); }
kafka_controller_port() { echo $(( $1 + 2 * ($2 - 1) + 1 )); }

# kafka_ports_free BASE NODES: every client and controller port of the layout is free.
kafka_ports_free() {
  local port
  for (( port = $1; port < $1 + 2 * $2; port++ )); do
    if port_in_use "$port"; then return 1; fi
  done
}

kafka_node_alive() {
  pid_alive "$(read_pid "$KAFKA_DIR/node$1/kafka.pid")" "$KAFKA_DIR/node$1/server.properties"
}

# The recorded layout: "NODES BASE", or nothing.
kafka_layout() {
  cat "$KAFKA_DIR/layout" 2>/dev/null || true
}

# The node directories present, by number.
kafka_node_numbers() {
  local dir
  for dir in "$KAFKA_DIR"/node*/; do
    [[ -d "$dir" ]] || continue
    dir="${dir%/}"
    echo "${dir##*/node}"
  done | sort -n
}

# kafka_write_config NODE NODES BASE
kafka_write_config() {
  local node="$1" nodes="$2" base="$3" dir="$KAFKA_DIR/node$1" voters="" i replicas min_isr
  for (( i = 1; i <= nodes; i++ )); do
    voters+="${voters:+,}$i@127.0.0.1:$(kafka_controller_port "$base" "$i")"
  done
  replicas=$(( nodes < 3 ? nodes : 3 ))
  min_isr=$(( replicas >= 3 ? 2 : 1 ))
  mkdir -p "$dir/data"
  cat >"$dir/server.properties" <<EOF
# Written by scripts/services/kafka.sh on each start.
process.roles=broker,controller
node.id=$node
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$(kafka_client_port "$base" "$node"),CONTROLLER://127.0.0.1:$(kafka_controller_port "$base" "$node")
advertised.listeners=PLAINTEXT://127.0.0.1:$(kafka_client_port "$base" "$node")
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
# Replication of internal topics and the default for topics created without one.
offsets.topic.replication.factor=$replicas
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=$replicas
transaction.state.log.min.isr=$min_isr
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=$replicas
share.coordinator.state.topic.min.isr=$min_isr
default.replication.factor=$replicas
min.insync.replicas=$min_isr
num.partitions=1
# Topics are created on purpose only: a typo must not create one.
auto.create.topics.enable=false
# Keep records forever: events carry 2016-2018 timestamps, and time-based retention would delete them.
log.retention.ms=-1
log.retention.bytes=-1
# Tests form consumer groups often: no initial wait for more members.
group.initial.rebalance.delay.ms=0
# Two cores for the whole machine.
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
background.threads=2
log.cleaner.threads=1
EOF
}

# kafka_start_node NODE JAVA AGENT: launches one node in the background, recording its PID.
kafka_start_node() {
  local node="$1" java="$2" agent="$3" dir="$KAFKA_DIR/node$1" pid port
  port="$(read_pid "$dir/metrics-port")"
  # setsid: the node outlives this script and the terminal; its PID is recorded and stopped by PID.
  (cd "$dir" && exec setsid "$java" "${KAFKA_JVM_OPTS[@]}" "-javaagent:$agent=127.0.0.1:$port:$JMX_EXPORTER_RULES" -cp "$KAFKA_DIR/libs/*" kafka.Kafka "$dir/server.properties" \
    </dev/null >>"$dir/kafka.log" 2>&1) &
  pid=$!
  echo "$pid" >"$dir/kafka.pid"
}

# kafka_answering NODE PORT: the node's client port accepts connections; ends the script at once if it died.
kafka_answering() {
  kafka_node_alive "$1" || die "Kafka node $1 exited while starting; see $KAFKA_DIR/node$1/kafka.log"
  port_in_use "$2"
}

kafka_up() {
  local started nodes java layout base node alive=0 cid brokers="" pids=() pid agent metrics="" port=""
  started="$(now_ms)"
  nodes="$(kafka_nodes)"
  mkdir -p "$KAFKA_DIR"
  java="$(java_for Kafka 17)"
  kafka_libs
  agent="$(kafka_metrics_agent)"

  layout="$(kafka_layout)"
  for node in $(kafka_node_numbers); do
    if kafka_node_alive "$node"; then alive=$((alive + 1)); fi
  done
  if (( alive > 0 )); then
    [[ "${layout%% *}" == "$nodes" ]] ||
      die "Kafka runs with ${layout%% *} node(s), not $nodes: stop it first (scripts/services/down.sh kafka)"
    base="${layout##* }"
  else
    base="${layout##* }"
    if [[ -z "$layout" || "${layout%% *}" != "$nodes" ]] || ! kafka_ports_free "$base" "$nodes"; then
      base="$KAFKA_FIRST_PORT"
      until kafka_ports_free "$base" "$nodes"; do
        base=$((base + 10))
        (( base < 65000 )) || die "no $((2 * nodes)) free ports found for Kafka from $KAFKA_FIRST_PORT"
      done
    fi
    if [[ -n "$layout" && "$layout" != "$nodes $base" ]]; then
      # The controllers' quorum is part of the stored metadata: another layout needs fresh storage.
      log "Kafka layout changes from '$layout' to '$nodes $base' (nodes, first port): starting from empty storage"
      for node in $(kafka_node_numbers); do rm -rf "${KAFKA_DIR:?}/node$node"; done
      rm -f "$KAFKA_DIR/cluster-id"
    fi
  fi
  echo "$nodes $base" >"$KAFKA_DIR/layout"

  if [[ ! -s "$KAFKA_DIR/cluster-id" ]]; then
    "$java" -cp "$KAFKA_DIR/libs/*" kafka.tools.StorageTool random-uuid 2>>"$KAFKA_DIR/format.log" >"$KAFKA_DIR/cluster-id.tmp" ||
      die "kafka-storage random-uuid failed; see $KAFKA_DIR/format.log"
    mv "$KAFKA_DIR/cluster-id.tmp" "$KAFKA_DIR/cluster-id"
  fi
  cid="$(cat "$KAFKA_DIR/cluster-id")"

  for (( node = 1; node <= nodes; node++ )); do
    kafka_write_config "$node" "$nodes" "$base"
    brokers+="${brokers:+,}127.0.0.1:$(kafka_client_port "$base" "$node")"
    port="$(kafka_metrics_port "$node" "$port")"
    metrics+="${metrics:+,}127.0.0.1:$port"
    if [[ ! -f "$KAFKA_DIR/node$node/data/meta.properties" ]]; then
      # Formatting starts a JVM per node: run them side by side.
      "$java" -cp "$KAFKA_DIR/libs/*" kafka.tools.StorageTool format -t "$cid" -c "$KAFKA_DIR/node$node/server.properties" \
        >"$KAFKA_DIR/node$node/format.log" 2>&1 &
      pids+=($!)
    fi
  done
  for pid in "${pids[@]}"; do
    wait "$pid" || die "formatting Kafka's storage failed; see $KAFKA_DIR/node*/format.log"
  done

  local launched=()
  for (( node = 1; node <= nodes; node++ )); do
    if kafka_node_alive "$node"; then continue; fi
    kafka_start_node "$node" "$java" "$agent"
    launched+=("$node")
  done
  if (( ${#launched[@]} > 0 )); then
    log "starting Kafka $(kafka_version) node(s) ${launched[*]} of $nodes ($("$java" -version 2>&1 | head -n1)) on $brokers; logs: $KAFKA_DIR/node*/kafka.log"
  else
    log "kafka already running ($nodes node(s), $brokers)"
  fi

  for (( node = 1; node <= nodes; node++ )); do
    wait_until 90 "Kafka node $node listening" kafka_answering "$node" "$(kafka_client_port "$base" "$node")" ||
      die "Kafka node $node does not listen on 127.0.0.1:$(kafka_client_port "$base" "$node") after 90 s; see $KAFKA_DIR/node$node/kafka.log"
  done
  # The real check: a client sees the quorum's leader and every broker registered and unfenced.
  "$java" -Dorg.slf4j.simpleLogger.defaultLogLevel=error -cp "$KAFKA_DIR/libs/*" "$KAFKA_POM_DIR/BrokersReady.java" \
    "$brokers" "$nodes" 120 >"$KAFKA_DIR/ready.log" 2>&1 ||
    die "Kafka is not ready: $(tail -n1 "$KAFKA_DIR/ready.log"); see $KAFKA_DIR/node*/kafka.log"
  for (( node = 1; node <= nodes; node++ )); do
    port="$(read_pid "$KAFKA_DIR/node$node/metrics-port")"
    wait_until 30 "Kafka node $node serving metrics" port_in_use "$port" ||
      die "Kafka node $node serves no metrics on 127.0.0.1:$port after 30 s; see $KAFKA_DIR/node$node/kafka.log"
  done
  write_env kafka "export ORDERPULSE_TEST_KAFKA_BROKERS=$brokers" "export ORDERPULSE_TEST_KAFKA_METRICS=$metrics"
  log "kafka ready: $brokers, metrics on $metrics ($(tail -n1 "$KAFKA_DIR/ready.log"), $(( $(now_ms) - started )) ms)"
}

kafka_version() {
  local jar
  jar="$(ls "$KAFKA_DIR"/libs/kafka_2.13-*.jar 2>/dev/null | head -n1)"
  jar="${jar##*/kafka_2.13-}"
  echo "${jar%.jar}"
}

kafka_running() {
  local layout nodes node
  layout="$(kafka_layout)"
  [[ -n "$layout" ]] || return 1
  nodes="${layout%% *}"
  for (( node = 1; node <= nodes; node++ )); do
    kafka_node_alive "$node" || return 1
  done
}

kafka_down() {
  local node pids=() pid
  # All nodes at once: a node stopped alone while others run moves its partition leaders away first
  # (controlled shutdown), and the last ones would wait for a quorum that is already gone.
  for node in $(kafka_node_numbers); do
    stop_pid "$KAFKA_DIR/node$node/kafka.pid" "Kafka node $node" "$KAFKA_DIR/node$node/server.properties" TERM 60 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || true; done
  drop_env kafka
}
