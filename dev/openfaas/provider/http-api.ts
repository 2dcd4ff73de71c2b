/**
 * The faas-provider HTTP API (`openfaas/faas-provider: serve.go`) the gateway calls at `functions_provider_url`:
 * `/system/*` with basic auth (the gateway sends its own credentials), `/function/NAME[.NS][/path]` open, as the
 * gateway forwards calls there. Bodies and errors as faasd answers them: JSON for data, plain text for errors.
 */
import { timingSafeEqual } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type * as z from 'zod';
import type { Logger } from '../../../shared/log.ts';
import {
  DeleteRequest,
  describeIssues,
  FunctionDeployment,
  NamespaceRequest,
  resolveNamespace,
  ScaleRequest,
  SecretRequest,
  splitFunctionName,
} from './deployment.ts';
import type { LogMessage } from './function-logs.ts';
import { ProviderError, type Provider } from './provider.ts';
import { SecretError } from './secret-store.ts';

export interface Credentials {
  readonly user: string;
  readonly password: string;
}

export interface ApiOptions {
  readonly provider: Provider;
  readonly credentials: Credentials;
  /** How long a proxied call may take (faasd's `service_timeout`). */
  readonly serviceTimeoutMs: number;
  readonly version: string;
  readonly log: Logger;
}

/** A route's handler; throws ProviderError (or a zod error) to refuse. */
type Route = (req: IncomingMessage, res: ServerResponse, url: URL, params: string[]) => Promise<void>;

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);
const FUNCTION_ROUTE = /^\/function\/([-a-zA-Z_0-9.]+)(\/.*)?$/;

function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', ...headers });
  res.end(`${text}\n`);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(body.length) });
  res.end(body);
}

async function readJson<T>(req: IncomingMessage, schema: z.ZodType<T>): Promise<T> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 1024 * 1024) throw new ProviderError(413, 'request body too large');
    chunks.push(chunk);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw new ProviderError(400, `invalid JSON: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ProviderError(400, describeIssues(parsed.error));
  return parsed.data;
}

function namespaceOf(url: URL): string {
  try {
    return resolveNamespace(url.searchParams.get('namespace'));
  } catch (error) {
    throw new ProviderError(400, (error as Error).message);
  }
}

function authorized(req: IncomingMessage, credentials: Credentials): boolean {
  const header = req.headers.authorization;
  if (header === undefined || !/^basic /i.test(header)) return false;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return false;
  const same = (given: string, expected: string): boolean => {
    const a = Buffer.from(given);
    const b = Buffer.from(expected);
    return a.length === b.length && timingSafeEqual(a, b);
  };
  return same(decoded.slice(0, colon), credentials.user) && same(decoded.slice(colon + 1), credentials.password);
}

/** Starts the API server on 127.0.0.1:`port`. */
export async function serveApi(options: ApiOptions, port: number): Promise<http.Server> {
  const { provider } = options;
  const routes: Array<{ method: string; pattern: RegExp; handle: Route }> = [
    {
      method: 'GET',
      pattern: /^\/system\/functions$/,
      handle: async (_req, res, url) => sendJson(res, 200, provider.list(namespaceOf(url))),
    },
    ...(['POST', 'PUT'] as const).map((method) => ({
      method,
      pattern: /^\/system\/functions$/,
      handle: async (req: IncomingMessage, res: ServerResponse) => {
        const deployment = await readJson(req, FunctionDeployment);
        await provider.deploy({ ...deployment, namespace: resolveNamespace(deployment.namespace) }, method === 'PUT');
        res.writeHead(method === 'PUT' ? 200 : 202).end();
      },
    })),
    {
      method: 'DELETE',
      pattern: /^\/system\/functions$/,
      handle: async (req, res) => {
        const request = await readJson(req, DeleteRequest);
        await provider.remove(request.functionName, resolveNamespace(request.namespace));
        res.writeHead(202).end();
      },
    },
    {
      method: 'GET',
      pattern: /^\/system\/function\/([-a-zA-Z_0-9.]+)$/,
      handle: async (_req, res, url, [name = '']) => {
        const status = provider.status(name, namespaceOf(url));
        if (status === undefined) throw new ProviderError(404, `function ${name} not found`);
        sendJson(res, 200, status);
      },
    },
    {
      method: 'POST',
      pattern: /^\/system\/scale-function\/([-a-zA-Z_0-9.]+)$/,
      handle: async (req, res, url, [name = '']) => {
        const request = await readJson(req, ScaleRequest);
        await provider.scale(name, request.namespace ? resolveNamespace(request.namespace) : namespaceOf(url), request.replicas);
        res.writeHead(202).end();
      },
    },
    {
      method: 'GET',
      pattern: /^\/system\/info$/,
      handle: async (_req, res) =>
        sendJson(res, 200, { provider: 'dataplatform-local-provider', orchestration: 'process', version: { sha: 'local', release: options.version } }),
    },
    {
      method: 'GET',
      pattern: /^\/system\/namespaces$/,
      handle: async (_req, res) => sendJson(res, 200, provider.namespaceNames()),
    },
    {
      method: 'GET',
      pattern: /^\/system\/namespace\/([-a-zA-Z_0-9.]*)$/,
      handle: async (_req, res, _url, [name = '']) => {
        const found = provider.namespace(name);
        if (found === undefined) throw new ProviderError(404, `namespace ${name} not found`);
        sendJson(res, 200, found);
      },
    },
    ...(['POST', 'PUT'] as const).map((method) => ({
      method,
      pattern: /^\/system\/namespace\/([-a-zA-Z_0-9.]*)$/,
      handle: async (req: IncomingMessage, res: ServerResponse, _url: URL, [name = '']: string[]) => {
        const request = await readJson(req, NamespaceRequest);
        const namespace = resolveNamespaceName(request.name || name);
        await provider.saveNamespace(namespace, { labels: request.labels ?? {}, annotations: request.annotations ?? {} }, method === 'PUT');
        res.writeHead(method === 'POST' ? 201 : 202).end();
      },
    })),
    {
      method: 'DELETE',
      pattern: /^\/system\/namespace\/([-a-zA-Z_0-9.]*)$/,
      handle: async (_req, res, _url, [name = '']) => {
        await provider.removeNamespace(name);
        res.writeHead(202).end();
      },
    },
    {
      method: 'GET',
      pattern: /^\/system\/secrets$/,
      handle: async (_req, res, url) => {
        const namespace = namespaceOf(url);
        sendJson(res, 200, (await provider.secrets.list(namespace)).map((name) => ({ name, namespace })));
      },
    },
    ...(['POST', 'PUT'] as const).map((method) => ({
      method,
      pattern: /^\/system\/secrets$/,
      handle: async (req: IncomingMessage, res: ServerResponse) => {
        const secret = await readJson(req, SecretRequest);
        const namespace = resolveNamespace(secret.namespace);
        if (!provider.hasNamespace(namespace)) throw new ProviderError(400, `namespace ${namespace} not found`);
        const value = secret.rawValue !== undefined ? Buffer.from(secret.rawValue, 'base64') : Buffer.from(secret.value ?? '');
        await provider.secrets.write(namespace, secret.name, value, method === 'PUT');
        res.writeHead(method === 'POST' ? 201 : 200).end();
      },
    })),
    {
      method: 'DELETE',
      pattern: /^\/system\/secrets$/,
      handle: async (req, res) => {
        const secret = await readJson(req, SecretRequest);
        await provider.secrets.remove(resolveNamespace(secret.namespace), secret.name);
        res.writeHead(200).end();
      },
    },
    {
      method: 'GET',
      pattern: /^\/system\/logs$/,
      handle: (req, res, url) => serveLogs(req, res, url, provider),
    },
  ];

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://provider');
    if (url.pathname === '/healthz') {
      sendText(res, 200, 'OK');
      return;
    }
    const fn = FUNCTION_ROUTE.exec(url.pathname);
    if (fn) {
      proxy(req, res, url, fn[1] ?? '', fn[2] ?? '/', options);
      return;
    }
    if (!url.pathname.startsWith('/system/')) {
      sendText(res, 404, '404 page not found');
      return;
    }
    if (!authorized(req, options.credentials)) {
      sendText(res, 401, 'invalid credentials', { 'WWW-Authenticate': 'Basic realm="Restricted"' });
      return;
    }
    const matching = routes.filter((route) => route.pattern.test(url.pathname));
    const route = matching.find((candidate) => candidate.method === req.method);
    if (route === undefined) {
      sendText(res, matching.length > 0 ? 405 : 404, matching.length > 0 ? 'method not allowed' : '404 page not found');
      return;
    }
    const params = (route.pattern.exec(url.pathname) ?? []).slice(1);
    route.handle(req, res, url, params).catch((error: unknown) => {
      if (error instanceof ProviderError || error instanceof SecretError) {
        sendText(res, error.status, error.message);
      } else if (error instanceof RangeError) {
        sendText(res, 400, error.message);
      } else {
        options.log.error({ err: error, method: req.method, path: url.pathname }, 'provider request failed');
        sendText(res, 500, (error as Error).message);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return server;
}

function resolveNamespaceName(name: string): string {
  if (name === '') throw new ProviderError(400, 'a namespace name is required');
  return resolveNamespace(name);
}

/** `GET /system/logs`: NDJSON lines; with `follow=true` new lines stream until the caller hangs up. */
async function serveLogs(req: IncomingMessage, res: ServerResponse, url: URL, provider: Provider): Promise<void> {
  const name = url.searchParams.get('name') ?? '';
  const tailText = url.searchParams.get('tail') ?? '';
  const sinceText = url.searchParams.get('since') ?? '';
  const tail = tailText === '' ? 0 : Number(tailText);
  const since = sinceText === '' ? undefined : new Date(sinceText);
  if (name === '' || !Number.isInteger(tail) || (since !== undefined && Number.isNaN(since.getTime()))) {
    throw new ProviderError(422, 'could not parse the log request');
  }
  const namespace = namespaceOf(url);
  const follow = /^(1|t|true)$/i.test(url.searchParams.get('follow') ?? '');
  res.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'Transfer-Encoding': 'chunked', Connection: 'Keep-Alive' });
  const write = (message: LogMessage): boolean => res.write(`${JSON.stringify(message)}\n`);
  for (const message of provider.logs.read({ name, namespace, tail, since })) write(message);
  if (!follow) {
    res.end();
    return;
  }
  const stop = provider.logs.follow(namespace, name, write);
  await new Promise<void>((resolve) => {
    req.on('close', resolve);
    res.on('close', resolve);
  });
  stop();
  res.end();
}

/** `/function/NAME[.NS][/path]` → the replica's watchdog, as faas-provider's proxy does (errors included). */
function proxy(req: IncomingMessage, res: ServerResponse, url: URL, qualified: string, rest: string, options: ApiOptions): void {
  const { name, namespace } = splitFunctionName(qualified);
  const internal = { 'X-OpenFaaS-Internal': 'proxy' };
  const endpoint = options.provider.endpoint(name, namespace);
  if (endpoint === undefined) {
    req.resume();
    sendText(res, 503, `No endpoints available for: ${qualified}.`, internal);
    return;
  }
  const headers: http.OutgoingHttpHeaders = {};
  for (const [header, value] of Object.entries(req.headers)) {
    if (!HOP_BY_HOP.has(header) && value !== undefined) headers[header] = value;
  }
  const upstream = http.request(
    { host: endpoint.host, port: endpoint.port, method: req.method, path: `${rest}${url.search}`, headers, agent: false, timeout: options.serviceTimeoutMs },
    (answer) => {
      const out: http.OutgoingHttpHeaders = {};
      for (const [header, value] of Object.entries(answer.headers)) {
        if (!HOP_BY_HOP.has(header) && value !== undefined) out[header] = value;
      }
      out['content-type'] = answer.headers['content-type'] ?? req.headers['content-type'] ?? 'text/plain';
      res.writeHead(answer.statusCode ?? 502, out);
      answer.pipe(res);
    },
  );
  const failed = (error: Error): void => {
    options.log.warn({ function: qualified, err: error.message }, 'proxy request failed');
    sendText(res, 500, `Can't reach service for: ${qualified}.`, internal);
  };
  upstream.on('timeout', () => upstream.destroy(new Error(`no answer within ${options.serviceTimeoutMs} ms`)));
  upstream.on('error', failed);
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}
