# shellcheck shell=bash
# OpenFaaS Community Edition for dev/services.sh: sourced, not run. The real components, wired as faasd wires them
# (docs/local-openfaas.md):
#   nats-streaming-server  127.0.0.1:4222 (monitoring 127.0.0.1:8222), file store in .local/openfaas/nats
#   prometheus             127.0.0.1:9090, scrapes the gateway's metrics (the gateway lists functions through it)
#   provider               127.0.0.1:8081, the project's faas-provider (dev/openfaas/provider): each function is the
#                          real of-watchdog in front of its bundle, in a network namespace of its own on the bridge
#                          openfaas0 (10.62.0.1/16, as faasd's CNI bridge)
#   gateway                0.0.0.0:8080 (fixed upstream, all interfaces) and :8082 (metrics), basic auth on /system/*
#   queue-worker           async calls from NATS, one at a time, ack_wait 5m5s (OPENFAAS_ACK_WAIT overrides)
#   cron-connector         calls functions annotated `topic: cron-function` on their `schedule`
# Binaries are built once per machine into the per-user cache (keyed by commit) and linked into .local/bin: from the
# Go module proxy when it serves github.com/openfaas/*, else from the vendored sources of
# ../shared/third_party/openfaas (build.sh). The gateway's basic-auth credentials are generated once into
# .local/openfaas/secrets (user admin, password in basic-auth-password, mode 0600).

OF_DIR="$LOCAL/openfaas"
OF_SECRETS="$OF_DIR/secrets"
OF_PROVIDER_DIR="$OF_DIR/provider"
OF_IMAGES_DIR="$OF_DIR/images"
OF_GATEWAY_URL=http://127.0.0.1:8080
OF_PROVIDER_URL=http://127.0.0.1:8081
OF_NATS_MONITOR=http://127.0.0.1:8222
OF_PROMETHEUS_URL=http://127.0.0.1:9090
# faasd's function network: functions reach this machine (its loopback services and the gateway) at 10.62.0.1.
OF_BRIDGE=openfaas0
OF_HOST_IP=10.62.0.1
OF_SUBNET=10.62.0.0/16
OF_NFT_TABLE=dataplatform_openfaas
OF_ACK_WAIT_DEFAULT=5m5s

# component → module@commit (what `go install` takes; the commits of ../shared/third_party/openfaas/README.md)
declare -A OF_MODULES=(
  [of-watchdog]=github.com/openfaas/of-watchdog@9bdadb1e8c68
  [faas-cli]=github.com/openfaas/faas-cli@c8191b71e7ed
  [gateway]=github.com/openfaas/faas/gateway@8d803bf9e265
  [queue-worker]=github.com/openfaas/nats-queue-worker@ed5414157b54
  [cron-connector]=github.com/openfaas/cron-connector@b07e85a5dd90
  [nats-streaming-server]=github.com/nats-io/nats-streaming-server@v0.25.6
)
OF_COMPONENTS=(nats-streaming-server of-watchdog faas-cli gateway queue-worker cron-connector)

# Where the vendored OpenFaaS sources are: OPENFAAS_SOURCES, else beside the checkout (../shared/third_party/openfaas),
# else where this machine keeps them for every clone.
of_sources_dir() {
  local dir
  for dir in "${OPENFAAS_SOURCES:-}" "$ROOT/../shared/third_party/openfaas" /work/shared/third_party/openfaas; do
    if [ -n "$dir" ] && [ -x "$dir/build.sh" ]; then
      printf '%s\n' "$dir"
      return 0
    fi
  done
  return 1
}

OF_BUILDING=""   # the component of_build_into builds (cached_build passes only the folder)

# cached_build callback: builds $OF_BUILDING into folder $1, as `go install` would, else with build.sh.
of_build_into() {
  local component="$OF_BUILDING" out="$1" module installed log="$LOG_DIR/openfaas-build.log"
  module="${OF_MODULES[$component]}"
  ensure_go
  say "services: openfaas: building $component ($module)"
  if GOBIN="$out" GOFLAGS= CGO_ENABLED=0 timeout 300 go install -trimpath -ldflags "-s -w" "$module" >>"$log" 2>&1; then
    installed="$(basename "${module%@*}")"
    [ "$installed" = "$component" ] || mv "$out/$installed" "$out/$component"
    if [ "$component" = gateway ]; then
      # The UI is not part of the binary: take it from the module's source.
      local source
      source="$(GOFLAGS= go mod download -json "$module" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
      cp -r "$source/assets" "$out/gateway-assets" && chmod -R u+w "$out/gateway-assets"
    fi
    return 0
  fi
  local sources
  sources="$(of_sources_dir)" || fail openfaas "the Go module proxy does not serve $module and no vendored sources were found (set OPENFAAS_SOURCES to the folder holding build.sh)" "$log"
  bash "$sources/build.sh" "$out" "$component" >>"$log" 2>&1 || fail openfaas "building $component from $sources failed" "$log"
}

of_install_component() {
  local component="$1" dir
  OF_BUILDING="$component"
  dir="$(cached_build "openfaas-$component" "${OF_MODULES[$component]##*@}" of_build_into)" || exit 1
  link_bin "$dir/$component"
  if [ "$component" = gateway ]; then
    mkdir -p "$OF_DIR/gateway"
    ln -sfn "$dir/gateway-assets" "$OF_DIR/gateway/assets"
  fi
}

of_installed() {
  local component
  for component in "${OF_COMPONENTS[@]}"; do
    [ -x "$BIN_DIR/$component" ] && [ "$(readlink "$BIN_DIR/$component")" = "$CACHE_DIR/openfaas-$component/${OF_MODULES[$component]##*@}/$component" ] || return 1
  done
  command -v prometheus >/dev/null 2>&1 && command -v nft >/dev/null 2>&1 && command -v ip >/dev/null 2>&1
}

# Debian packages the stack needs (one apt-get call with the others, see ensure_system_packages).
of_missing_packages() {
  command -v prometheus >/dev/null 2>&1 || printf '%s\n' prometheus
  command -v nft >/dev/null 2>&1 || printf '%s\n' nftables
  command -v ip >/dev/null 2>&1 || printf '%s\n' iproute2
}

of_install() {
  of_installed && return 0
  local began=$SECONDS component
  for component in "${OF_COMPONENTS[@]}"; do of_install_component "$component"; done
  mkdir -p "$OF_DIR"
  if [ $((SECONDS - began)) -gt 2 ]; then say "services: openfaas: binaries ready in $((SECONDS - began)) s"; fi
}

# The function network, as faasd's CNI sets it up: a bridge whose address is this machine for the functions. Traffic
# from the bridge to 10.62.0.1 is forwarded to the loopback services (PostgreSQL, FerretDB, OpenBao, the gateway).
of_network() {
  is_root || fail openfaas "the provider runs each function in its own network namespace, as faasd does, which needs root (run as root, or with sudo)"
  if ! ip link show "$OF_BRIDGE" >/dev/null 2>&1; then
    ip link add "$OF_BRIDGE" type bridge || fail openfaas "cannot create the bridge $OF_BRIDGE"
  fi
  ip addr replace "$OF_HOST_IP/16" dev "$OF_BRIDGE"
  ip link set "$OF_BRIDGE" up
  sysctl -qw "net.ipv4.conf.$OF_BRIDGE.route_localnet=1" >/dev/null
  if ! nft list table ip "$OF_NFT_TABLE" >/dev/null 2>&1; then
    nft -f - <<NFT || fail openfaas "cannot install the nftables rule that lets functions reach 10.62.0.1"
table ip $OF_NFT_TABLE {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "$OF_BRIDGE" ip daddr $OF_HOST_IP dnat to 127.0.0.1
  }
}
NFT
  fi
}

of_network_down() {
  nft delete table ip "$OF_NFT_TABLE" 2>/dev/null || true
  ip link del "$OF_BRIDGE" 2>/dev/null || true
}

of_credentials() {
  mkdir -p "$OF_SECRETS"
  chmod 700 "$OF_SECRETS"
  [ -s "$OF_SECRETS/basic-auth-user" ] || printf 'admin' >"$OF_SECRETS/basic-auth-user"
  if [ ! -s "$OF_SECRETS/basic-auth-password" ]; then
    (umask 077 && head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24 >"$OF_SECRETS/basic-auth-password")
  fi
  # The platform's call token (shared/runtime/call-token.ts): npm start stores it as the OpenFaaS secret
  # dataplatform-call-token, which every function asks of its callers.
  if [ ! -s "$OF_SECRETS/dataplatform-call-token" ]; then
    (umask 077 && head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 40 >"$OF_SECRETS/dataplatform-call-token")
  fi
  chmod 600 "$OF_SECRETS/basic-auth-user" "$OF_SECRETS/basic-auth-password" "$OF_SECRETS/dataplatform-call-token"
}

of_password() { cat "$OF_SECRETS/basic-auth-password"; }

# of_start NAME WORKDIR COMMAND...: starts a component in the background (its own session, so it outlives the
# calling shell), logging to .local/log/NAME.log; the caller sets its environment with `env`.
of_start() {
  local name="$1" workdir="$2"
  shift 2
  rm -f "$RUN_DIR/$name.pid"
  (cd "$workdir" && exec setsid "$@" </dev/null >>"$LOG_DIR/$name.log" 2>&1) &
  echo $! >"$RUN_DIR/$name.pid"
}

# of_wait NAME SECONDS CHECK...: waits until CHECK succeeds; names the component and shows its log when it does not.
of_wait() {
  local name="$1" seconds="$2" deadline
  shift 2
  deadline=$(( $(date +%s) + seconds ))
  until "$@" >/dev/null 2>&1; do
    started_alive "$RUN_DIR/$name.pid" || fail "$name" "the process exited" "$LOG_DIR/$name.log"
    [ "$(date +%s)" -lt "$deadline" ] || fail "$name" "not healthy after $seconds s ($*)" "$LOG_DIR/$name.log"
    sleep 0.2
  done
}

http_ok() { curl -fsS -m 2 -o /dev/null "$@"; }

# The gateway's and the provider's /system routes need the credentials.
http_ok_auth() { curl -fsS -m 2 -o /dev/null -u "admin:$(of_password)" "$@"; }

# A port another checkout's stack (or anything else) holds: the stack cannot share it (the gateway's 8080 is fixed).
of_port_taken() {
  local name="$1" port="$2"
  port_free "$port" || fail "$name" "port $port is in use by a process this checkout did not start (another checkout's OpenFaaS stack? stop it there with: npm run services -- down)"
}

of_nats_up() {
  pid_alive "$RUN_DIR/nats-streaming-server.pid" && return 0
  of_port_taken nats-streaming-server 4222
  mkdir -p "$OF_DIR/nats"
  say "services: nats-streaming-server: starting on 127.0.0.1:4222"
  of_start nats-streaming-server "$OF_DIR" "$BIN_DIR/nats-streaming-server" --store file --dir "$OF_DIR/nats" \
    --cluster_id faas-cluster -a 127.0.0.1 -p 4222 -m 8222
  of_wait nats-streaming-server 30 http_ok "$OF_NATS_MONITOR/streaming/serverz"
}

of_prometheus_up() {
  mkdir -p "$OF_DIR/prometheus/data"
  cat >"$OF_DIR/prometheus/prometheus.yml" <<'YAML'
# Written by dev/services.sh: the gateway's metrics, as faasd's prometheus.yml scrapes them.
global:
  scrape_interval: 15s
  evaluation_interval: 15s
scrape_configs:
  - job_name: gateway
    static_configs:
      - targets: ['127.0.0.1:8082']
YAML
  pid_alive "$RUN_DIR/prometheus.pid" && return 0
  of_port_taken prometheus 9090
  say "services: prometheus: starting on 127.0.0.1:9090"
  of_start prometheus "$OF_DIR/prometheus" prometheus --config.file="$OF_DIR/prometheus/prometheus.yml" \
    --storage.tsdb.path="$OF_DIR/prometheus/data" --storage.tsdb.retention.time=2d \
    --web.listen-address=127.0.0.1:9090 --log.level=warn
  of_wait prometheus 60 http_ok "$OF_PROMETHEUS_URL/-/ready"
}

of_provider_up() {
  pid_alive "$RUN_DIR/provider.pid" && return 0
  of_port_taken provider 8081
  mkdir -p "$OF_PROVIDER_DIR" "$OF_IMAGES_DIR"
  say "services: provider: starting on $OF_PROVIDER_URL"
  of_start provider "$ROOT" env \
    PROVIDER_PORT=8081 \
    PROVIDER_STATE_DIR="$OF_PROVIDER_DIR" \
    OPENFAAS_IMAGES_DIR="$OF_IMAGES_DIR" \
    BASIC_AUTH_DIR="$OF_SECRETS" \
    OF_WATCHDOG="$BIN_DIR/of-watchdog" \
    FUNCTION_BRIDGE="$OF_BRIDGE" \
    FUNCTION_HOST_IP="$OF_HOST_IP" \
    service_timeout="${OPENFAAS_SERVICE_TIMEOUT:-60s}" \
    node --import tsx "$ROOT/dev/openfaas/provider/main.ts"
  of_wait provider 60 http_ok_auth "$OF_PROVIDER_URL/system/info"
}

of_gateway_up() {
  pid_alive "$RUN_DIR/gateway.pid" && return 0
  of_port_taken gateway 8080
  of_port_taken gateway 8082
  say "services: gateway: starting on 0.0.0.0:8080 (all interfaces, fixed upstream)"
  # faasd's settings (docs/local-openfaas.md); it serves its UI from ./assets.
  of_start gateway "$OF_DIR/gateway" env \
    basic_auth=true \
    secret_mount_path="$OF_SECRETS" \
    functions_provider_url="$OF_PROVIDER_URL/" \
    faas_nats_address=127.0.0.1 \
    faas_nats_port=4222 \
    faas_prometheus_host=127.0.0.1 \
    faas_prometheus_port=9090 \
    read_timeout=60s \
    write_timeout=60s \
    upstream_timeout=65s \
    scale_from_zero=true \
    function_namespace=openfaas-fn \
    "$BIN_DIR/gateway"
  of_wait gateway 30 http_ok "$OF_GATEWAY_URL/healthz"
  of_wait gateway 30 http_ok_auth "$OF_GATEWAY_URL/system/functions"
}

# The queue-worker has no HTTP port: it is up once NATS Streaming lists its client.
of_queue_worker_subscribed() { curl -fsS -m 2 "$OF_NATS_MONITOR/streaming/clientsz" | grep -q '"faas-worker-'; }

of_queue_worker_up() {
  pid_alive "$RUN_DIR/queue-worker.pid" && return 0
  local ack_wait="${OPENFAAS_ACK_WAIT:-$OF_ACK_WAIT_DEFAULT}"
  say "services: queue-worker: starting (ack_wait $ack_wait, one call at a time)"
  of_start queue-worker "$OF_DIR" env \
    faas_nats_address=127.0.0.1 \
    faas_nats_port=4222 \
    faas_gateway_address=127.0.0.1 \
    faas_gateway_port=8080 \
    gateway_invoke=true \
    ack_wait="$ack_wait" \
    max_inflight=1 \
    "$BIN_DIR/queue-worker"
  of_wait queue-worker 30 of_queue_worker_subscribed
}

# cron-connector has no port either: up once it has read its settings. It first reads the function list one
# rebuild_interval later; a wrong password shows in its log then ("error listing namespaces").
of_cron_listed() { grep -q 'Rebuild interval' "$LOG_DIR/cron-connector.log" && ! tail -n 5 "$LOG_DIR/cron-connector.log" | grep -q 'error listing'; }

of_cron_up() {
  pid_alive "$RUN_DIR/cron-connector.pid" && return 0
  say "services: cron-connector: starting (functions annotated topic: cron-function)"
  : >"$LOG_DIR/cron-connector.log"
  of_start cron-connector "$OF_DIR" env \
    gateway_url="$OF_GATEWAY_URL" \
    basic_auth=true \
    secret_mount_path="$OF_SECRETS" \
    rebuild_interval="${OPENFAAS_CRON_REBUILD_INTERVAL:-10s}" \
    "$BIN_DIR/cron-connector"
  of_wait cron-connector 30 of_cron_listed
}

of_up() {
  of_install
  of_network
  of_credentials
  of_nats_up
  of_prometheus_up
  of_provider_up
  of_gateway_up
  of_queue_worker_up
  of_cron_up
}

of_down() {
  stop_pidfile cron-connector "$RUN_DIR/cron-connector.pid"
  stop_pidfile queue-worker "$RUN_DIR/queue-worker.pid"
  stop_pidfile gateway "$RUN_DIR/gateway.pid"
  # The provider stops every function (and removes their network namespaces) before it exits.
  stop_pidfile provider "$RUN_DIR/provider.pid"
  stop_pidfile prometheus "$RUN_DIR/prometheus.pid"
  stop_pidfile nats-streaming-server "$RUN_DIR/nats-streaming-server.pid"
  if is_root; then of_network_down; fi
}

# of_restart COMPONENT: stops and starts one component (tests restart the queue-worker with another ack_wait, and
# the provider to show that deployments survive it).
of_restart() {
  local component="$1"
  case "$component" in
    queue-worker) stop_pidfile queue-worker "$RUN_DIR/queue-worker.pid"; of_queue_worker_up ;;
    provider) stop_pidfile provider "$RUN_DIR/provider.pid"; of_provider_up ;;
    cron-connector) stop_pidfile cron-connector "$RUN_DIR/cron-connector.pid"; of_cron_up ;;
    gateway) stop_pidfile gateway "$RUN_DIR/gateway.pid"; of_gateway_up ;;
    *) fail openfaas "restart: unknown component '$component' (queue-worker, provider, cron-connector, gateway)" ;;
  esac
}

of_status() {
  local ok=0 name
  if ! of_installed; then
    note openfaas "not installed (run up)"
    return 1
  fi
  for name in nats-streaming-server prometheus provider gateway queue-worker cron-connector; do
    if pid_alive "$RUN_DIR/$name.pid"; then
      note "$name" "up      pid $(cat "$RUN_DIR/$name.pid"), log .local/log/$name.log"
    else
      note "$name" "down"
      ok=1
    fi
  done
  note "" "gateway $OF_GATEWAY_URL (UI /ui/), user admin, password in .local/openfaas/secrets/basic-auth-password"
  return "$ok"
}
