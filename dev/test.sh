#!/usr/bin/env bash
# The README's test command (`npm test`): installs what is missing (npm packages, Debian packages, the services'
# binaries) and brings up the local services with the OpenFaaS stack, builds the functions and their images, runs lint
# and type check, then every test (unit, integration, end-to-end through the real gateway).
set -euo pipefail
cd "$(dirname "$0")/.."
bash dev/services.sh up
npm run --silent build
npm run --silent check
npx vitest run "$@"
