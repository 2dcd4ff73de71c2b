#!/usr/bin/env bash
# The README's test command (`npm test`): brings up the local services it needs, builds the function bundles,
# runs lint and type check, then every test (unit, integration, end-to-end).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci
bash dev/services.sh up
npm run --silent build
npm run --silent check
(cd dev/watchdog && go test ./...)
npx vitest run "$@"
