# shellcheck shell=bash
# Python virtual environments for dev/services.sh: sourced, not run. One per requirements file, in the per-user cache
# keyed by the file's hash (shared by every clone, built once per machine): $CACHE_DIR/NAME/<hash>/venv.

# venv_dir NAME REQUIREMENTS: the environment's folder for this version of the requirements.
venv_dir() { printf '%s/%s/%s/venv\n' "$CACHE_DIR" "$1" "$(sha1sum "$2" | cut -c1-16)"; }

# venv_ready NAME REQUIREMENTS: true when the environment is complete.
venv_ready() { [ -f "$(dirname "$(venv_dir "$1" "$2")")/.complete" ]; }

# venv_install NAME REQUIREMENTS: builds the environment unless it is complete. A virtual environment cannot be moved
# (its scripts name their interpreter by path), so it is built in place, under a lock (two clones at once build it
# once), and marked complete last: an interrupted build is started over.
venv_install() {
  local name="$1" requirements="$2" dir log="$LOG_DIR/$1-install.log"
  venv_ready "$name" "$requirements" && return 0
  dir="$(dirname "$(venv_dir "$name" "$requirements")")"
  mkdir -p "$dir"
  (
    flock 9
    [ -f "$dir/.complete" ] && exit 0
    command -v python3 >/dev/null 2>&1 || apt_install python3 python3-venv
    python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || apt_install python3-venv   # Debian splits it out
    rm -rf "$dir/venv"
    say "services: $name: pip install -r ${requirements#"$ROOT"/} into $dir (first time on this machine: a few minutes)"
    local began=$SECONDS
    python3 -m venv "$dir/venv" >"$log" 2>&1 || fail "$name" "python3 -m venv failed (Debian: apt-get install python3-venv)" "$log"
    "$dir/venv/bin/pip" install -q --disable-pip-version-check --no-cache-dir -r "$requirements" >>"$log" 2>&1 \
      || fail "$name" "pip install failed" "$log"
    touch "$dir/.complete"
    say "services: $name: installed in $((SECONDS - began)) s ($(du -sh "$dir/venv" | cut -f1))"
  ) 9>"$dir.lock" || exit 1
}
