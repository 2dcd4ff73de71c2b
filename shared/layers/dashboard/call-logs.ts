/**
 * The function logs of a batch's calls, for the lineage view: each function's lines read once through the gateway's
 * `/system/logs` (shared/adapters/gateway/function-logs.ts), then the pino records grouped by their `call_id` (every
 * audit row names its call). Reading `/system/*` needs the gateway's admin password, which the dashboard gets only
 * from the OpenFaaS secret `dataplatform-gateway-password` (docs/security.md); without it, no logs are read.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { logLine, logRecord, readFunctionLogs, type FunctionLogMessage, type GatewayAdmin, type LogLine } from '../../adapters/gateway/function-logs.ts';
import { isPlatformError } from '../../errors.ts';

/** The OpenFaaS secret holding the gateway's admin password (its `basic-auth-password`), listed by the dashboard. */
export const GATEWAY_PASSWORD_SECRET = 'dataplatform-gateway-password';

/** The gateway's basic-auth user: faasd CE and the OpenFaaS chart name it `admin`. */
export const GATEWAY_USER = 'admin';

/** Lines shown per call at most; a call that logged more says so. */
const MAX_LINES_PER_CALL = 60;

/** The lines of one call, oldest first (without the fields every line of the call carries), and how many more it logged. */
export interface CallLog {
  readonly lines: LogLine[];
  readonly omitted: number;
}

/** A call whose logs are wanted: the function that ran it and its `X-Call-Id`. */
export interface CallRef {
  readonly function: string;
  readonly call_id: string;
}

/**
 * The logs of a set of calls: not read when the gateway password is not given to the dashboard; otherwise each
 * call's lines, and what kept any function's lines from being read.
 */
export type CallLogs =
  | { readonly state: 'disabled' }
  | { readonly state: 'read'; readonly calls: Readonly<Record<string, CallLog>>; readonly problems: readonly string[] };

/** Fields every line of a call carries (shown once for the call, not on each line). */
const CONTEXT_FIELDS = new Set(['function', 'call_id', 'batch_id', 'system_id', 'entity_id', 'layer']);

/**
 * Groups the pino records of function output lines by call, for the given calls only. Lines that are not a
 * record (the watchdog's own) or that belong to other calls are left out; a logged error keeps its type and message.
 */
export function groupCallLogs(
  messages: readonly FunctionLogMessage[],
  callIds: ReadonlySet<string>,
  maxLines = MAX_LINES_PER_CALL,
): Record<string, CallLog> {
  const calls = new Map<string, { lines: LogLine[]; omitted: number }>();
  for (const message of messages) {
    const callId = logRecord(message)?.call_id;
    if (typeof callId !== 'string' || !callIds.has(callId)) continue;
    let call = calls.get(callId);
    if (call === undefined) {
      call = { lines: [], omitted: 0 };
      calls.set(callId, call);
    }
    if (call.lines.length >= maxLines) {
      call.omitted += 1;
      continue;
    }
    const line = logLine(message);
    call.lines.push({ ...line, fields: Object.fromEntries(Object.entries(line.fields).filter(([key]) => !CONTEXT_FIELDS.has(key))) });
  }
  return Object.fromEntries(calls);
}

/** The gateway's admin password from the OpenFaaS secret, or undefined when the dashboard was not given it. */
export function readGatewayPassword(env: NodeJS.ProcessEnv = process.env): string | undefined {
  try {
    const password = readFileSync(path.join(env.SECRETS_DIR ?? '/var/openfaas/secrets', GATEWAY_PASSWORD_SECRET), 'utf8').trim();
    return password === '' ? undefined : password;
  } catch {
    return undefined;
  }
}

/**
 * Reads the logs of `calls`: each function's lines since `since`, in parallel, once. A function whose lines cannot
 * be read (gateway unreachable, password refused) is named in `problems`; the others still show.
 */
export async function readCallLogs(
  calls: readonly CallRef[],
  options: { readonly admin: GatewayAdmin | undefined; readonly namespace?: string | undefined; readonly since: Date },
): Promise<CallLogs> {
  const admin = options.admin;
  if (admin === undefined) return { state: 'disabled' };
  const functions = [...new Set(calls.map((call) => call.function))];
  const problems: string[] = [];
  const read = await Promise.all(
    functions.map(async (name) => {
      try {
        return await readFunctionLogs(admin, { name, namespace: options.namespace, since: options.since, timeoutMs: 4000 });
      } catch (error) {
        if (!isPlatformError(error)) throw error;
        problems.push(`logs of ${name}: ${error.message}`);
        return [];
      }
    }),
  );
  return { state: 'read', calls: groupCallLogs(read.flat(), new Set(calls.map((call) => call.call_id))), problems };
}
