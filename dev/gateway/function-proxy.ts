import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from '../../shared/log.ts';
import { forwardableHeaders, stampCall, stampResponseHeaders, type CallStamp } from './call-id.ts';
import type { FunctionRoute } from './router.ts';
import { FUNCTION_NAMESPACE } from './stack-file.ts';
import { sendEmpty, sendText } from './responses.ts';

/** The user agent the gateway sets when a caller sends none. */
const GATEWAY_USER_AGENT = 'openfaas-ce-gateway/0.27.13';

/** Where a function listens now; `port` is undefined while its process is down. */
export interface FunctionEndpoint {
  readonly port: number | undefined;
}

/** What the sync proxy needs from the gateway. */
export interface FunctionProxyDeps {
  findFunction(name: string): FunctionEndpoint | undefined;
  /** Called once per finished call, for `invocationCount`. */
  countInvocation(name: string, status: number): void;
  /** The gateway's `upstream_timeout`: past it the caller gets 502 and the call is abandoned. */
  readonly upstreamTimeoutMs: number;
  readonly log: Logger;
}

/**
 * The sync route `/function/NAME[.NS][/path]`: forwards any method to the function's watchdog with the
 * caller's headers, query and body, and answers with the function's status, headers and body. Adds the call-id
 * middleware's headers, `X-Forwarded-Host/For`, and the gateway's failure answers (404 unknown, 500
 * unreachable, 502 upstream timeout).
 */
export function createFunctionProxy(
  deps: FunctionProxyDeps,
): (req: IncomingMessage, res: ServerResponse, route: FunctionRoute) => void {
  return (req, res, route) => {
    const stamp = stampCall(req);
    const answerHeaders = stampResponseHeaders(stamp);
    const endpoint = route.namespace === FUNCTION_NAMESPACE ? deps.findFunction(route.name) : undefined;
    if (!endpoint) {
      req.resume();
      return sendText(res, 404, `error finding function ${route.name}.${route.namespace}: not found`, answerHeaders);
    }
    const started = performance.now();
    const finish = (status: number): void => {
      deps.countInvocation(route.name, status);
      deps.log.debug(
        { function: route.name, call_id: stamp.callId, status, duration_ms: Math.round(performance.now() - started) },
        'function call',
      );
    };
    const unreachable = (): void => {
      sendText(res, 500, `Can't reach service for: ${route.name}.`, { ...answerHeaders, 'X-OpenFaaS-Internal': 'proxy' });
      finish(500);
    };
    if (endpoint.port === undefined) {
      req.resume();
      return unreachable();
    }

    const upstream = http.request({
      host: '127.0.0.1',
      port: endpoint.port,
      method: req.method,
      path: route.path + (route.query === '' ? '' : `?${route.query}`),
      headers: upstreamHeaders(req, stamp),
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      upstream.destroy();
      sendEmpty(res, 502, answerHeaders);
      finish(502);
    }, deps.upstreamTimeoutMs);
    timer.unref();

    upstream.on('response', (answer) => {
      const headers = forwardableHeaders(answer.rawHeaders);
      // The gateway falls back to the request's Content-Type, then text/plain.
      headers['content-type'] ??= [req.headers['content-type'] ?? 'text/plain'];
      for (const [name, value] of Object.entries(answerHeaders)) headers[name.toLowerCase()] = [value];
      res.writeHead(answer.statusCode ?? 502, headers);
      answer.pipe(res);
      answer.on('end', () => {
        clearTimeout(timer);
        finish(answer.statusCode ?? 502);
      });
      answer.on('error', () => res.destroy());
    });
    upstream.on('error', () => {
      clearTimeout(timer);
      if (timedOut) return;
      if (res.headersSent) return void res.destroy();
      unreachable();
    });
    // A caller that hangs up abandons the call, as Go's request context does.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  };
}

/** The caller's headers for the function, with the middleware's additions. */
function upstreamHeaders(req: IncomingMessage, stamp: CallStamp): Record<string, string[]> {
  // Host is the function's own address, as in the gateway's upstream request.
  const headers = forwardableHeaders(req.rawHeaders, ['host']);
  headers['x-call-id'] = [stamp.callId];
  // Appended: a replayed async call carries its submit time and then this call's start time.
  (headers['x-start-time'] ??= []).push(stamp.startTime);
  if (headers['x-forwarded-host'] === undefined && req.headers.host) headers['x-forwarded-host'] = [req.headers.host];
  headers['x-forwarded-for'] ??= [`${req.socket.remoteAddress ?? ''}:${req.socket.remotePort ?? ''}`];
  headers['user-agent'] ??= [GATEWAY_USER_AGENT];
  return headers;
}
