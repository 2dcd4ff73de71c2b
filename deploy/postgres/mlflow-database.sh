#!/usr/bin/env bash
# The MLflow tracking server's backend store (docker-compose.yml, service `mlflow`): the login role `mlflow`, with
# the password MLFLOW_DB_PASSWORD of .env, owning the database `mlflow`, which no other login of the platform may
# connect to. The postgres service mounts this file into /docker-entrypoint-initdb.d, where the image runs it once: on
# the first start, with an empty data directory. On an installation whose data directory already exists, run it by
# hand; it is idempotent, and sets the role's password again (after a change of MLFLOW_DB_PASSWORD in .env, followed by
# `docker compose up -d`, which gives both services the new value):
#   sudo docker compose exec postgres bash /docker-entrypoint-initdb.d/10-mlflow-database.sh
# The password travels in the environment and psql's \getenv, never on a command line.
set -eo pipefail
: "${MLFLOW_DB_PASSWORD:?set MLFLOW_DB_PASSWORD in .env (letters and digits: it is part of a URL)}"

psql -X -q -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres <<'SQL'
\getenv mlflow_password MLFLOW_DB_PASSWORD
select 'create role mlflow' where not exists (select from pg_roles where rolname = 'mlflow') \gexec
alter role mlflow with login nosuperuser nocreatedb nocreaterole password :'mlflow_password';
select 'create database mlflow owner mlflow' where not exists (select from pg_database where datname = 'mlflow') \gexec
alter database mlflow owner to mlflow;
revoke all on database mlflow from public;
SQL
echo "mlflow-database: role mlflow and database mlflow ready"
