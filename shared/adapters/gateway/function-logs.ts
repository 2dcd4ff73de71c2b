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

/** The gateway refused to show logs: wrong credentials (401), no such function (404), or a provider error. */
export class FunctionLogsError extends PlatformError {
  readonly status = 502;
  readonly code = 'function_logs_unavailable';

  constructor(
    readonly functionName: string,
    readonly gatewayStatus: number,
    answer: string,
  ) {
    super(`the gateway answered ${gatewayStatus} for the logs of ${functionName}${answer === '' ? '' : `: ${answer}`}`);
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
      headers: { authorization: `Basic ${Buffer.from(`${admin.user}:${admin.password}`).toString('base64')}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await answer.text();
  } catch (error) {
    throw new UpstreamUnavailableError(`gateway at ${url.origin} unreachable while reading the logs of ${query.name}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (answer.status !== 200) throw new FunctionLogsError(query.name, answer.status, text.trim().slice(0, 300));
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
