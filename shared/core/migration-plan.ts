import { PlatformError } from '../errors.ts';

/** A migration file as read from `migrations/`: `0001_audit_schema.sql` → version `0001`, name `audit_schema`. */
export interface MigrationFile {
  readonly version: string;
  readonly name: string;
  readonly sql: string;
  /** Hash of `sql`, so an applied migration that was edited afterwards is noticed. */
  readonly checksum: string;
}

/** A migration the database has recorded as applied. */
export interface AppliedMigration {
  readonly version: string;
  readonly name: string;
  readonly checksum: string;
}

/** The migrations cannot be applied as they are: a misnamed file, an edited or missing applied one, a gap. */
export class MigrationPlanError extends PlatformError {
  readonly status = 500;
  readonly code = 'migration_error';
}

const FILE_NAME = /^(\d{4})_([a-z0-9]+(?:_[a-z0-9]+)*)\.sql$/;

/**
 * Reads version and name from a migration file name. Only `.sql` files are migrations; one whose name does not
 * follow `NNNN_snake_name.sql` is refused rather than skipped, so a typo never silently drops a migration.
 */
export function parseMigrationFileName(fileName: string): { version: string; name: string } | undefined {
  if (!fileName.endsWith('.sql')) return undefined;
  const match = FILE_NAME.exec(fileName);
  if (!match?.[1] || !match[2]) {
    throw new MigrationPlanError(`migrations/${fileName}: name must look like 0001_snake_case_name.sql`);
  }
  return { version: match[1], name: match[2] };
}

/**
 * Returns the migrations still to apply, in version order. Refuses (with the file named) two files of one
 * version, an applied migration whose file changed or disappeared, and a new file older than an applied one:
 * each means the database and the code disagree, and guessing would damage the schema.
 */
export function planMigrations(
  files: readonly MigrationFile[],
  applied: readonly AppliedMigration[],
): MigrationFile[] {
  const sorted = [...files].sort((a, b) => a.version.localeCompare(b.version));
  const byVersion = new Map<string, MigrationFile>();
  for (const file of sorted) {
    const other = byVersion.get(file.version);
    if (other) {
      throw new MigrationPlanError(`migrations ${other.version}_${other.name}.sql and ${file.version}_${file.name}.sql share version ${file.version}`);
    }
    byVersion.set(file.version, file);
  }
  const appliedVersions = new Set<string>();
  for (const record of applied) {
    appliedVersions.add(record.version);
    const file = byVersion.get(record.version);
    if (!file) {
      throw new MigrationPlanError(`migration ${record.version}_${record.name} is applied but its file is missing from migrations/`);
    }
    if (file.checksum !== record.checksum) {
      throw new MigrationPlanError(`migration ${file.version}_${file.name}.sql was changed after it was applied; add a new migration instead`);
    }
  }
  const newestApplied = [...appliedVersions].sort().at(-1);
  const pending = sorted.filter((file) => !appliedVersions.has(file.version));
  const early = pending.find((file) => newestApplied !== undefined && file.version < newestApplied);
  if (early) {
    throw new MigrationPlanError(`migration ${early.version}_${early.name}.sql is new but ${newestApplied} is already applied; give it a higher number`);
  }
  return pending;
}
