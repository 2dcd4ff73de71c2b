# shellcheck shell=bash
# The OpenFaaS watchdog for dev/services.sh: sourced, not run. Not a service itself: the local gateway starts
# one watchdog per function. This makes .local/bin/watchdog point at the one to use:
#   - the real of-watchdog (and faas-cli) when the Go module proxy serves them (pinned by commit), else
#   - the project's stand-in, dev/watchdog, built into .local/bin/dataplatform-watchdog.
# A refused download is remembered for a day (.local/bin/.<tool>-unavailable) so `up` stays quick;
# delete that file to try again at once.

OF_WATCHDOG_MODULE=github.com/openfaas/of-watchdog@9bdadb1e8c68ae1016ac1a35906cd2acaa53169a
FAAS_CLI_MODULE=github.com/openfaas/faas-cli@c8191b71e7edf10be3b660ddcaee52c11de79238
WATCHDOG_SRC="$ROOT/dev/watchdog"
STANDIN_BIN="$BIN_DIR/dataplatform-watchdog"

# try_go_install NAME MODULE: one quiet attempt, unless one failed during the last day.
try_go_install() {
  local name="$1" module="$2" marker="$BIN_DIR/.$1-unavailable"
  [ -x "$BIN_DIR/$name" ] && return 0
  if [ -f "$marker" ] && [ -n "$(find "$marker" -mmin -1440 2>/dev/null)" ]; then
    return 1
  fi
  if GOBIN="$BIN_DIR" GOFLAGS= timeout 60 go install "$module" >"$LOG_DIR/$name-install.log" 2>&1; then
    rm -f "$marker"
    return 0
  fi
  say "services: $name cannot be installed here (see $LOG_DIR/$name-install.log); going on without it"
  touch "$marker"
  return 1
}

standin_hash() { cat "$WATCHDOG_SRC/go.mod" "$WATCHDOG_SRC"/*.go | sha1sum | cut -c1-40; }

standin_build() {
  local want
  want="$(standin_hash)"
  [ -x "$STANDIN_BIN" ] && [ "$(cat "$STANDIN_BIN.stamp" 2>/dev/null)" = "$want" ] && return 0
  ensure_go
  say "services: watchdog: building the stand-in $STANDIN_BIN"
  local began=$SECONDS
  (cd "$WATCHDOG_SRC" && go build -trimpath -buildvcs=false -o "$STANDIN_BIN.tmp" .) >"$LOG_DIR/watchdog-build.log" 2>&1 \
    || fail watchdog "go build of dev/watchdog failed" "$LOG_DIR/watchdog-build.log"
  mv -f "$STANDIN_BIN.tmp" "$STANDIN_BIN"
  printf '%s\n' "$want" >"$STANDIN_BIN.stamp"
  say "services: watchdog: built in $((SECONDS - began)) s"
}

watchdog_install() {
  ensure_go
  try_go_install faas-cli "$FAAS_CLI_MODULE" || true
  local target=dataplatform-watchdog
  if try_go_install of-watchdog "$OF_WATCHDOG_MODULE"; then
    target=of-watchdog
  fi
  # The stand-in is built either way: its tests and the local gateway's may pin it.
  standin_build
  if [ "$(readlink "$BIN_DIR/watchdog" 2>/dev/null)" != "$target" ]; then
    ln -sfn "$target" "$BIN_DIR/watchdog"
  fi
}

watchdog_status() {
  local target
  target="$(readlink "$BIN_DIR/watchdog" 2>/dev/null || true)"
  if [ -z "$target" ]; then
    note watchdog "not installed (run up)"
    return 1
  fi
  note watchdog "$BIN_DIR/watchdog -> $target"
  local missing=()
  [ -x "$BIN_DIR/of-watchdog" ] || missing+=(of-watchdog)
  [ -x "$BIN_DIR/faas-cli" ] || missing+=(faas-cli)
  if [ "${#missing[@]}" -gt 0 ]; then
    note "" "${missing[*]} unavailable here (the Go module proxy refuses github.com/openfaas/*)"
  fi
}
