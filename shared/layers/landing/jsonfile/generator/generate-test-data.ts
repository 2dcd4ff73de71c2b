import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import type { EntityModel } from '../../../../core/entity-model.ts';
import { ConfigurationError } from '../../../../errors.ts';
import { describeModel, type ModelRegistry } from '../../../../metadata/model-dsl.ts';
import { batchNumber, listBatchFolders } from '../batch-folder.ts';
import { SilverOracle, type IncomingRow } from './silver-oracle.ts';
import { simulateTestSource, type SourceBatch } from './test-source.ts';
import { TST01_ENTITIES, TST01_LANDING_ENTITIES } from './tst01-entities.ts';

/** What to generate and where. */
export interface GenerateTestDataOptions {
  readonly seed: number;
  readonly batches: number;
  /** The system's folder (`connection.path` of TST01). */
  readonly out: string;
  /** Multiplies the record counts (default 1). */
  readonly scale?: number;
  /** The entity models (metadata/models/index.ts): keys and SCD types come from them. */
  readonly models: ModelRegistry;
}

/** The seed and scale `dataplatform generate` and a canary's first batch use unless told otherwise. */
export const TEST_DATA_DEFAULTS = { seed: 1, scale: 1 } as const;

/** What each batch holds, and whether this call wrote its folder (false: it was there, and is kept). */
export interface GeneratedBatch {
  readonly label: string;
  readonly records: Readonly<Record<string, number>>;
  readonly events: readonly string[];
  readonly written: boolean;
}

/** `generator.json` in the output folder: what made these files, so a second run cannot mix two data sets. */
const GeneratorManifest = z.object({
  generator: z.literal('dataplatform-test-data'),
  format_version: z.literal(1),
  seed: z.number().int(),
  scale: z.number().int(),
  batches: z.number().int(),
  /** sha256 of each batch folder's landing files as written: a folder kept from another generator is noticed. */
  landing_sha256: z.record(z.string(), z.string()).default({}),
});
type GeneratorManifest = z.infer<typeof GeneratorManifest>;

/**
 * Writes the test system's batches (docs/test-system.md): `batch-NNNN/<landing_entity>.jsonl` for the connector,
 * and beside them `batch-NNNN/expected/silver/<entity>.json` (the silver state after that batch, from the
 * oracle) and `batch-NNNN/expected/events.json` (what changed, in words). The same seed and scale give
 * byte-identical files, and more batches extend fewer without changing them, so a folder can grow (a canary
 * gets its next batch this way). A batch folder that exists is kept as it is: a landed batch never changes under
 * the platform. Each new folder appears whole (written beside, then renamed); when two writers race for one, the
 * first rename wins and the other's copy (the same bytes) is dropped. A kept folder must hold what this generator
 * makes for it (checked against the hash the manifest records, else against its files), or the folder is refused:
 * one written by another version of the generator would not fit the batches made now. The manifest is written
 * first, so a folder with batches always says which seed made them, and again with the hashes at the end.
 */
export async function generateTestData(options: GenerateTestDataOptions): Promise<GeneratedBatch[]> {
  if (!Number.isInteger(options.batches) || options.batches < 1) throw new ConfigurationError(`batches must be a positive integer, got ${options.batches}`);
  const scale = options.scale ?? TEST_DATA_DEFAULTS.scale;
  await mkdir(options.out, { recursive: true });
  const previous = await checkManifest(options.out, options.seed, scale);
  const existing = new Set(await listBatchFolders(options.out, options.out));
  // Fewer batches than before leave the later folders in place (they are the same data): count them too.
  const highest = Math.max(0, ...[...existing].map((label) => batchNumber(label) ?? 0));
  const batches = Math.max(previous?.batches ?? 0, highest, options.batches);
  const manifest: GeneratorManifest = {
    generator: 'dataplatform-test-data',
    format_version: 1,
    seed: options.seed,
    scale,
    batches,
    landing_sha256: { ...previous?.landing_sha256 },
  };
  await writeManifest(options.out, manifest);
  const sourceBatches = simulateTestSource({ seed: options.seed, batches: options.batches, scale });
  const oracles = TST01_ENTITIES.map((entity) => ({
    entity,
    oracle: new SilverOracle(modelOf(options.models, entity.model), entity.load_type, entity.tombstone),
  }));
  const generated: GeneratedBatch[] = [];
  for (const batch of sourceBatches) {
    for (const { entity, oracle } of oracles) oracle.apply(batch.label, incomingRows(batch, entity));
    const files = landingFiles(batch);
    const hash = landingHash(files);
    let written = false;
    if (existing.has(batch.label)) {
      await checkKeptFolder(options.out, batch.label, files, hash, manifest.landing_sha256[batch.label]);
    } else {
      const expected = Object.fromEntries(oracles.map(({ entity, oracle }) => [entity.id, oracle.rows(labelOrder)]));
      written = await writeBatch(options.out, batch.label, files, expected, batch.events);
    }
    manifest.landing_sha256[batch.label] = hash;
    generated.push({
      label: batch.label,
      records: Object.fromEntries(TST01_LANDING_ENTITIES.map((name) => [name, batch.records[name].length])),
      events: batch.events,
      written,
    });
  }
  await writeManifest(options.out, manifest);
  return generated;
}

/** A batch's landing files by name, as they are written (`customers.jsonl`: one record per line). */
function landingFiles(batch: SourceBatch): Record<string, string> {
  return Object.fromEntries(TST01_LANDING_ENTITIES.map((name) => [`${name}.jsonl`, batch.records[name].map((record) => `${JSON.stringify(record)}\n`).join('')]));
}

function landingHash(files: Readonly<Record<string, string>>): string {
  const hash = createHash('sha256');
  for (const [name, text] of Object.entries(files)) hash.update(`${name}\0${text}\0`);
  return hash.digest('hex');
}

/** Refuses a kept folder whose landing files are not what this generator makes for it (by recorded hash, else by content). */
async function checkKeptFolder(out: string, label: string, files: Readonly<Record<string, string>>, hash: string, recorded: string | undefined): Promise<void> {
  let matches = recorded === hash;
  if (recorded === undefined) {
    const kept = await Promise.all(Object.entries(files).map(async ([name, text]) => (await readFile(join(out, label, name), 'utf8').catch(() => undefined)) === text));
    matches = kept.every(Boolean);
  }
  if (!matches) {
    throw new ConfigurationError(
      `${out}/${label} holds other data than this generator makes for ${label}: it was written by another version of the generator. ` +
        'Generate into an empty folder, or start the canary over (docs/test-system.md)',
    );
  }
}

/**
 * The manifest of the generated data in `out` (seed, scale, batches), or undefined when the folder has none (not
 * generated, or not there).
 */
export async function readGeneratorManifest(out: string): Promise<GeneratorManifest | undefined> {
  let text: string;
  try {
    text = await readFile(join(out, 'generator.json'), 'utf8');
  } catch {
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = GeneratorManifest.safeParse(json);
  if (!parsed.success) throw new ConfigurationError(`${out}/generator.json is not a generator manifest; remove the folder first`);
  return parsed.data;
}

function incomingRows(batch: SourceBatch, entity: (typeof TST01_ENTITIES)[number]): IncomingRow[] {
  return batch.records[entity.landing_entity].flatMap((record, position) => entity.rows(record).map((row) => ({ position, row })));
}

function modelOf(models: ModelRegistry, name: string): EntityModel {
  const schema = models[name];
  if (!schema) throw new ConfigurationError(`the test system needs model ${name}, which metadata/models does not define`);
  return describeModel(name, schema);
}

function labelOrder(label: string): number {
  return batchNumber(label) ?? 0;
}

/** The manifest of data already in `out`; refuses to mix in data of another seed or scale. */
async function checkManifest(out: string, seed: number, scale: number): Promise<GeneratorManifest | undefined> {
  const existing = await readGeneratorManifest(out);
  if (existing && (existing.seed !== seed || existing.scale !== scale)) {
    throw new ConfigurationError(
      `${out} holds test data of seed ${existing.seed}, scale ${existing.scale}; remove it first to write seed ${seed}, scale ${scale}`,
    );
  }
  return existing;
}

/** Writes the manifest beside and renames it into place, so a reader never sees half of it. */
async function writeManifest(out: string, manifest: GeneratorManifest): Promise<void> {
  const staging = join(out, `.generator.json.${randomUUID()}`);
  await writeFile(staging, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(staging, join(out, 'generator.json'));
}

/**
 * Writes one batch folder beside and renames it into place: its landing files, `expected/silver/<entity>.json` and
 * `expected/events.json`. False when another writer's folder got there first.
 */
async function writeBatch(
  out: string,
  label: string,
  files: Readonly<Record<string, string>>,
  expectedSilver: Readonly<Record<string, unknown>>,
  events: readonly string[],
): Promise<boolean> {
  const target = join(out, label);
  const staging = join(out, `.${label}.writing-${randomUUID()}`);
  try {
    await mkdir(join(staging, 'expected', 'silver'), { recursive: true });
    for (const [name, text] of Object.entries(files)) await writeFile(join(staging, name), text);
    for (const [entity, rows] of Object.entries(expectedSilver)) {
      await writeFile(join(staging, 'expected', 'silver', `${entity}.json`), `${JSON.stringify(rows, null, 2)}\n`);
    }
    await writeFile(join(staging, 'expected', 'events.json'), `${JSON.stringify(events, null, 2)}\n`);
    await rename(staging, target);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
