import type { IncomingMessage, ServerResponse } from 'node:http';
import { FUNCTION_NAMESPACE } from './stack-file.ts';
import { sendText } from './responses.ts';

/** A request for a function, from `/function/NAME[.NS][/path]` or `/async-function/…`. */
export interface FunctionRoute {
  readonly kind: 'sync' | 'async';
  /** The name as the caller wrote it (`ingest` or `ingest.openfaas-fn`); the queue keeps this spelling. */
  readonly requestedName: string;
  readonly name: string;
  readonly namespace: string;
  /** The path the function sees: `/` or `/sub/path`, still percent-encoded, without the query. */
  readonly path: string;
  /** The raw query string without `?`, or "". */
  readonly query: string;
}

// The gateway's name pattern is [-a-zA-Z_0-9.]+; everything after the next slash is the function's own path.
const FUNCTION_PATH = /^\/(function|async-function)\/([-a-zA-Z_0-9.]+)(\/.*)?$/;

/**
 * Reads a function route from a request target (`/function/echo.openfaas-fn/a/b?x=1`). The namespace is what
 * follows the last dot; without one it is `openfaas-fn`. Returns undefined for any other path.
 */
export function parseFunctionRoute(target: string): FunctionRoute | undefined {
  const queryAt = target.indexOf('?');
  const pathname = queryAt === -1 ? target : target.slice(0, queryAt);
  const query = queryAt === -1 ? '' : target.slice(queryAt + 1);
  const match = FUNCTION_PATH.exec(pathname);
  if (!match) return undefined;
  const requestedName = match[2] ?? '';
  const dot = requestedName.lastIndexOf('.');
  const name = dot === -1 ? requestedName : requestedName.slice(0, dot);
  const namespace = dot === -1 ? FUNCTION_NAMESPACE : requestedName.slice(dot + 1);
  return {
    kind: match[1] === 'async-function' ? 'async' : 'sync',
    requestedName,
    name,
    namespace,
    path: match[3] === undefined || match[3] === '' ? '/' : match[3],
    query,
  };
}

/** What the router hands requests to; each handler owns its answer. */
export interface RouteHandlers {
  invoke(req: IncomingMessage, res: ServerResponse, route: FunctionRoute): void;
  enqueue(req: IncomingMessage, res: ServerResponse, route: FunctionRoute): void;
  /** `/system/*`; the router has already checked basic auth. */
  system(req: IncomingMessage, res: ServerResponse, url: URL): void;
  /** True when the request carries the gateway's basic-auth credentials. */
  isAuthorized(req: IncomingMessage): boolean;
}

/**
 * Dispatches like the gateway's route table: function routes are open, `/system/*` needs basic auth
 * (401 `invalid credentials`), `/healthz` is open, anything else is Go's `404 page not found`.
 */
export function createRouter(handlers: RouteHandlers): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const target = req.url ?? '/';
    const route = parseFunctionRoute(target);
    if (route?.kind === 'sync') return handlers.invoke(req, res, route);
    if (route?.kind === 'async') {
      if (req.method !== 'POST') {
        req.resume();
        return sendText(res, 405, 'Method Not Allowed');
      }
      return handlers.enqueue(req, res, route);
    }
    const url = new URL(target, 'http://gateway.invalid');
    if (url.pathname === '/system' || url.pathname.startsWith('/system/')) {
      if (!handlers.isAuthorized(req)) {
        req.resume();
        return sendText(res, 401, 'invalid credentials', { 'WWW-Authenticate': 'Basic realm="Restricted"' });
      }
      return handlers.system(req, res, url);
    }
    req.resume();
    if (url.pathname === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) return sendText(res, 200, 'OK');
    return sendText(res, 404, '404 page not found');
  };
}
