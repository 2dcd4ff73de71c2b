import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import * as z from 'zod';
import { models as projectModels } from '../../../../metadata/models/index.ts';
import type { JsonValue } from '../../../core/json.ts';
import { ConfigurationError, DataRejectedError, InvalidPayloadError, NotFoundError } from '../../../errors.ts';
import { formatIssue } from '../../../handler.ts';
import type { ModelRegistry } from '../../../metadata/model-dsl.ts';
import type { Connector, ConnectorRequest, LandingItem } from '../connector.ts';
import { BATCH_FOLDER, batchNumber, listBatchFolders } from './batch-folder.ts';
import { generateTestData, readGeneratorManifest, TEST_DATA_DEFAULTS } from './generator/generate-test-data.ts';
import { batchLabel } from './generator/test-source.ts';

/** The largest `.json` (array) file read; JSON arrays are read whole, so big batches belong in `.jsonl`. */
export const MAX_JSON_ARRAY_BYTES = 64 * 1024 * 1024;

/** What a caller may ask the jsonfile connector: land one given batch folder instead of the next one. */
export const JsonFileOptions = z.strictObject({
  batch: z.string().regex(BATCH_FOLDER, { error: 'expected a batch folder name like "batch-0003"' }).optional(),
});

/** Where the connector looks for the system's folder when `connection.path` is relative. */
export interface JsonFileConnectorOptions {
  /** Default: the working directory (the project root locally, the function's home in a container). */
  readonly baseDir?: string;
  /** The models a canary's generator takes keys and SCD types from (default: the project's, metadata/models). */
  readonly models?: ModelRegistry;
}

/**
 * The built-in test system's connector (docs/test-system.md). `connection.path` holds one folder per batch
 * (`batch-0001/`, `batch-0002/`, …), each with one file per landing entity: `<landing_entity>.jsonl` (one JSON
 * record per line, streamed) or `<landing_entity>.json` (an array, read whole), as `connection.format` says.
 * Without options it lands the first folder after the cursor's position (the last folder landed); with
 * `{"batch": "batch-0003"}` it lands that one, moving the cursor only forward. Sub-folders (the generator's
 * `expected/`) are ignored. No folder left: nothing new, the run is skipped; unless the system is a canary
 * (`connection.canary`), whose folder is the generator's: then the next folder is generated and landed, so a
 * canary lands on every run. Landings of one system take turns (`exclusive`): each picks its folder after the
 * previous one recorded its cursor, so no folder is generated or landed twice by calls at the same time.
 */
export function createJsonFileConnector(options: JsonFileConnectorOptions = {}): Connector<'jsonfile'> {
  return {
    type: 'jsonfile',
    exclusive: true,
    async openBatch(request) {
      const parsed = JsonFileOptions.safeParse(request.options);
      if (!parsed.success) {
        const issues = parsed.error.issues.map(formatIssue);
        throw new InvalidPayloadError(`jsonfile options: ${issues.join('; ')}`, issues);
      }
      const { path: shownPath, canary } = request.system.connection;
      const root = resolve(options.baseDir ?? process.cwd(), shownPath);
      let folders = await listBatchFolders(root, shownPath);
      const lastLanded = batchNumber(request.cursor?.position ?? null);
      let chosen = parsed.data.batch ?? folders.find((folder) => (batchNumber(folder) ?? 0) > (lastLanded ?? -1));
      if (chosen === undefined && canary) {
        chosen = await generateNextFolder(root, shownPath, lastLanded ?? 0, options.models ?? projectModels, folders.length > 0);
        folders = await listBatchFolders(root, shownPath);
        request.log.info({ folder: chosen }, 'canary batch folder generated');
      }
      if (chosen === undefined) {
        const after = request.cursor?.position ? ` after ${request.cursor.position}` : '';
        return { kind: 'nothing_new', reason: `no batch folder${after} in ${request.system.connection.path}` };
      }
      if (!folders.includes(chosen)) throw new NotFoundError(`batch folder ${chosen} not found in ${request.system.connection.path}`);
      const files = await listEntityFiles(join(root, chosen), request.system.connection.format);
      const missing = request.landing_entities.filter((entity) => !files.some((file) => file.landing_entity === entity));
      if (missing.length > 0) {
        const extension = request.system.connection.format === 'jsonl' ? '.jsonl' : '.json';
        throw new DataRejectedError(`${chosen} has no file for ${missing.map((entity) => `${entity}${extension}`).join(', ')}`);
      }
      const movesForward = (batchNumber(chosen) ?? 0) > (lastLanded ?? -1);
      return {
        kind: 'records',
        description: chosen,
        records: readFiles(chosen, files, request),
        nextCursor: () => (movesForward ? { window_start: request.window.start, window_end: request.window.end, position: chosen } : undefined),
      };
    },
  };
}

/**
 * A canary's next folder after `lastLanded`: the generator extended to it with the seed and scale of the folder's
 * generator.json (the defaults for an empty folder). Folders that exist are kept, so this only adds what is missing.
 */
async function generateNextFolder(root: string, shownPath: string, lastLanded: number, models: ModelRegistry, hasFolders: boolean): Promise<string> {
  const manifest = await readGeneratorManifest(root);
  if (manifest === undefined && hasFolders) {
    throw new ConfigurationError(
      `${shownPath} holds batch folders but no generator.json: a canary's folder is the generator's, ` +
        'so that its next batch can be made (npx dataplatform generate --out <folder>, or connection.canary false)',
    );
  }
  const next = lastLanded + 1;
  const seed = manifest?.seed ?? TEST_DATA_DEFAULTS.seed;
  const scale = manifest?.scale ?? TEST_DATA_DEFAULTS.scale;
  await generateTestData({ seed, scale, batches: next, out: root, models });
  return batchLabel(next);
}

interface EntityFile {
  readonly landing_entity: string;
  readonly file: string;
  readonly name: string;
}

async function listEntityFiles(folder: string, format: 'json' | 'jsonl'): Promise<EntityFile[]> {
  const extension = format === 'jsonl' ? '.jsonl' : '.json';
  const entries = await readdir(folder, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith(extension))
    .map((entry) => ({ landing_entity: entry.name.slice(0, -extension.length), file: join(folder, entry.name), name: entry.name }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

async function* readFiles(batch: string, files: readonly EntityFile[], request: ConnectorRequest<'jsonfile'>): AsyncGenerator<LandingItem> {
  for (const file of files) {
    const where = `${batch}/${file.name}`;
    const records = request.system.connection.format === 'jsonl' ? readJsonLines(file.file, where) : readJsonArray(file.file, where);
    for await (const record of records) {
      request.signal?.throwIfAborted();
      yield { landing_entity: file.landing_entity, record };
    }
  }
}

/** One record per non-blank line, streamed; a line that is not JSON fails the batch, naming the line. */
async function* readJsonLines(file: string, where: string): AsyncGenerator<JsonValue> {
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Number.POSITIVE_INFINITY });
  let number = 0;
  try {
    for await (const line of lines) {
      number += 1;
      const text = number === 1 ? line.replace(/^\uFEFF/, '') : line;
      if (text.trim() === '') continue;
      yield parseJson(text, `${where} line ${number}`);
    }
  } finally {
    lines.close();
  }
}

async function* readJsonArray(file: string, where: string): AsyncGenerator<JsonValue> {
  const { size } = await stat(file);
  if (size > MAX_JSON_ARRAY_BYTES) {
    throw new DataRejectedError(`${where} is ${size} bytes; a .json array is read whole, so files over ${MAX_JSON_ARRAY_BYTES} bytes must be .jsonl`);
  }
  const value = parseJson((await readFile(file, 'utf8')).replace(/^\uFEFF/, ''), where);
  if (!Array.isArray(value)) throw new DataRejectedError(`${where}: expected a JSON array of records`);
  yield* value;
}

function parseJson(text: string, where: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    // V8's message may quote the text itself; only the position goes into the error (and so the audit row).
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    throw new DataRejectedError(`${where}: not JSON${position === undefined ? '' : ` (at character ${Number(position) + 1})`}`);
  }
}
