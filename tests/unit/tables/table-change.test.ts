import { describe, expect, it } from 'vitest';
import type { EntityModel } from '../../../shared/core/entity-model.ts';
import { bronzeTableSpec, silverTableSpec } from '../../../shared/layers/tables/entity-tables.ts';
import { planTableChange, type ExistingColumn } from '../../../shared/layers/tables/table-change.ts';
import { createTableSql, parseTableMeta, sqlType, tableComment } from '../../../shared/layers/tables/table-ddl.ts';

const model: EntityModel = {
  name: 'reading',
  key: ['id'],
  columns: [
    { name: 'id', type: 'bigint', key: true, scd: 2, nullable: false },
    { name: 'value', type: 'double', key: false, scd: 2, nullable: true },
    { name: 'device', type: 'text', key: false, scd: 1, nullable: false },
  ],
};
const spec = bronzeTableSpec({ table: 'reading', model });
const asExisting = (columns = spec.columns): ExistingColumn[] => columns.map((c) => ({ name: c.name, type: sqlType(c.type), nullable: c.nullable }));

describe('planTableChange', () => {
  it('changes nothing when the table matches the model', () => {
    expect(planTableChange(spec, { columns: asExisting(), meta: spec.meta })).toEqual({ addColumns: [], dropColumns: [], dropNotNull: [], refusals: [], rewriteMeta: false });
  });

  it('adds a new model column', () => {
    const grown = bronzeTableSpec({ table: 'reading', model: { ...model, columns: [...model.columns, { name: 'unit', type: 'text', key: false, scd: 2, nullable: true }] } });
    expect(planTableChange(grown, { columns: asExisting(), meta: spec.meta }).addColumns).toEqual([{ name: 'unit', type: 'text', nullable: true }]);
  });

  it('lets a column the model dropped, or made nullable, take nulls; never tightens', () => {
    const existing = asExisting().map((c) => (c.name === 'value' ? { ...c, nullable: false } : c));
    const shrunk = bronzeTableSpec({ table: 'reading', model: { ...model, columns: model.columns.filter((c) => c.name !== 'device') } });
    expect(planTableChange(shrunk, { columns: existing, meta: spec.meta }).dropNotNull).toEqual(['value', 'device']);
  });

  it('refuses a type change, saying what to do', () => {
    const existing = asExisting().map((c) => (c.name === 'value' ? { ...c, type: 'text' } : c));
    expect(planTableChange(spec, { columns: existing, meta: spec.meta }).refusals).toEqual([
      'bronze.reading.value: the table has type text but the model says double precision; a type cannot change in place. ' +
        'Add the new type as a new column (another name) and keep this one, or convert it by hand ' +
        '(alter table bronze.reading alter column value type …) and run again.',
    ]);
  });

  it('refuses a changed key, saying what to do', () => {
    expect(planTableChange(spec, { columns: asExisting(), meta: { key: ['id', 'device'] } }).refusals).toEqual([
      'bronze.reading: the key is (id, device) but the model now says (id); rows cannot be re-keyed in place. ' +
        "Restore the key in the model, or give the entity a new id (new tables), or drop the entity's bronze and silver tables and load it again.",
    ]);
  });

  it('drops the retired fingerprint columns from an older silver table, and only those', () => {
    const silver = silverTableSpec({ table: 'reading', model }, 'v1;sig');
    const older = [
      ...asExisting(silver.columns),
      { name: '_dp_scd2_hash', type: 'text', nullable: false },
      { name: '_dp_scd1_hash', type: 'text', nullable: false },
    ];
    const shrunk = silverTableSpec({ table: 'reading', model: { ...model, columns: model.columns.filter((c) => c.name !== 'device') } }, 'v1;sig');
    expect(planTableChange(shrunk, { columns: older, meta: silver.meta })).toEqual({
      addColumns: [],
      dropColumns: ['_dp_scd2_hash', '_dp_scd1_hash'],
      dropNotNull: ['device'], // a model column the model dropped keeps its data
      refusals: [],
      rewriteMeta: false,
    });
    expect(planTableChange(silver, { columns: asExisting(silver.columns), meta: silver.meta }).dropColumns).toEqual([]);
  });

  it('adopts a table without recorded meta by writing it', () => {
    expect(planTableChange(spec, { columns: asExisting(), meta: undefined })).toMatchObject({ refusals: [], rewriteMeta: true });
  });
});

describe('table comments', () => {
  it('round-trip the key and hash signature', () => {
    expect(parseTableMeta(tableComment({ key: ['a', 'b'], hash: 'v1;x' }))).toEqual({ key: ['a', 'b'], hash: 'v1;x' });
  });

  it.each([null, '', 'a person wrote this', '{"dataplatform": {"key": "id"}}'])('ignore a foreign comment: %s', (comment) => {
    expect(parseTableMeta(comment)).toBeUndefined();
  });
});

describe('silverTableSpec', () => {
  it('creates the silver table with its invariants as partial unique indexes and checks', () => {
    const statements = createTableSql(silverTableSpec({ table: 'reading', model }, 'v1;sig'));
    expect(statements).toEqual([
      `create table if not exists "silver"."reading" (
  "id" bigint not null,
  "value" double precision,
  "device" text not null,
  "_dp_valid_from" timestamp with time zone not null,
  "_dp_valid_to" timestamp with time zone,
  "_dp_is_current" boolean not null,
  "_dp_is_deleted" boolean not null,
  "_dp_batch_id" uuid not null,
  "_dp_call_id" text not null,
  "_dp_updated_batch_id" uuid,
  constraint "reading_validity_check" check ("_dp_valid_to" is null or "_dp_valid_to" >= "_dp_valid_from"),
  constraint "reading_open_is_current_check" check ("_dp_valid_to" is not null or ("_dp_is_current" and not "_dp_is_deleted")),
  constraint "reading_closed_current_check" check ("_dp_valid_to" is null or not "_dp_is_current" or "_dp_is_deleted")
)`,
      'create unique index if not exists "reading_open_version_key"\n  on "silver"."reading" ("id")\n  where "_dp_valid_to" is null',
      'create unique index if not exists "reading_current_key"\n  on "silver"."reading" ("id")\n  where "_dp_is_current"',
      'create index if not exists "reading_history_idx"\n  on "silver"."reading" ("id", "_dp_valid_from")',
      `comment on table "silver"."reading" is '{"dataplatform":{"key":["id"],"hash":"v1;sig"}}'`,
    ]);
  });
});
