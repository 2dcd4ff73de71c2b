import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import * as z from 'zod';
import type { JsonValue } from '../../../core/json.ts';
import { DataRejectedError, InvalidPayloadError, NotFoundError } from '../../../errors.ts';
import { formatIssue } from '../../../handler.ts';
import type { Connector, ConnectorRequest, LandingItem } from '../connector.ts';

/** A batch folder's name: `batch-` and its number (`batch-0001`); folders sort by the number. */
export const BATCH_FOLDER = /^batch-(\d+)$/;

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
}

/**
 * The built-in test system's connector (docs/test-system.md). `connection.path` holds one folder per batch
 * (`batch-0001/`, `batch-0002/`, …), each with one file per landing entity: `<landing_entity>.jsonl` (one JSON
 * record per line, streamed) or `<landing_entity>.json` (an array, read whole), as `connection.format` says.
 * Without options it lands the first folder after the cursor's position (the last folder landed); with
 * `{"batch": "batch-0003"}` it lands that one, moving the cursor only forward. Sub-folders (the generator's
 * `expected/`) are ignored. No folder left: nothing new, the run is skipped.
 */
export function createJsonFileConnector(options: JsonFileConnectorOptions = {}): Connector<'jsonfile'> {
  return {
    type: 'jsonfile',
    async openBatch(request) {
      const parsed = JsonFileOptions.safeParse(request.options);
      if (!parsed.success) {
        const issues = parsed.error.issues.map(formatIssue);
        throw new InvalidPayloadError(`jsonfile options: ${issues.join('; ')}`, issues);
      }
      const root = resolve(options.baseDir ?? process.cwd(), request.system.connection.path);
      const folders = await listBatchFolders(root, request.system.connection.path);
      const lastLanded = batchNumber(request.cursor?.position ?? null);
      const chosen = parsed.data.batch ?? folders.find((folder) => (batchNumber(folder) ?? 0) > (lastLanded ?? -1));
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

/** The number of a batch folder name, or undefined for anything else. */
export function batchNumber(name: string | null): number | undefined {
  const match = name === null ? null : BATCH_FOLDER.exec(name);
  return match ? Number(match[1]) : undefined;
}

async function listBatchFolders(root: string, shownPath: string): Promise<string[]> {
  try {
    const entries = await readdir(root, { withFileTypes: true });
    return entries
      .filter((entry) => entry.isDirectory() && BATCH_FOLDER.test(entry.name))
      .map((entry) => entry.name)
      .sort((a, b) => (batchNumber(a) ?? 0) - (batchNumber(b) ?? 0) || a.localeCompare(b));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new DataRejectedError(`cannot read the jsonfile folder ${shownPath} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  }
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
