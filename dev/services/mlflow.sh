# shellcheck shell=bash
# MLflow tracking server for dev/services.sh: sourced, not run. Where the training function (functions/action-train)
# logs its runs and registers its models, as the owner ran MLflow:
#   http://127.0.0.1:5000 (UI and REST API; functions reach it at 10.62.0.1:5000)
#   backend store: PostgreSQL database `mlflow` (created here, owned by the dataplatform role)
#   artifacts: .local/mlflow/artifacts, served by the server itself (`mlflow-artifacts:/`), so a client needs no disk
# The virtual environment is the training function's (functions/action-train/requirements.txt), in the per-user cache.

MLFLOW_PORT=5000
MLFLOW_URL="http://127.0.0.1:$MLFLOW_PORT"
MLFLOW_REQUIREMENTS="$ROOT/functions/action-train/requirements.txt"
MLFLOW_PID="$RUN_DIR/mlflow.pid"
MLFLOW_LOG="$LOG_DIR/mlflow.log"
MLFLOW_DB_URL="postgresql+psycopg2://dataplatform:dataplatform@127.0.0.1:$PG_PORT/mlflow"

mlflow_install() { venv_install mlflow "$MLFLOW_REQUIREMENTS"; }

mlflow_healthy() { curl -fsS -m 2 -o /dev/null "$MLFLOW_URL/health"; }

# The backend store's database, made once by the platform's role (it may create databases locally).
mlflow_database() {
  local exists
  exists="$(PGPASSWORD=dataplatform "$PG_BIN/psql" -X -q -At -h 127.0.0.1 -p "$PG_PORT" -U dataplatform -d dataplatform \
    -c "select 1 from pg_database where datname = 'mlflow'")" || fail mlflow "cannot ask PostgreSQL for the mlflow database"
  [ "$exists" = 1 ] && return 0
  PGPASSWORD=dataplatform "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U dataplatform mlflow \
    || fail mlflow "cannot create the mlflow database"
}

mlflow_up() {
  mlflow_install
  if ! pid_alive "$MLFLOW_PID"; then
    rm -f "$MLFLOW_PID"
    if ! port_free "$MLFLOW_PORT"; then
      mlflow_healthy >/dev/null 2>&1 || fail mlflow "port $MLFLOW_PORT on 127.0.0.1 is taken by a process that is not MLflow"
      say "services: mlflow: using the server already on $MLFLOW_URL (not started from this checkout)"
      return 0
    fi
    mlflow_database
    mkdir -p "$LOCAL/mlflow/artifacts"
    say "services: mlflow: starting on $MLFLOW_URL (backend PostgreSQL database mlflow)"
    # One worker is plenty for one trainer; --allowed-hosts names how functions reach it (10.62.0.1, gateway).
    MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true \
      setsid "$(venv_dir mlflow "$MLFLOW_REQUIREMENTS")/bin/mlflow" server --host 127.0.0.1 --port "$MLFLOW_PORT" --workers 1 \
      --backend-store-uri "$MLFLOW_DB_URL" --artifacts-destination "$LOCAL/mlflow/artifacts" --serve-artifacts \
      --allowed-hosts "127.0.0.1:$MLFLOW_PORT,localhost:$MLFLOW_PORT,10.62.0.1:$MLFLOW_PORT,gateway:$MLFLOW_PORT" \
      </dev/null >>"$MLFLOW_LOG" 2>&1 &
    echo $! >"$MLFLOW_PID"
  fi
  # The first start migrates the backend store's schema: up to a minute or two on a busy machine.
  local deadline=$(( $(date +%s) + 180 ))
  until mlflow_healthy >/dev/null 2>&1; do
    [ ! -f "$MLFLOW_PID" ] || started_alive "$MLFLOW_PID" || fail mlflow "the process exited" "$MLFLOW_LOG"
    [ "$(date +%s)" -lt "$deadline" ] || fail mlflow "GET /health did not answer 200 after 180 s" "$MLFLOW_LOG"
    sleep 0.5
  done
}

# The server runs its web workers as children in its own process group (setsid): stop the group.
mlflow_down() {
  if pid_alive "$MLFLOW_PID"; then kill -TERM -- "-$(cat "$MLFLOW_PID")" 2>/dev/null || true; fi
  stop_pidfile mlflow "$MLFLOW_PID"
}

mlflow_status() {
  if ! venv_ready mlflow "$MLFLOW_REQUIREMENTS"; then
    note mlflow "not installed ($MLFLOW_REQUIREMENTS)"
    return 1
  elif mlflow_healthy >/dev/null 2>&1; then
    note mlflow "up      $MLFLOW_URL (backend PostgreSQL database mlflow, artifacts .local/mlflow/artifacts)"
  else
    note mlflow "down"
    return 1
  fi
}
