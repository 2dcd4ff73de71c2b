#!/usr/bin/env bash
# `npm start [-- --once] [--timeout S] [--no-batch]`: the whole platform on this machine.
#   services up (npm packages, PostgreSQL, FerretDB, OpenBao, the OpenFaaS stack) → npm run build (bundles and local
#   images) → dev/start/main.ts, which migrates, seeds dev-only secrets, deploys metadata, generates the TST01 test
#   data, deploys stack.yml with faas-cli, runs one TST01 batch from landing to gold and prints a summary. The platform
#   keeps running in the background (cron-connector fires the scheduler every minute); without --once this reports its
#   runs until Ctrl-C.
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

step build "bundling functions/* into build/functions/ and their images"
if ! build_log="$(node --import tsx dev/build.ts 2>&1)"; then
  printf '%s\n' "$build_log"
  exit 1
fi
printf '  %s\n' "$(printf '%s\n' "$build_log" | tail -n 1)"

exec node --import tsx dev/start/main.ts "$@"
