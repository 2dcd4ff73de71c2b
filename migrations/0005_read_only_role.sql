-- Least privilege (docs/security.md): the role `dataplatform_reader` may read the platform's schemas and nothing
-- more; the dashboard connects as a login role in it (`dataplatform_dashboard` here). The roles are the database
-- administrator's (dev/services/postgres.sh creates them locally; docs/security.md says how on a server): a migration
-- runs as the platform's own role, which owns its schemas but creates no roles. Where the reader role does not exist,
-- this grants nothing.

create schema if not exists bronze;
create schema if not exists silver;
create schema if not exists gold;

do $$
declare
  schema_name text;
begin
  if not exists (select from pg_roles where rolname = 'dataplatform_reader') then
    raise notice 'role dataplatform_reader does not exist: no read-only grants';
    return;
  end if;
  foreach schema_name in array array['audit', 'bronze', 'silver', 'gold'] loop
    execute format('grant usage on schema %I to dataplatform_reader', schema_name);
    execute format('grant select on all tables in schema %I to dataplatform_reader', schema_name);
    -- Tables the platform creates later (bronze/silver/gold tables come from entity models at run time).
    execute format('alter default privileges in schema %I grant select on tables to dataplatform_reader', schema_name);
  end loop;
end
$$;
