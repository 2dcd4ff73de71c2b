# shellcheck shell=bash
# PostgreSQL 15 (Debian's postgresql-15) for dev/services.sh: sourced, not run.
# Runs as the `postgres` system user (PostgreSQL refuses root), data in .local/postgres, port 55432 on 127.0.0.1,
# socket under .local/run. Roles/databases: `dataplatform` (password `dataplatform`, CREATEDB) owning the
# databases `dataplatform` and `ferretdb` (the latter is FerretDB's storage).

PG_PORT=55432
PG_BIN=/usr/lib/postgresql/15/bin
PG_DATA="$LOCAL/postgres"
PG_SOCK="$RUN_DIR/postgres"
PG_LOG="$LOG_DIR/postgres.log"

# Runs a command as the postgres user when we are root; a non-root developer runs PostgreSQL as themself.
# From / : the checkout itself may be out of the postgres user's reach (see pg_pick_dirs).
as_pg() {
  if is_root; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

pg_install() {
  [ -x "$PG_BIN/postgres" ] || apt_install postgresql-15
  command -v runuser >/dev/null 2>&1 || apt_install util-linux
  if is_root && ! id postgres >/dev/null 2>&1; then
    fail postgres "the postgres system user is missing (it comes with postgresql-common)"
  fi
}

# The postgres user must be able to reach its folders. A clone under a private folder (e.g. /root, mode 700)
# is not reachable, so there the data, socket and log live under /var/tmp instead, one folder per clone.
pg_pick_dirs() {
  is_root || return 0
  if ! runuser -u postgres -- test -x "$LOCAL"; then
    local alt
    alt="/var/tmp/dataplatform-$(printf '%s' "$ROOT" | sha1sum | cut -c1-12)"
    PG_DATA="$alt/postgres"
    PG_SOCK="$alt/run"
    PG_LOG="$alt/postgres.log"
    mkdir -p "$alt"
    chmod 755 "$alt"
  fi
}

pg_settings() {
  cat <<CONF
# Written by dev/services.sh on every \`up\`; edit there, not here.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCK'
max_connections = 200
# Modest tuning for tests and benchmarks on a 2-core / 24 GiB machine; durability settings stay at defaults.
shared_buffers = 512MB
work_mem = 16MB
maintenance_work_mem = 256MB
effective_cache_size = 4GB
max_wal_size = 4GB
checkpoint_timeout = 15min
random_page_cost = 1.1
log_timezone = 'UTC'
timezone = 'UTC'
log_line_prefix = '%m [%p] %u@%d '
log_min_duration_statement = 2000
CONF
}

# The postmaster's pid is the first line of postmaster.pid (readable by root and by the owner).
pg_running() {
  local pid
  pid="$(head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null)" || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  [ ! -r "/proc/$pid/cmdline" ] || tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q postgres
}
pg_ready() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 2; }

pg_login_works() {
  PGPASSWORD=dataplatform PGCONNECT_TIMEOUT=3 "$PG_BIN/psql" -X -q -At -h 127.0.0.1 -p "$PG_PORT" \
    -U dataplatform -d dataplatform -c 'select 1' >/dev/null 2>&1
}

pg_psql() {
  as_pg "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d postgres "$@"
}

pg_init() {
  [ -s "$PG_DATA/PG_VERSION" ] && return 0
  say "services: postgres: initdb $PG_DATA"
  mkdir -p "$PG_DATA"
  is_root && chown postgres:postgres "$PG_DATA"
  chmod 700 "$PG_DATA"
  as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >"$LOG_DIR/postgres-initdb.log" 2>&1 \
    || fail postgres "initdb failed" "$LOG_DIR/postgres-initdb.log"
  printf "\ninclude 'dataplatform.conf'\n" | as_pg tee -a "$PG_DATA/postgresql.conf" >/dev/null
}

pg_up() {
  pg_install
  pg_pick_dirs
  pg_init
  mkdir -p "$PG_SOCK"
  touch "$PG_LOG"
  if is_root; then chown postgres:postgres "$PG_SOCK" "$PG_LOG"; fi
  chmod 700 "$PG_SOCK"

  local conf="$PG_DATA/dataplatform.conf" wanted changed=0
  wanted="$(pg_settings)"
  if [ "$(cat "$conf" 2>/dev/null)" != "$wanted" ]; then
    printf '%s\n' "$wanted" | as_pg tee "$conf" >/dev/null
    changed=1
  fi

  # Functions run in network namespaces on the bridge 10.62.0.0/16 (dev/services/openfaas.sh) and reach this
  # server through 10.62.0.1, so their connections come from there.
  local hba="$PG_DATA/pg_hba.conf" rule='host all all 10.62.0.0/16 scram-sha-256'
  if ! as_pg grep -qxF "$rule" "$hba"; then
    printf '# Functions on the local OpenFaaS bridge (dev/services.sh)\n%s\n' "$rule" | as_pg tee -a "$hba" >/dev/null
    changed=1
  fi

  local started=1
  if pg_running; then
    started="$changed"
    if [ "$changed" -eq 1 ]; then
      say "services: postgres: settings changed, restarting"
      as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 -m fast restart >/dev/null \
        || fail postgres "restart failed" "$PG_LOG"
    fi
  elif ! port_free "$PG_PORT"; then
    # Another checkout's PostgreSQL (a second clone, a CI run): use it when it takes our credentials.
    pg_login_works || fail postgres "port $PG_PORT on 127.0.0.1 is taken by a process that is not our PostgreSQL"
    say "services: postgres: using the PostgreSQL already on 127.0.0.1:$PG_PORT (not started from this checkout)"
    return 0
  else
    say "services: postgres: starting on 127.0.0.1:$PG_PORT"
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start >/dev/null \
      || fail postgres "pg_ctl start failed" "$PG_LOG"
  fi
  wait_until 30 pg_ready || fail postgres "not accepting connections on 127.0.0.1:$PG_PORT" "$PG_LOG"

  # Idempotent bootstrap, once per start: only creates what is missing.
  [ "$started" -eq 1 ] || return 0
  local bootlog="$LOG_DIR/postgres-bootstrap.log"
  pg_psql >/dev/null 2>"$bootlog" <<'SQL' || fail postgres "creating roles/databases failed" "$bootlog"
SELECT format('CREATE ROLE dataplatform LOGIN CREATEDB PASSWORD %L', 'dataplatform')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dataplatform')
\gexec
SELECT 'CREATE DATABASE dataplatform OWNER dataplatform'
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'dataplatform')
\gexec
SELECT 'CREATE DATABASE ferretdb OWNER dataplatform'
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'ferretdb')
\gexec
-- Least privilege (docs/security.md): a read-only role for the dashboard; migrations grant it read access.
SELECT 'CREATE ROLE dataplatform_reader NOLOGIN'
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dataplatform_reader')
\gexec
SELECT format('CREATE ROLE dataplatform_dashboard LOGIN PASSWORD %L IN ROLE dataplatform_reader', 'dataplatform_dashboard')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dataplatform_dashboard')
\gexec
-- Tests drop their throw-away databases WITH (FORCE); an autovacuum worker in one has no role, and only
-- pg_signal_backend may end it. Local development role only: production roles need no such grant.
GRANT pg_signal_backend TO dataplatform;
SQL
}

pg_down() {
  pg_pick_dirs
  if pg_running; then
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -w -t 60 -m fast stop >/dev/null \
      || fail postgres "pg_ctl stop failed" "$PG_LOG"
    say "services: postgres stopped"
  fi
}

pg_status() {
  pg_pick_dirs
  if [ ! -x "$PG_BIN/postgres" ]; then
    note postgres "not installed (postgresql-15)"
  elif pg_ready; then
    note postgres "up      postgres://dataplatform:dataplatform@127.0.0.1:$PG_PORT/dataplatform (data $PG_DATA)"
  else
    note postgres "down"
    return 1
  fi
}
