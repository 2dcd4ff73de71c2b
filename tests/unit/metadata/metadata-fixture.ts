import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { METADATA_FILES, METADATA_KINDS, type MetadataKind } from '../../../shared/metadata/metadata-set.ts';
import type { MetadataTexts } from '../../../shared/metadata/validate-metadata.ts';

type JsonRecord = Record<string, unknown>;
type Records = Record<MetadataKind, JsonRecord[]>;

const projectDir = join(import.meta.dirname, '..', '..', '..', 'metadata');

/** The project's own metadata files as JSON, a fresh copy each call (tests edit it). */
export function projectRecords(): Records {
  return Object.fromEntries(
    METADATA_KINDS.map((kind) => [kind, JSON.parse(readFileSync(join(projectDir, METADATA_FILES[kind]), 'utf8')) as JsonRecord[]]),
  ) as Records;
}

/** Serialises records back into file texts. */
export function toTexts(records: Records): MetadataTexts {
  return Object.fromEntries(METADATA_KINDS.map((kind) => [kind, JSON.stringify(records[kind], null, 2)])) as MetadataTexts;
}

/** The project's metadata with one edit applied to the record `id` of `kind`. */
export function withEdit(kind: MetadataKind, id: string, edit: (record: JsonRecord) => void): MetadataTexts {
  const records = projectRecords();
  const record = records[kind].find((candidate) => candidate.id === id);
  if (!record) throw new Error(`fixture has no ${kind} record ${id}`);
  edit(record);
  return toTexts(records);
}
