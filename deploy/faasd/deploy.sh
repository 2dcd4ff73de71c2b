#!/usr/bin/env bash
# Deploys the platform to a faasd (or OpenFaaS) gateway, in the order a new version needs: the OpenFaaS secrets, the
# migrations and the metadata (one-shot steps: a failure stops the deploy before any function changes), then
# `faas-cli deploy -f stack.yml` with PLATFORM_ENV=production. The CI/CD workflow (.github/workflows/delivery.yml) runs
# this script; so does a person deploying by hand (docs/deploy.md). Run it from the checkout, on a machine that reaches
# the gateway and the databases (the faasd host itself).
#
# Needs: faas-cli on PATH (bash dev/services.sh faas-cli links one into .local/bin), node 20 and `npm ci`.
#   OPENFAAS_URL         the gateway (default http://127.0.0.1:8080)
#   OPENFAAS_PASSWORD    the gateway's admin password (faasd: /var/lib/faasd/secrets/basic-auth-password); also
#                        stored as dataplatform-gateway-password, which the dashboard reads function logs with
#   REGISTRY, TAG        where the images are: ${REGISTRY}/dataplatform-<function>:${TAG}
# Secrets, each stored as an OpenFaaS secret when given (create or update), else left as they are on the gateway:
#   DATABASE_URL                 → dataplatform-database-url (also what the migrations use)
#   DASHBOARD_DATABASE_URL       → dataplatform-dashboard-database-url (the read-only login)
#   MONGODB_URL                  → dataplatform-mongodb-url (also what the metadata deploy uses)
#   VAULT_TOKEN                  → dataplatform-vault-token (a token limited to secret/data/dataplatform/*)
#   DATAPLATFORM_CALL_TOKEN      → dataplatform-call-token
# Plain settings passed to stack.yml: VAULT_ADDR (default http://10.62.0.1:8200), MLFLOW_TRACKING_URI (default
# http://10.62.0.1:5000) and MLSERVER_URL (default http://10.62.0.1:8085) for the glucose forecast, LOG_LEVEL, METADATA_DB.
# Optional:
#   FUNCTION_NAMESPACE       deploy into this namespace (secrets too) instead of the gateway's default (openfaas-fn)
#   MIGRATION_DATABASE_URL   where this machine reaches the database, when not at DATABASE_URL (the functions' address)
#   METADATA_MONGODB_URL     likewise for MongoDB and the metadata deploy
set -euo pipefail
cd "$(dirname "$0")/../.."
exec </dev/null

: "${OPENFAAS_URL:=http://127.0.0.1:8080}"
: "${REGISTRY:?set REGISTRY (e.g. ghcr.io/OWNER)}"
: "${TAG:?set TAG (the image tag to deploy)}"
: "${OPENFAAS_PASSWORD:?set OPENFAAS_PASSWORD (the gateway admin password)}"
FAAS_CLI="$(command -v faas-cli || echo "$PWD/.local/bin/faas-cli")"
export OPENFAAS_URL
NAMESPACE_ARGS=()
if [ -n "${FUNCTION_NAMESPACE:-}" ]; then NAMESPACE_ARGS=(--namespace "$FUNCTION_NAMESPACE"); fi

step() { printf '== %s\n' "$*"; }

step "login to $OPENFAAS_URL"
printf '%s' "$OPENFAAS_PASSWORD" | "$FAAS_CLI" login --gateway "$OPENFAAS_URL" --username admin --password-stdin >/dev/null

# put_secret NAME VALUE: create, else update (--replace), the value on stdin (never in a process list). faas-cli exits
# 0 when the gateway refuses, so its words decide.
put_secret() {
  local name="$1" said
  said="$(printf '%s' "$2" | "$FAAS_CLI" secret create "$name" --replace --gateway "$OPENFAAS_URL" "${NAMESPACE_ARGS[@]}" 2>&1)" || true
  if printf '%s' "$said" | grep -qiE 'unauthorized|cannot connect|unexpected status|error'; then
    echo "deploy: storing the secret $name failed: $said" >&2
    exit 1
  fi
  echo "secret $name stored"
}

step "secrets"
[ -z "${DATABASE_URL:-}" ] || put_secret dataplatform-database-url "$DATABASE_URL"
[ -z "${DASHBOARD_DATABASE_URL:-}" ] || put_secret dataplatform-dashboard-database-url "$DASHBOARD_DATABASE_URL"
[ -z "${MONGODB_URL:-}" ] || put_secret dataplatform-mongodb-url "$MONGODB_URL"
[ -z "${VAULT_TOKEN:-}" ] || put_secret dataplatform-vault-token "$VAULT_TOKEN"
[ -z "${DATAPLATFORM_CALL_TOKEN:-}" ] || put_secret dataplatform-call-token "$DATAPLATFORM_CALL_TOKEN"
put_secret dataplatform-gateway-password "$OPENFAAS_PASSWORD"

step "migrations"
if [ -n "${MIGRATION_DATABASE_URL:-${DATABASE_URL:-}}" ]; then
  DATABASE_URL="${MIGRATION_DATABASE_URL:-$DATABASE_URL}" npx tsx deploy/migrate.ts
else
  echo "DATABASE_URL not given: the functions migrate on first use"
fi

step "metadata"
if [ -n "${METADATA_MONGODB_URL:-${MONGODB_URL:-}}" ]; then
  MONGODB_URL="${METADATA_MONGODB_URL:-$MONGODB_URL}" npx dataplatform metadata deploy
else
  echo "MONGODB_URL not given: metadata left as deployed"
fi

step "functions ${REGISTRY}/dataplatform-*:${TAG}"
# faas-cli reads the template's fprocess from ./template/<lang>/: a scratch folder holds a copy, so the checkout's own
# template/ (npm start links it) is never touched.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/template" && cp -r templates/dataplatform-node20 templates/dataplatform-python3 "$work/template/"
# The connections reach the functions as secrets only: without them in the environment, stack.yml gives every function
# its development variables, which a production function ignores (shared/production-settings.ts). With them, their
# values would be plain environment variables that the gateway's API shows to anyone with its password.
(cd "$work" && env -u DATABASE_URL -u DASHBOARD_DATABASE_URL -u MONGODB_URL -u VAULT_TOKEN -u DATAPLATFORM_CALL_TOKEN \
  -u OPENFAAS_PASSWORD -u MIGRATION_DATABASE_URL -u METADATA_MONGODB_URL \
  PLATFORM_ENV=production "$FAAS_CLI" deploy -f "$OLDPWD/stack.yml" --gateway "$OPENFAAS_URL" "${NAMESPACE_ARGS[@]}")
