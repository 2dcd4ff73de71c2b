import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import * as z from 'zod';
import type { Logger } from '../../shared/log.ts';
import type { QueueState } from './async-queue.ts';
import { GATEWAY_VERSION } from './call-id.ts';
import type { LogMessage, LogStore } from './logs.ts';
import { FUNCTION_NAMESPACE } from './stack-file.ts';
import { sendJson, sendText } from './responses.ts';

/** `GET /system/functions` items (faas-provider `FunctionStatus`); empty fields are omitted like Go's omitempty. */
export interface FunctionStatus {
  readonly name: string;
  readonly image: string;
  readonly namespace?: string;
  readonly envProcess?: string;
  readonly envVars?: Record<string, string>;
  readonly secrets?: readonly string[];
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
  readonly limits?: Record<string, string>;
  readonly requests?: Record<string, string>;
  readonly invocationCount?: number;
  readonly replicas?: number;
  readonly availableReplicas?: number;
  readonly createdAt: string;
}

/** Drops what Go's `omitempty` drops: empty strings, maps and lists, and zero numbers. */
export function omitEmpty<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (field === undefined || field === '' || field === 0) continue;
    if (Array.isArray(field) && field.length === 0) continue;
    if (typeof field === 'object' && field !== null && !Array.isArray(field) && Object.keys(field).length === 0) continue;
    out[key] = field;
  }
  return out as T;
}

/** What the system API reads from the rest of the gateway. */
export interface SystemApiDeps {
  listFunctions(): readonly FunctionStatus[];
  readonly logs: LogStore;
  queueState(): QueueState;
  /** The secret store `/system/secrets` manages (one file per secret). */
  readonly secretStoreDir: string;
  readonly log: Logger;
}

// A secret name becomes a file name: the gateway's name pattern, and never `.` or `..`.
const SecretName = z.string().regex(/^[-a-zA-Z_0-9.]+$/).refine((name) => name !== '.' && name !== '..', 'invalid name');
const SecretBody = z.object({
  name: SecretName,
  namespace: z.string().optional(),
  value: z.string().optional(),
  rawValue: z.string().optional(),
});

/** Routes that exist on the real gateway but that the local one does not offer (functions come from stack.yml). */
const UNSUPPORTED = /^\/system\/(scale-function\/.+|namespace\/.+|alert|telemetry)$/;

/**
 * The `/system/*` API behind basic auth: functions, one function, namespaces, info, logs (NDJSON), secrets,
 * plus the harness-only `GET /system/queue`. Deploy, update, delete and scale are answered 501: the local
 * gateway serves exactly the functions of `stack.yml`.
 */
export function createSystemApi(deps: SystemApiDeps): (req: IncomingMessage, res: ServerResponse, url: URL) => void {
  return (req, res, url) => {
    const method = req.method ?? 'GET';
    const route = url.pathname;
    const namespace = url.searchParams.get('namespace');
    const badNamespace = namespace !== null && namespace !== '' && namespace !== FUNCTION_NAMESPACE;
    if (route === '/system/functions') {
      if (method !== 'GET') return notOffered(req, res);
      req.resume();
      if (badNamespace) return sendText(res, 400, 'namespace not valid');
      return sendJson(res, 200, deps.listFunctions());
    }
    const one = /^\/system\/function\/([-a-zA-Z_0-9.]+)$/.exec(route);
    if (one) {
      req.resume();
      if (method !== 'GET') return sendText(res, 405, 'Method Not Allowed');
      if (badNamespace) return sendText(res, 400, 'namespace not valid');
      const found = deps.listFunctions().find((fn) => fn.name === one[1]);
      return found ? sendJson(res, 200, found) : sendText(res, 404, 'function not found');
    }
    if (route === '/system/namespaces') return answerGet(req, res, () => sendJson(res, 200, [FUNCTION_NAMESPACE]));
    if (route === '/system/info') return answerGet(req, res, () => sendJson(res, 200, info()));
    if (route === '/system/queue') return answerGet(req, res, () => sendJson(res, 200, deps.queueState()));
    if (route === '/system/logs') return answerGet(req, res, () => streamLogs(deps.logs, url, res));
    if (route === '/system/secrets') return void handleSecrets(deps, req, res);
    if (UNSUPPORTED.test(route)) return notOffered(req, res);
    req.resume();
    return sendText(res, 404, '404 page not found');
  };
}

function answerGet(req: IncomingMessage, res: ServerResponse, answer: () => void): void {
  req.resume();
  if (req.method !== 'GET') return sendText(res, 405, 'Method Not Allowed');
  answer();
}

function notOffered(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  sendText(res, 501, 'not offered by the local gateway: it serves the functions of stack.yml (edit it and restart)');
}

/** `/system/info` in the gateway's shape; the provider says what actually runs here. */
function info(): unknown {
  const arch = { x64: 'x86_64', arm64: 'aarch64' }[os.arch() as string] ?? os.arch();
  return {
    provider: { provider: 'dataplatform-local-gateway', orchestration: 'process', version: { sha: '', release: GATEWAY_VERSION } },
    version: { commit_message: '', sha: '', release: GATEWAY_VERSION },
    arch,
  };
}

/** Go's `strconv.ParseBool`; anything else is false, as the logs handler ignores the error. */
function parseGoBool(value: string | null): boolean {
  return value !== null && ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value);
}

/** The last value of a query parameter, like faas-provider's `getValue`. */
function lastValue(url: URL, name: string): string | null {
  const values = url.searchParams.getAll(name);
  return values.length === 0 ? null : (values[values.length - 1] ?? null);
}

/**
 * `GET /system/logs?name=&tail=&since=&follow=&instance=`: NDJSON lines; `tail` ≤ 0 means all stored lines;
 * `follow=true` keeps the answer open and streams new lines until the caller hangs up. A malformed `tail` or
 * `since` (or no `name`) → 422 `could not parse the log request`.
 */
function streamLogs(store: LogStore, url: URL, res: ServerResponse): void {
  const name = lastValue(url, 'name') ?? '';
  const tailText = lastValue(url, 'tail') ?? '';
  const sinceText = lastValue(url, 'since') ?? '';
  const instance = lastValue(url, 'instance') ?? '';
  const tail = tailText === '' ? 0 : Number(tailText);
  const since = sinceText === '' ? undefined : new Date(sinceText);
  const isRfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(sinceText);
  if (name === '' || !Number.isInteger(tail) || (since !== undefined && (!isRfc3339 || Number.isNaN(since.getTime())))) {
    return sendText(res, 422, 'could not parse the log request');
  }
  const matches = (line: LogMessage): boolean => instance === '' || line.instance === instance;
  res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
  for (const line of store.read({ name, tail, since })) if (matches(line)) res.write(`${JSON.stringify(line)}\n`);
  if (!parseGoBool(lastValue(url, 'follow'))) return void res.end();
  const unfollow = store.follow(name, (line) => {
    if (matches(line)) res.write(`${JSON.stringify(line)}\n`);
  });
  // Not req's 'close': a request emits it as soon as its (empty) body is read.
  res.on('close', unfollow);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * `/system/secrets`: GET lists names, POST creates, PUT replaces, DELETE removes a file in the secret store
 * (`value`, or base64 `rawValue`). Functions see a new secret from their next start. Values are never logged.
 */
async function handleSecrets(deps: SystemApiDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const store = deps.secretStoreDir;
  if (req.method === 'GET') {
    req.resume();
    const names = existsSync(store) ? (await readdir(store, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name) : [];
    return sendJson(res, 200, names.sort().map((name) => ({ name, namespace: FUNCTION_NAMESPACE })));
  }
  if (req.method !== 'POST' && req.method !== 'PUT' && req.method !== 'DELETE') {
    req.resume();
    return sendText(res, 405, 'Method Not Allowed');
  }
  let body: z.infer<typeof SecretBody>;
  try {
    body = SecretBody.parse(JSON.parse(await readBody(req)));
  } catch {
    return sendText(res, 400, 'invalid secret request');
  }
  const file = path.join(store, body.name);
  const exists = existsSync(file);
  if (req.method === 'DELETE') {
    if (!exists) return sendText(res, 404, `secret not found: ${body.name}`);
    await rm(file);
    deps.log.info({ secret: body.name }, 'secret removed');
    return sendText(res, 200, '');
  }
  if (req.method === 'POST' && exists) return sendText(res, 409, `secret exists: ${body.name}`);
  if (req.method === 'PUT' && !exists) return sendText(res, 404, `secret not found: ${body.name}`);
  const value = body.rawValue !== undefined ? Buffer.from(body.rawValue, 'base64') : Buffer.from(body.value ?? '');
  await mkdir(store, { recursive: true });
  await writeFile(file, value, { mode: 0o600 });
  deps.log.info({ secret: body.name }, req.method === 'POST' ? 'secret created' : 'secret updated');
  return sendText(res, req.method === 'POST' ? 201 : 200, '');
}
