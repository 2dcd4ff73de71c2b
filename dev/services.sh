#!/usr/bin/env bash
# Local services for development, tests and CI: `bash dev/services.sh up|down|status|install`
# (also `npm run services -- up`). Idempotent; everything listens on 127.0.0.1 only and keeps its data, logs
# and binaries under the git-ignored .local/. `up` installs what is missing (Debian packages need root), starts
# each service and health-checks it before returning; a failure names the service and shows its log's tail.
#   PostgreSQL 15  127.0.0.1:55432   postgres://dataplatform:dataplatform@127.0.0.1:55432/dataplatform
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
HERE="$ROOT/dev/services"
# shellcheck source=services/lib.sh
. "$HERE/lib.sh"
# shellcheck source=services/postgres.sh
. "$HERE/postgres.sh"

usage() {
  say "usage: dev/services.sh up|down|status|install"
  exit 2
}

main() {
  local command="${1:-}"
  mkdir -p "$BIN_DIR" "$LOG_DIR" "$RUN_DIR"
  case "$command" in
    install)
      pg_install
      ;;
    up)
      pg_up
      ;;
    down)
      pg_down
      ;;
    status)
      local ok=0
      pg_status || ok=1
      return "$ok"
      ;;
    *) usage ;;
  esac
}

main "$@"
