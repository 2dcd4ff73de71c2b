/**
 * Reads a function's output through the gateway's `/system/logs` (faas-provider's logs API, which `faas-cli logs`
 * calls): one JSON message per line, `{name, namespace, instance, timestamp, text}`, where `text` is one line the
 * function wrote, for the platform's functions a pino JSON record. `/system/*` needs the gateway's basic auth.
 */
import * as z from 'zod';
import { PlatformError, UpstreamUnavailableError } from '../../errors.ts';

/** One line of a function's output. */
export const FunctionLogMessage = z.object({
  name: z.string(),
  namespace: z.string().default(''),
  instance: z.string().default(''),
  timestamp: z.string(),
  text: z.string(),
});
export type FunctionLogMessage = z.output<typeof FunctionLogMessage>;

/** Who may read the gateway's `/system/*` routes. */
export interface GatewayAdmin {
  /** The gateway's base URL (`http://127.0.0.1:8080`); a trailing slash is ignored. */
  readonly baseUrl: string;
  readonly user: string;
  readonly password: string;
}

/** Which lines to read. */
export interface FunctionLogQuery {
  readonly name: string;
  /** The function's namespace; the gateway's default (`openfaas-fn`) when absent. */
  readonly namespace?: string | undefined;
  /** Only lines written at or after this moment. */
  readonly since?: Date | undefined;
  /** Only the last this many lines (of those since `since`). */
  readonly tail?: number | undefined;
  /** How long the whole read may take. Default 15 s. */
  readonly timeoutMs?: number | undefined;
}

/** The gateway refused to show logs or the function list: wrong credentials (401), no such function (404), a provider error. */
export class FunctionLogsError extends PlatformError {
  readonly status = 502;
  readonly code = 'function_logs_unavailable';

  constructor(
    /** What was asked for: `the logs of bronze`, `the function list`. */
    readonly asked: string,
    readonly gatewayStatus: number,
    answer: string,
  ) {
    super(`the gateway answered ${gatewayStatus} for ${asked}${answer === '' ? '' : `: ${answer}`}`);
  }
}

/**
 * Reads the lines of one function that match `query` (`follow=false`: what is kept now). Lines that are not a log
 * message are left out. Throws `FunctionLogsError` for an answer other than 200, `UpstreamUnavailableError` when
 * the gateway cannot be reached in time.
 */
export async function readFunctionLogs(admin: GatewayAdmin, query: FunctionLogQuery): Promise<FunctionLogMessage[]> {
  const url = new URL(`${admin.baseUrl.replace(/\/+$/, '')}/system/logs`);
  url.searchParams.set('name', query.name);
  url.searchParams.set('follow', 'false');
  if (query.namespace) url.searchParams.set('namespace', query.namespace);
  if (query.since) url.searchParams.set('since', query.since.toISOString());
  if (query.tail !== undefined) url.searchParams.set('tail', String(query.tail));
  const timeoutMs = query.timeoutMs ?? 15_000;
  let answer: Response;
  let text: string;
  try {
    answer = await fetch(url, {
      headers: { authorization: basicAuth(admin) },
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await answer.text();
  } catch (error) {
    throw new UpstreamUnavailableError(`gateway at ${url.origin} unreachable while reading the logs of ${query.name}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (answer.status !== 200) throw new FunctionLogsError(`the logs of ${query.name}`, answer.status, text.trim().slice(0, 300));
  return text.split('\n').flatMap((line) => {
    if (line.trim() === '') return [];
    try {
      const parsed = FunctionLogMessage.safeParse(JSON.parse(line));
      return parsed.success ? [parsed.data] : [];
    } catch {
      return [];
    }
  });
}

/** The pino record a message carries (the function's JSON line), or undefined for a line that is not one. */
export function logRecord(message: FunctionLogMessage): Readonly<Record<string, unknown>> | undefined {
  const text = message.text.trim();
  if (!text.startsWith('{')) return undefined;
  try {
    const record: unknown = JSON.parse(text);
    return typeof record === 'object' && record !== null && !Array.isArray(record) ? (record as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const DeployedFunction = z.object({ name: z.string(), namespace: z.string().optional() });

/** The names of the functions deployed in `namespace` (`GET /system/functions`), to read logs across all of them. */
export async function listDeployedFunctions(admin: GatewayAdmin, namespace?: string): Promise<string[]> {
  const url = new URL(`${admin.baseUrl.replace(/\/+$/, '')}/system/functions`);
  if (namespace) url.searchParams.set('namespace', namespace);
  let answer: Response;
  let text: string;
  try {
    answer = await fetch(url, { headers: { authorization: basicAuth(admin) }, signal: AbortSignal.timeout(15_000) });
    text = await answer.text();
  } catch (error) {
    throw new UpstreamUnavailableError(`gateway at ${url.origin} unreachable while listing functions: ${(error as Error).message}`, { cause: error });
  }
  if (answer.status !== 200) throw new FunctionLogsError('the function list', answer.status, text.trim().slice(0, 300));
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const listed = z.array(DeployedFunction).safeParse(body);
  if (!listed.success) throw new FunctionLogsError('the function list', answer.status, 'not a list of functions');
  return listed.data.map((each) => each.name).sort();
}

function basicAuth(admin: GatewayAdmin): string {
  return `Basic ${Buffer.from(`${admin.user}:${admin.password}`).toString('base64')}`;
}

/** A function's log line as a person reads it: when, how bad, what, and the rest of its fields. */
export interface LogLine {
  readonly time: string;
  readonly level: string;
  readonly msg: string;
  /** The record's fields but `level`, `time`, `msg`, `pid` and `hostname`; a logged error as `Type: message`. */
  readonly fields: Readonly<Record<string, unknown>>;
}

const RECORD_FIELDS = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

/**
 * A message as a log line: its pino record when it carries one, else its text as the message (the watchdog's own
 * lines), at the time the provider saw it.
 */
export function logLine(message: FunctionLogMessage): LogLine {
  const record = logRecord(message);
  if (record === undefined) return { time: message.timestamp, level: '', msg: message.text, fields: {} };
  const fields = Object.fromEntries(
    Object.entries(record)
      .filter(([key]) => !RECORD_FIELDS.has(key))
      .map(([key, value]) => [key, key === 'err' ? errorSummary(value) : value]),
  );
  return {
    time: typeof record.time === 'string' ? record.time : message.timestamp,
    level: typeof record.level === 'string' ? record.level : String(record.level ?? ''),
    msg: typeof record.msg === 'string' ? record.msg : '',
    fields,
  };
}

/** A logged error as `Type: message` (its stack stays in the function's log). */
function errorSummary(err: unknown): unknown {
  if (typeof err !== 'object' || err === null) return err;
  const { type, message } = err as { type?: unknown; message?: unknown };
  return typeof message === 'string' ? `${typeof type === 'string' ? `${type}: ` : ''}${message}` : err;
}
