#!/usr/bin/env bash
# `npm start [-- --once] [--port N] [--timeout S] [--no-batch]`: the whole platform on this machine.
#   services up (PostgreSQL, FerretDB, OpenBao, watchdog) → npm run build → dev/start/main.ts, which migrates,
#   seeds dev-only secrets, deploys metadata, generates the TST01 test data, starts the local gateway with every
#   function of stack.yml, runs one TST01 batch from landing to gold and prints a summary. Without --once the
#   platform keeps running (the gateway's cron fires the scheduler every minute) until Ctrl-C.
# See docs/operate.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

step() { printf '▸ %-11s %s\n' "$1" "$2"; }

step services "starting (first run installs and builds them; later runs take seconds)"
if ! services_log="$(bash dev/services.sh up 2>&1)"; then
  printf '%s\n' "$services_log"
  exit 1
fi

step build "bundling functions/* into build/functions/"
if ! build_log="$(npx tsx dev/build.ts 2>&1)"; then
  printf '%s\n' "$build_log"
  exit 1
fi
printf '  %s\n' "$(printf '%s\n' "$build_log" | tail -n 1)"

exec npx tsx dev/start/main.ts "$@"
