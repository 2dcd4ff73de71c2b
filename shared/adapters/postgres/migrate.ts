import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import type { Logger } from '../../log.ts';
import { parseMigrationFileName, planMigrations, type AppliedMigration, type MigrationFile } from '../../core/migration-plan.ts';
import { query, withTransaction } from './transaction.ts';
import { lockForTransaction } from './advisory-lock.ts';

/**
 * Where the migrations are: `MIGRATIONS_DIR` when set (a function image sets it to the copy `npm run build` puts
 * beside each bundle), else `migrations/` at the repository root, resolved from this file so it works from any
 * working directory.
 */
export const MIGRATIONS_DIRECTORY =
  process.env.MIGRATIONS_DIR ?? fileURLToPath(new URL('../../../migrations/', import.meta.url));

/** The bookkeeping table: one row per applied migration, with the checksum of the SQL that was applied. */
const CREATE_MIGRATION_TABLE = `
  create table if not exists public.schema_migration (
    version text primary key,
    name text not null,
    checksum text not null,
    applied_at timestamptz not null default now()
  )`;

/**
 * Serialises every runner on the database for the length of one transaction: two processes starting at once
 * take turns, and the second sees what the first applied.
 */
const MIGRATION_LOCK_KEY = 'dataplatform:migrations';

/** Reads the `.sql` migrations of a directory, with a sha256 of each file's text. */
export async function readMigrationFiles(directory: string = MIGRATIONS_DIRECTORY): Promise<MigrationFile[]> {
  const files: MigrationFile[] = [];
  for (const fileName of (await readdir(directory)).sort()) {
    const parsed = parseMigrationFileName(fileName);
    if (!parsed) continue;
    const sql = await readFile(path.join(directory, fileName), 'utf8');
    files.push({ ...parsed, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  return files;
}

/** What one run of the migration runner did. */
export interface MigrationReport {
  /** `version_name` of each migration this call applied, in order; empty when the database was up to date. */
  readonly applied: string[];
}

/**
 * Applies the pending migrations in version order, each in its own transaction together with its row in
 * `public.schema_migration`, under a transaction-level advisory lock. Safe to run again (nothing pending, nothing
 * done) and from several processes at once (they take turns). A migration therefore cannot use statements
 * that refuse a transaction (`create index concurrently`).
 */
export async function runMigrations(
  pool: pg.Pool,
  options: { directory?: string; log?: Logger } = {},
): Promise<MigrationReport> {
  const files = await readMigrationFiles(options.directory);
  const applied: string[] = [];
  for (;;) {
    const done = await withTransaction(pool, async (tx) => {
      await lockForTransaction(tx, 'lock migrations', MIGRATION_LOCK_KEY);
      await query(tx, 'create migration table', CREATE_MIGRATION_TABLE);
      const recorded = await query<AppliedMigration>(tx, 'read applied migrations', 'select version, name, checksum from public.schema_migration order by version');
      const next = planMigrations(files, recorded.rows)[0];
      if (!next) return true;
      const label = `${next.version}_${next.name}`;
      await query(tx, `apply migration ${label}`, next.sql);
      await query(
        tx,
        `record migration ${label}`,
        'insert into public.schema_migration (version, name, checksum) values ($1, $2, $3)',
        [next.version, next.name, next.checksum],
      );
      applied.push(label);
      options.log?.info({ migration: label }, 'migration applied');
      return false;
    });
    if (done) return { applied };
  }
}
