import { describe, expect, it } from 'vitest';
import { MigrationPlanError, parseMigrationFileName, planMigrations, type MigrationFile } from '../../../shared/core/migration-plan.ts';

const file = (version: string, name: string, checksum = `sum-${version}`): MigrationFile => ({ version, name, sql: 'select 1', checksum });
const applied = (version: string, name: string, checksum = `sum-${version}`) => ({ version, name, checksum });

describe('parseMigrationFileName', () => {
  it.each([
    ['0001_audit_schema.sql', { version: '0001', name: 'audit_schema' }],
    ['0120_add_cursor_position.sql', { version: '0120', name: 'add_cursor_position' }],
    ['README.md', undefined], // not a migration: ignored
    ['notes.txt', undefined],
  ])('%s → %j', (fileName, expected) => {
    expect(parseMigrationFileName(fileName)).toEqual(expected);
  });

  it.each(['1_audit.sql', '0001-audit.sql', '0001_Audit.sql', 'audit.sql', '0001_.sql'])('refuses the misnamed %s', (fileName) => {
    expect(() => parseMigrationFileName(fileName)).toThrow(MigrationPlanError);
  });
});

describe('planMigrations', () => {
  it('returns every file in version order on an empty database', () => {
    const plan = planMigrations([file('0002', 'b'), file('0001', 'a')], []);
    expect(plan.map((m) => m.version)).toEqual(['0001', '0002']);
  });

  it('returns only what is not applied yet', () => {
    const plan = planMigrations([file('0001', 'a'), file('0002', 'b')], [applied('0001', 'a')]);
    expect(plan.map((m) => m.version)).toEqual(['0002']);
  });

  it('returns nothing when the database is up to date', () => {
    expect(planMigrations([file('0001', 'a')], [applied('0001', 'a')])).toEqual([]);
  });

  it('refuses an applied migration whose file was edited', () => {
    expect(() => planMigrations([file('0001', 'a', 'new')], [applied('0001', 'a', 'old')])).toThrowErrorMatchingInlineSnapshot(
      `[MigrationPlanError: migration 0001_a.sql was changed after it was applied; add a new migration instead]`,
    );
  });

  it('refuses an applied migration whose file is gone', () => {
    expect(() => planMigrations([], [applied('0001', 'a')])).toThrowErrorMatchingInlineSnapshot(
      `[MigrationPlanError: migration 0001_a is applied but its file is missing from migrations/]`,
    );
  });

  it('refuses two files with one version', () => {
    expect(() => planMigrations([file('0001', 'a'), file('0001', 'b')], [])).toThrow(/share version 0001/);
  });

  it('refuses a new file numbered below an applied one', () => {
    const files = [file('0001', 'a'), file('0002', 'late'), file('0003', 'c')];
    expect(() => planMigrations(files, [applied('0001', 'a'), applied('0003', 'c')])).toThrowErrorMatchingInlineSnapshot(
      `[MigrationPlanError: migration 0002_late.sql is new but 0003 is already applied; give it a higher number]`,
    );
  });
});
