import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIRECTORY, readMigrationFiles, runMigrations } from '../../../shared/adapters/postgres/migrate.ts';
import { MigrationPlanError } from '../../../shared/core/migration-plan.ts';
import { PostgresError } from '../../../shared/adapters/postgres/errors.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

/** Every `audit.<table>` the project's migrations create, read from their SQL, so a new migration needs no edit here. */
async function declaredAuditTables(): Promise<string[]> {
  const files = await readMigrationFiles(MIGRATIONS_DIRECTORY);
  const names = files.flatMap((file) => [...file.sql.matchAll(/create table (?:if not exists )?audit\.(\w+)/gi)].map((match) => match[1]!));
  return [...new Set(names)].sort();
}

async function auditTables(db: TestDatabase): Promise<string[]> {
  const result = await db.pool.query<{ table_name: string }>(
    `select table_name from information_schema.tables where table_schema = 'audit' order by table_name`,
  );
  return result.rows.map((row) => row.table_name);
}

async function appliedVersions(db: TestDatabase): Promise<string[]> {
  const result = await db.pool.query<{ version: string }>('select version from public.schema_migration order by version');
  return result.rows.map((row) => row.version);
}

describe('runMigrations', () => {
  const databases: TestDatabase[] = [];
  const fresh = async (): Promise<TestDatabase> => {
    const db = await createTestDatabase({ migrate: false });
    databases.push(db);
    return db;
  };
  let scratch: string;

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'dp-migrations-'));
  });
  afterAll(async () => {
    await Promise.all(databases.map((db) => db.drop()));
    await rm(scratch, { recursive: true, force: true });
  });

  it('creates the audit schema and records each migration', async () => {
    const db = await fresh();
    const files = await readMigrationFiles(MIGRATIONS_DIRECTORY);
    const report = await runMigrations(db.pool);
    expect(report.applied).toEqual(files.map((file) => `${file.version}_${file.name}`));
    expect(await auditTables(db)).toEqual(await declaredAuditTables());
    expect(await appliedVersions(db)).toEqual(files.map((file) => file.version));
  });

  it('does nothing when run a second time', async () => {
    const db = await fresh();
    await runMigrations(db.pool);
    const again = await runMigrations(db.pool);
    expect(again.applied).toEqual([]);
    expect(await auditTables(db)).toEqual(await declaredAuditTables());
  });

  it('applies each migration once when several processes run at the same time', async () => {
    const db = await fresh();
    // one pool per "process", each with its own connections, all started together
    const pools = Array.from({ length: 5 }, () => db.newPool(1));
    const reports = await Promise.all(pools.map((pool) => runMigrations(pool)));
    const files = await readMigrationFiles(MIGRATIONS_DIRECTORY);
    expect(reports.flatMap((report) => report.applied).sort()).toEqual(files.map((file) => `${file.version}_${file.name}`));
    expect(await appliedVersions(db)).toEqual(files.map((file) => file.version));
    expect(await auditTables(db)).toEqual(await declaredAuditTables());
  });

  it('rolls a failing migration back entirely and keeps the ones before it', async () => {
    const db = await fresh();
    const directory = await mkdtemp(path.join(scratch, 'failing-'));
    await writeFile(path.join(directory, '0001_first.sql'), 'create table public.first_table (id int);');
    await writeFile(
      path.join(directory, '0002_broken.sql'),
      'create table public.half_done (id int);\ninsert into public.no_such_table values (1);',
    );
    const failure = await runMigrations(db.pool, { directory }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PostgresError);
    expect((failure as PostgresError).message).toMatch(/apply migration 0002_broken/);
    expect(await appliedVersions(db)).toEqual(['0001']);
    const leftovers = await db.pool.query(`select to_regclass('public.half_done') as half_done, to_regclass('public.first_table') as first`);
    expect(leftovers.rows[0]).toEqual({ half_done: null, first: 'first_table' });
  });

  it('refuses to run when an applied migration was edited', async () => {
    const db = await fresh();
    const directory = await mkdtemp(path.join(scratch, 'edited-'));
    await writeFile(path.join(directory, '0001_first.sql'), 'create table public.first_table (id int);');
    await runMigrations(db.pool, { directory });
    await writeFile(path.join(directory, '0001_first.sql'), 'create table public.first_table (id bigint);');
    await expect(runMigrations(db.pool, { directory })).rejects.toThrow(MigrationPlanError);
  });
});
