/**
 * `dataplatform logs`: function output through the gateway's `/system/logs` (what `faas-cli logs` reads), as lines
 * a person reads, for one function, one call (`--call`) or one batch across every function it went through
 * (`--batch`). A call or a batch is found by the `call_id` and `batch_id` fields every function logs, and by the
 * call ids its audit rows name.
 */
import { listDeployedFunctions, logLine, logRecord, readFunctionLogs, type FunctionLogMessage, type LogLine } from '../adapters/gateway/function-logs.ts';
import type { Db } from '../adapters/postgres/transaction.ts';
import { callStart, findBatchCalls } from '../runs/batch-calls.ts';
import { Duration, durationMs } from '../metadata/duration.ts';
import { batchIdPattern } from './batch-ref.ts';
import { EXIT, readCommandLine, UsageError, type CliIo } from './cli-io.ts';
import { openPlatform, type PlatformAccess } from './platform-access.ts';

/** How far back `logs FUNCTION` reads by default. */
const DEFAULT_SINCE = '1h';

export async function runLogsCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = readCommandLine(
    argv,
    {
      call: { type: 'string' },
      batch: { type: 'string' },
      since: { type: 'string' },
      tail: { type: 'string' },
      namespace: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    1,
  );
  const { call, batch, json } = parsed.values;
  const [name] = parsed.positionals;
  if ([name, call, batch].filter((given) => given !== undefined).length !== 1) {
    throw new UsageError('logs takes one of: FUNCTION, --call CALL_ID, --batch BATCH_ID');
  }
  const tail = parsed.values.tail === undefined ? undefined : Number(parsed.values.tail);
  if (tail !== undefined && (!Number.isInteger(tail) || tail <= 0)) throw new UsageError(`--tail takes a number of lines, not "${parsed.values.tail}"`);

  const platform = openPlatform(io.env, { namespace: parsed.values.namespace });
  try {
    const selection = name !== undefined
      ? { functions: [name], since: sinceOption(parsed.values.since ?? DEFAULT_SINCE), keep: () => true }
      : await selectionOf(platform, { call, batch, since: parsed.values.since });
    const messages = await readAll(platform, selection.functions, selection.since);
    const kept = messages.filter(selection.keep);
    const shown = tail === undefined ? kept : kept.slice(-tail);
    for (const message of shown) io.out(json ? message.text : render(message, selection.functions.length > 1));
    if (shown.length === 0) io.err(`no lines${name === undefined ? '' : ` of ${name}`} since ${selection.since.toISOString()}`);
    return EXIT.ok;
  } finally {
    await platform.close();
  }
}

/** Which functions to read since when, and which of their lines belong to the call or the batch. */
interface LogSelection {
  readonly functions: readonly string[];
  readonly since: Date;
  readonly keep: (message: FunctionLogMessage) => boolean;
}

/**
 * A call's or a batch's lines: every deployed function is read from shortly before the work started (the audit rows
 * say when; a call the audit does not know is looked for in the last `--since`, default 1 h), and a line is kept
 * when its `call_id` is one of the work's calls or its `batch_id` is the batch.
 */
async function selectionOf(platform: PlatformAccess, options: { call?: string | undefined; batch?: string | undefined; since?: string | undefined }): Promise<LogSelection> {
  const db = await platform.db();
  const functions = await listDeployedFunctions(platform.admin(), platform.namespace || undefined);
  if (options.call !== undefined) {
    const callId = options.call;
    const started = await callStart(db, callId);
    const since = started === undefined ? sinceOption(options.since ?? DEFAULT_SINCE) : new Date(started.getTime() - 60_000);
    return { functions, since, keep: (message) => logRecord(message)?.call_id === callId };
  }
  const batchId = options.batch ?? '';
  const work = await batchCalls(db, batchId);
  if (work.started === null) throw new UsageError(`no batch "${batchId}" in the audit schema`);
  const calls = new Set(work.call_ids);
  return {
    functions,
    since: new Date(work.started.getTime() - 60_000),
    keep: (message) => {
      const record = logRecord(message);
      return record !== undefined && (record.batch_id === work.batch_id || (typeof record.call_id === 'string' && calls.has(record.call_id)));
    },
  };
}

/** The batch (by id or a unique start of it), when its work started, and every call its audit rows name. */
async function batchCalls(db: Db, text: string): Promise<{ batch_id: string; started: Date | null; call_ids: string[] }> {
  const found = await findBatchCalls(db, batchIdPattern(text));
  if (found.length > 1) throw new UsageError(`"${text}" starts more than one batch id: give more of it`);
  const row = found[0];
  return { batch_id: row?.batch_id ?? text, started: row?.started ?? null, call_ids: row?.call_ids ?? [] };
}

/** Every function's lines since `since`, merged in time order. */
async function readAll(platform: PlatformAccess, functions: readonly string[], since: Date): Promise<FunctionLogMessage[]> {
  const admin = platform.admin();
  const namespace = platform.namespace || undefined;
  const read = await Promise.all(functions.map((name) => readFunctionLogs(admin, { name, namespace, since })));
  return read.flat().sort((a, b) => a.timestamp.localeCompare(b.timestamp));
}

/** `--since 10m` (minutes, hours or days back, as metadata writes spans) or an ISO 8601 time. */
function sinceOption(text: string): Date {
  const span = Duration.safeParse(text);
  if (span.success) return new Date(Date.now() - durationMs(span.data));
  const at = new Date(text);
  if (Number.isNaN(at.getTime())) throw new UsageError(`--since takes a span (30m, 2h, 1d) or an ISO 8601 time, not "${text}"`);
  return at;
}

/** `23:10:04.123 bronze  INFO  entity loaded  entity_id=test_customer rows=12`. */
function render(message: FunctionLogMessage, withFunction: boolean): string {
  const line: LogLine = logLine(message);
  const time = line.time.length >= 23 ? line.time.slice(11, 23) : line.time;
  const fields = Object.entries(line.fields)
    .filter(([key]) => !(withFunction ? key === 'function' : false))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return [time, withFunction ? message.name.padEnd(20) : '', line.level.toUpperCase().padEnd(5), line.msg, ...fields].filter((part) => part !== '').join('  ');
}
