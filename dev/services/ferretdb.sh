# shellcheck shell=bash
# FerretDB v1.24.2 for dev/services.sh: sourced, not run.
# Built from dev/ferretdb (a tiny main embedding github.com/FerretDB/FerretDB/ferretdb) into the per-user cache
# (keyed by the hash of its sources; .local/bin/ferretdb links to it), rebuilt when its sources change; serves the MongoDB wire protocol on 127.0.0.1:27017 over the PostgreSQL
# database `ferretdb`. Logs only errors unless FERRETDB_LOG_LEVEL says otherwise (info logs every connection).

FERRET_ADDR=127.0.0.1:27017
FERRET_PORT=27017
FERRET_URL="mongodb://$FERRET_ADDR/?directConnection=true"
FERRET_BIN="$BIN_DIR/ferretdb"
FERRET_SRC="$ROOT/dev/ferretdb"
FERRET_PID="$RUN_DIR/ferretdb.pid"
FERRET_LOG="$LOG_DIR/ferretdb.log"
FERRET_REBUILT=0   # set by ferret_install: a running FerretDB must then restart on the new binary

ferret_src_hash() { cat "$FERRET_SRC/main.go" "$FERRET_SRC/go.mod" "$FERRET_SRC/go.sum" | sha1sum | cut -c1-16; }

# True when .local/bin/ferretdb is missing or was built from other sources.
ferret_stale() { [ "$(readlink "$FERRET_BIN" 2>/dev/null)" != "$CACHE_DIR/ferretdb/$(ferret_src_hash)/ferretdb" ] || [ ! -x "$FERRET_BIN" ]; }

# cached_build callback: the binary into folder $1.
ferret_build_into() {
  ensure_go
  say "services: ferretdb: building v1.24.2 into $CACHE_DIR/ferretdb (first time on this machine: a few minutes)"
  local began=$SECONDS
  # SQLite is not used here; leaving it out halves the build.
  (cd "$FERRET_SRC" && GOFLAGS=-mod=readonly go build -trimpath -buildvcs=false -tags ferretdb_no_sqlite -o "$1/ferretdb" .) \
    >"$LOG_DIR/ferretdb-build.log" 2>&1 || fail ferretdb "go build failed" "$LOG_DIR/ferretdb-build.log"
  say "services: ferretdb: built in $((SECONDS - began)) s"
}

ferret_install() {
  ferret_stale || return 0
  local dir
  dir="$(cached_build ferretdb "$(ferret_src_hash)" ferret_build_into)" || exit 1
  link_bin "$dir/ferretdb"
  FERRET_REBUILT=1
}

# A real `ping` over the wire protocol (dev/services/mongo-ping.mjs needs only node).
ferret_ping() { node "$ROOT/dev/services/mongo-ping.mjs" "$FERRET_ADDR"; }

ferret_up() {
  ferret_install
  if pid_alive "$FERRET_PID" && [ "$FERRET_REBUILT" -eq 1 ]; then
    say "services: ferretdb: binary rebuilt, restarting"
    stop_pidfile ferretdb "$FERRET_PID"
  fi
  if ! pid_alive "$FERRET_PID"; then
    rm -f "$FERRET_PID"
    if ! port_free "$FERRET_PORT"; then
      # Another checkout's FerretDB: use it when it answers ping.
      ferret_ping >/dev/null 2>&1 \
        || fail ferretdb "port $FERRET_PORT on 127.0.0.1 is taken by a process that does not answer ping"
      say "services: ferretdb: using the FerretDB already on $FERRET_ADDR (not started from this checkout)"
      return 0
    fi
    say "services: ferretdb: starting on $FERRET_ADDR"
    # setsid: keep it running after the calling shell's process group ends.
    FERRETDB_LISTEN_ADDR="$FERRET_ADDR" \
      FERRETDB_POSTGRESQL_URL="postgres://dataplatform:dataplatform@127.0.0.1:$PG_PORT/ferretdb" \
      FERRETDB_LOG_LEVEL="${FERRETDB_LOG_LEVEL:-error}" \
      setsid "$FERRET_BIN" </dev/null >>"$FERRET_LOG" 2>&1 &
    echo $! >"$FERRET_PID"
  fi
  local deadline=$(( $(date +%s) + 30 ))
  until ferret_ping >/dev/null 2>&1; do
    started_alive "$FERRET_PID" || fail ferretdb "the process exited" "$FERRET_LOG"
    [ "$(date +%s)" -lt "$deadline" ] || fail ferretdb "no answer to ping on $FERRET_ADDR after 30 s" "$FERRET_LOG"
    sleep 0.2
  done
}

ferret_down() { stop_pidfile ferretdb "$FERRET_PID"; }

ferret_status() {
  if [ ! -x "$FERRET_BIN" ]; then
    note ferretdb "not built (dev/ferretdb → $FERRET_BIN)"
    return 1
  elif ferret_ping >/dev/null 2>&1; then
    note ferretdb "up      $FERRET_URL"
  else
    note ferretdb "down"
    return 1
  fi
}
