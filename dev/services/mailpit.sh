# shellcheck shell=bash
# Mailpit for dev/services.sh: sourced, not run. A real SMTP server with an HTTP API, for the `email` action:
#   SMTP  127.0.0.1:1025 (AUTH accepted with any credentials, without TLS: the action's login is still sent)
#   HTTP  127.0.0.1:8025 (/api/v1/messages, /api/v1/message/<id>; tests read what the action sent there)
# Built with `go install github.com/axllent/mailpit@<version>` into the per-user cache (keyed by version) and linked
# into .local/bin. Messages live in .local/mailpit/mailpit.db (kept at most 5,000: tests never delete others' mail).
# Functions reach it at 10.62.0.1:1025 (the function network forwards to the loopback, dev/services/openfaas.sh).

MAILPIT_VERSION=v1.33.1
MAILPIT_MODULE=github.com/axllent/mailpit
MAILPIT_SMTP_PORT=1025
MAILPIT_HTTP_PORT=8025
MAILPIT_API="http://127.0.0.1:$MAILPIT_HTTP_PORT"
MAILPIT_BIN="$BIN_DIR/mailpit"
MAILPIT_PID="$RUN_DIR/mailpit.pid"
MAILPIT_LOG="$LOG_DIR/mailpit.log"

mailpit_installed() { [ -x "$MAILPIT_BIN" ] && [ "$(readlink "$MAILPIT_BIN")" = "$CACHE_DIR/mailpit/$MAILPIT_VERSION/mailpit" ]; }

# cached_build callback: the binary into folder $1.
mailpit_build_into() {
  ensure_go
  say "services: mailpit: go install $MAILPIT_MODULE@$MAILPIT_VERSION (first time on this machine)"
  local began=$SECONDS
  GOBIN="$1" GOFLAGS= CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" "$MAILPIT_MODULE@$MAILPIT_VERSION" \
    >"$LOG_DIR/mailpit-build.log" 2>&1 || fail mailpit "go install failed" "$LOG_DIR/mailpit-build.log"
  say "services: mailpit: built in $((SECONDS - began)) s"
}

mailpit_install() {
  mailpit_installed && return 0
  local dir
  dir="$(cached_build mailpit "$MAILPIT_VERSION" mailpit_build_into)" || exit 1
  link_bin "$dir/mailpit"
}

mailpit_healthy() { curl -fsS -m 2 -o /dev/null "$MAILPIT_API/readyz"; }

mailpit_up() {
  mailpit_install
  if ! pid_alive "$MAILPIT_PID"; then
    rm -f "$MAILPIT_PID"
    if ! port_free "$MAILPIT_SMTP_PORT" || ! port_free "$MAILPIT_HTTP_PORT"; then
      # Another checkout's mailpit: use it when it answers.
      mailpit_healthy >/dev/null 2>&1 \
        || fail mailpit "port $MAILPIT_SMTP_PORT or $MAILPIT_HTTP_PORT on 127.0.0.1 is taken by a process that is not mailpit"
      say "services: mailpit: using the mailpit already on $MAILPIT_API (not started from this checkout)"
      return 0
    fi
    mkdir -p "$LOCAL/mailpit"
    say "services: mailpit: starting (SMTP 127.0.0.1:$MAILPIT_SMTP_PORT, API $MAILPIT_API)"
    setsid "$MAILPIT_BIN" --smtp "127.0.0.1:$MAILPIT_SMTP_PORT" --listen "127.0.0.1:$MAILPIT_HTTP_PORT" \
      --database "$LOCAL/mailpit/mailpit.db" --max 5000 \
      --smtp-auth-accept-any --smtp-auth-allow-insecure --disable-version-check \
      </dev/null >>"$MAILPIT_LOG" 2>&1 &
    echo $! >"$MAILPIT_PID"
  fi
  local deadline=$(( $(date +%s) + 30 ))
  until mailpit_healthy >/dev/null 2>&1; do
    [ ! -f "$MAILPIT_PID" ] || started_alive "$MAILPIT_PID" || fail mailpit "the process exited" "$MAILPIT_LOG"
    [ "$(date +%s)" -lt "$deadline" ] || fail mailpit "GET /readyz did not answer 200 after 30 s" "$MAILPIT_LOG"
    sleep 0.2
  done
}

mailpit_down() { stop_pidfile mailpit "$MAILPIT_PID"; }

mailpit_status() {
  if ! mailpit_installed; then
    note mailpit "not installed ($MAILPIT_MODULE@$MAILPIT_VERSION)"
    return 1
  elif mailpit_healthy >/dev/null 2>&1; then
    note mailpit "up      smtp://127.0.0.1:$MAILPIT_SMTP_PORT, API $MAILPIT_API"
  else
    note mailpit "down"
    return 1
  fi
}
