/**
 * Least privilege: the dashboard connects as `dataplatform_dashboard`, a login role in `dataplatform_reader`
 * (dev/services/postgres.sh; migrations/0005_read_only_role.sql). It reads every platform schema, tables made after the
 * migration included, and can change nothing.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardDatabaseUrl } from '../../../dev/openfaas/local-stack.ts';
import { ConfigurationError } from '../../../shared/errors.ts';
import { showDashboard } from '../../../shared/layers/dashboard/show-dashboard.ts';
import { createLogger } from '../../../shared/log.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

let db: TestDatabase;
let reader: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  // A table the platform makes after the migrations ran, as bronze, silver and gold tables are.
  await db.pool.query('create table silver.later_entity (id text primary key, value int)');
  await db.pool.query("insert into silver.later_entity values ('a', 1)");
  reader = new pg.Pool({ connectionString: dashboardDatabaseUrl(db.url), max: 2 });
});

afterAll(async () => {
  await reader?.end();
  await db?.drop();
});

/** The error code PostgreSQL answers a statement with, or 'ok'. */
async function attempt(sql: string): Promise<string> {
  return reader.query(sql).then(
    () => 'ok',
    (error: { code?: string }) => error.code ?? 'error',
  );
}

describe('the read-only role of the dashboard', () => {
  it('reads the audit schema and a silver table made after the migrations', async () => {
    expect((await reader.query('select current_user as role')).rows).toEqual([{ role: 'dataplatform_dashboard' }]);
    expect(await attempt('select count(*) from audit.system_run')).toBe('ok');
    expect((await reader.query('select id, value from silver.later_entity')).rows).toEqual([{ id: 'a', value: 1 }]);
  });

  it('changes nothing: no insert, update, delete, truncate or DDL (42501, insufficient privilege)', async () => {
    for (const sql of [
      "insert into silver.later_entity values ('b', 2)",
      'update silver.later_entity set value = 3',
      'delete from audit.system_run',
      'truncate audit.outbox',
      'create table gold.intruder (id int)',
      'drop table silver.later_entity',
    ]) {
      expect({ sql, code: await attempt(sql) }).toEqual({ sql, code: '42501' });
    }
  });

  it('serves the dashboard overview', async () => {
    const answer = await showDashboard(
      { format: 'json', batches: 10, refresh: 0 },
      {
        db: reader,
        metadata: () => Promise.reject(new ConfigurationError('no metadata deployed')),
        log: createLogger({}, { write: () => undefined }),
        logs: { admin: undefined, namespace: '' },
        now: () => new Date(),
      },
    );
    expect(answer).toMatchObject({ format: 'json', body: { metadata: { error: 'no metadata deployed' }, failed: [], batches: [] } });
  });
});
