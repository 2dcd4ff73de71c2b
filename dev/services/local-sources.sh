# shellcheck shell=bash
# The fake sources for dev/services.sh: sourced, not run. `npm start` starts them once the dev secrets are in OpenBao
# (they accept those values: dev/fakes/local-sources.ts), in the background like the platform; `down` stops them with
# the platform, `status` shows them. The fake Nightscout listens on 127.0.0.1:1337, the fake bunq on 127.0.0.1:1338
# (API at /v1); functions reach them at 10.62.0.1 (dev/services/openfaas.sh forwards the function network).

LOCAL_SOURCES_PID="$RUN_DIR/local-sources.pid"

local_sources_down() { stop_pidfile "fake sources" "$LOCAL_SOURCES_PID"; }

# Not running is no failure: only npm start runs them.
local_sources_status() {
  if pid_alive "$LOCAL_SOURCES_PID"; then
    note "fake sources" "up      Nightscout http://127.0.0.1:1337, bunq http://127.0.0.1:1338/v1 (NSC01, BNQ01)"
  else
    note "fake sources" "down    (npm start starts them)"
  fi
}
