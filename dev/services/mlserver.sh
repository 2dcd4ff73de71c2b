# shellcheck shell=bash
# MLServer for dev/services.sh: sourced, not run. Serves the champion of the glucose forecast (the model version with
# the MLflow alias `champion`) over the V2 inference protocol, as the owner ran MLServer:
#   http://127.0.0.1:8085/v2/models/glucose_forecast/infer (functions reach it at 10.62.0.1:8085; gRPC 8086, metrics 8087)
# The model is read from MLflow (`models:/glucose_forecast@champion`, MLFLOW_TRACKING_URI), so MLflow starts first.
# Models are not loaded at start (MLServer exits when one fails to load, and there is no champion before the first
# training): `up` asks for a load once the server answers, and the training function asks again when it moves the
# champion (POST /v2/repository/models/glucose_forecast/load reloads it).

MLSERVER_PORT=8085
MLSERVER_URL="http://127.0.0.1:$MLSERVER_PORT"
MLSERVER_MODEL=glucose_forecast
MLSERVER_REQUIREMENTS="$ROOT/dev/services/mlserver-requirements.txt"
MLSERVER_DIR="$LOCAL/mlserver"
MLSERVER_PID="$RUN_DIR/mlserver.pid"
MLSERVER_LOG="$LOG_DIR/mlserver.log"

mlserver_install() { venv_install mlserver "$MLSERVER_REQUIREMENTS"; }

mlserver_healthy() { curl -fsS -m 2 -o /dev/null "$MLSERVER_URL/v2/health/live"; }

# The model repository MLServer reads at start: its settings and the one model.
mlserver_repository() {
  mkdir -p "$MLSERVER_DIR/models/$MLSERVER_MODEL"
  cat >"$MLSERVER_DIR/models/settings.json" <<JSON
{"host": "127.0.0.1", "http_port": $MLSERVER_PORT, "grpc_port": 8086, "metrics_port": 8087, "parallel_workers": 0, "load_models_at_startup": false}
JSON
  cat >"$MLSERVER_DIR/models/$MLSERVER_MODEL/model-settings.json" <<JSON
{"name": "$MLSERVER_MODEL", "implementation": "mlserver_mlflow.MLflowRuntime", "parameters": {"uri": "models:/$MLSERVER_MODEL@champion"}}
JSON
}

mlserver_up() {
  mlserver_install
  if ! pid_alive "$MLSERVER_PID"; then
    rm -f "$MLSERVER_PID"
    if ! port_free "$MLSERVER_PORT"; then
      mlserver_healthy >/dev/null 2>&1 || fail mlserver "port $MLSERVER_PORT on 127.0.0.1 is taken by a process that is not MLServer"
      say "services: mlserver: using the server already on $MLSERVER_URL (not started from this checkout)"
      return 0
    fi
    mlserver_repository
    say "services: mlserver: starting on $MLSERVER_URL (model $MLSERVER_MODEL from $MLFLOW_URL)"
    (cd "$MLSERVER_DIR/models" && MLFLOW_TRACKING_URI="$MLFLOW_URL" MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true \
      exec setsid "$(venv_dir mlserver "$MLSERVER_REQUIREMENTS")/bin/mlserver" start . </dev/null >>"$MLSERVER_LOG" 2>&1) &
    echo $! >"$MLSERVER_PID"
  fi
  local deadline=$(( $(date +%s) + 90 ))
  until mlserver_healthy >/dev/null 2>&1; do
    [ ! -f "$MLSERVER_PID" ] || started_alive "$MLSERVER_PID" || fail mlserver "the process exited" "$MLSERVER_LOG"
    [ "$(date +%s)" -lt "$deadline" ] || fail mlserver "GET /v2/health/live did not answer 200 after 90 s" "$MLSERVER_LOG"
    sleep 0.5
  done
  if curl -fsS -m 30 -o /dev/null -X POST "$MLSERVER_URL/v2/repository/models/$MLSERVER_MODEL/load" 2>/dev/null; then
    note mlserver "serving the champion of $MLSERVER_MODEL"
  else
    note mlserver "no champion of $MLSERVER_MODEL to serve yet (the training action makes one)"
  fi
}

mlserver_down() { stop_pidfile mlserver "$MLSERVER_PID"; }

mlserver_status() {
  if ! venv_ready mlserver "$MLSERVER_REQUIREMENTS"; then
    note mlserver "not installed ($MLSERVER_REQUIREMENTS)"
    return 1
  elif mlserver_healthy >/dev/null 2>&1; then
    note mlserver "up      $MLSERVER_URL (V2 inference, model $MLSERVER_MODEL)"
  else
    note mlserver "down"
    return 1
  fi
}
