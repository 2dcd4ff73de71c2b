# shellcheck shell=bash
# Shared helpers for dev/services.sh (sourced, not run). Every service keeps its data, logs, pid files and
# binaries under .local/ (git-ignored) and listens on 127.0.0.1 only.

ROOT="${ROOT:?ROOT must be set by dev/services.sh}"
LOCAL="$ROOT/.local"
BIN_DIR="$LOCAL/bin"
LOG_DIR="$LOCAL/log"
RUN_DIR="$LOCAL/run"
# Built binaries and virtual environments, per user and keyed by version, shared by every clone: a fresh clone (a CI
# run) links them into its .local/bin instead of building them again. DATAPLATFORM_CACHE moves it.
CACHE_DIR="${DATAPLATFORM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dataplatform}"

# Go's tarball install lives here; a non-login shell (CI) may not have it on PATH.
case ":$PATH:" in
  *:/usr/local/go/bin:*) ;;
  *) if [ -d /usr/local/go/bin ]; then PATH="$PATH:/usr/local/go/bin"; fi ;;
esac

# apt-get update is slow (~10-30 s): run it at most once per invocation, and only when something is missing.
APT_UPDATED=0

say() { printf '%s\n' "$*"; }
note() { printf '  %-22s %s\n' "$1" "$2"; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# Prints the last lines of a log to stderr, so a failure shows why without opening files.
show_log_tail() {
  local file="$1"
  if [ -s "$file" ]; then
    printf -- '--- last lines of %s ---\n' "$file" >&2
    tail -n 25 "$file" | cut -c1-400 >&2   # some services log very long lines
    printf -- '---\n' >&2
  else
    printf -- '(log %s is empty or missing)\n' "$file" >&2
  fi
}

# fail SERVICE REASON [LOG]: names the service and the reason, shows its log tail, and stops the script.
fail() {
  local service="$1" reason="$2" logfile="${3:-}"
  printf 'services: %s failed: %s\n' "$service" "$reason" >&2
  [ -n "$logfile" ] && show_log_tail "$logfile"
  exit 1
}

# apt_install PKG...: installs Debian packages (needs root), updating the package lists once first.
apt_install() {
  if ! is_root; then
    printf 'services: missing packages (%s); run as root or install them: apt-get install %s\n' "$*" "$*" >&2
    exit 1
  fi
  if [ "$APT_UPDATED" -eq 0 ]; then
    say "services: apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || fail apt "apt-get update failed"
    APT_UPDATED=1
  fi
  say "services: apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
    || fail apt "apt-get install $* failed"
}

ensure_go() {
  command -v go >/dev/null 2>&1 && return 0
  # Debian's golang-go is older than some go.mod files ask; Go >= 1.21 then fetches the right toolchain itself.
  apt_install golang-go ca-certificates
}

# cached_build NAME KEY BUILD_FUNCTION: makes $CACHE_DIR/NAME/KEY/ hold what BUILD_FUNCTION builds into the folder
# it is given (the folder is filled beside and renamed into place, so an interrupted build leaves nothing behind).
# KEY names the version (a module@commit, a source hash); an existing folder is reused as is. Prints the folder.
cached_build() {
  local name="$1" key="$2" build="$3" dir tmp
  dir="$CACHE_DIR/$name/$key"
  if [ ! -f "$dir/.complete" ]; then
    mkdir -p "$CACHE_DIR/$name"
    tmp="$(mktemp -d "$CACHE_DIR/$name/.build-XXXXXX")"
    if ! "$build" "$tmp" >&2; then
      rm -rf "$tmp"
      return 1
    fi
    touch "$tmp/.complete"
    rm -rf "$dir"
    mv "$tmp" "$dir"
  fi
  printf '%s\n' "$dir"
}

# link_bin TARGET [NAME]: .local/bin/NAME (default: TARGET's file name) points at TARGET.
link_bin() {
  local target="$1" name="${2:-$(basename "$1")}"
  [ "$(readlink "$BIN_DIR/$name" 2>/dev/null)" = "$target" ] || ln -sfn "$target" "$BIN_DIR/$name"
}

# The npm packages (`npm ci`) when node_modules is missing or was installed from another package-lock.json: the
# provider and every npm script need them, and a fresh clone has none.
ensure_node_packages() {
  local want stamp="$ROOT/node_modules/.dataplatform-lock-sha1"
  want="$(sha1sum "$ROOT/package-lock.json" | cut -c1-40)"
  [ -d "$ROOT/node_modules" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && return 0
  say "services: npm ci (node_modules missing or stale)"
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error) >"$LOG_DIR/npm-ci.log" 2>&1 || fail npm "npm ci failed" "$LOG_DIR/npm-ci.log"
  printf '%s\n' "$want" >"$stamp"
}

# ensure_cmd CMD PKG: installs PKG when CMD is not on PATH.
ensure_cmd() { command -v "$1" >/dev/null 2>&1 || apt_install "$2"; }

# pid_alive PIDFILE: true when the pid file names a running process whose command line mentions the pid
# file's name (ferretdb.pid → ferretdb), so a pid reused after a reboot does not pass for the service.
pid_alive() {
  local pid name
  [ -s "$1" ] || return 1
  pid="$(cat "$1")"
  name="$(basename "$1" .pid)"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  [ ! -r "/proc/$pid/cmdline" ] || tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$name"
}

# started_alive PIDFILE: true while the process this script just started exists. Not pid_alive: between the fork
# and the exec its command line is still this shell's, which does not name the service, and a loaded machine
# lingers there long enough to fail a start that is going well. A child that exited stays a zombie until this
# shell waits for it: that counts as exited.
started_alive() {
  local pid
  [ -s "$1" ] || return 1
  pid="$(cat "$1")"
  kill -0 "$pid" 2>/dev/null && ! grep -q '^[0-9]* (.*) Z' "/proc/$pid/stat" 2>/dev/null
}

# stop_pidfile NAME PIDFILE: SIGTERM, wait up to 10 s, then SIGKILL; removes the pid file.
stop_pidfile() {
  local name="$1" file="$2" pid i
  if pid_alive "$file"; then
    pid="$(cat "$file")"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
    say "services: $name stopped"
  fi
  rm -f "$file"
}

# wait_until SECONDS CMD...: retries CMD every 0.2 s until it succeeds or time runs out.
wait_until() {
  local seconds="$1" deadline
  shift
  deadline=$(( $(date +%s) + seconds ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# port_free PORT: true when nothing listens on 127.0.0.1:PORT.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
