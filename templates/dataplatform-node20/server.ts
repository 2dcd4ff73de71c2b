import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { refuseMissingProductionSettings } from '../../shared/production-settings.ts';
import { ConfigurationError, InvalidPayloadError, PayloadTooLargeError, UnauthorizedError } from '../../shared/errors.ts';
import type { FunctionAccess, FunctionEvent, FunctionHeaders, FunctionQuery, Handler } from '../../shared/handler.ts';
import { createLogger, type Logger } from '../../shared/log.ts';
import { CALL_TOKEN_SECRET, isSameSecret, presentedCallToken, readCallToken } from '../../shared/runtime/call-token.ts';
import { InvocationContext, type Outcome } from './context.ts';
import { parseBody } from './parse-body.ts';
import { RequestAbortedError, readBody } from './read-body.ts';
import {
  type Answer,
  describeError,
  describeFailure,
  type ErrorDescription,
  errorAnswer,
  withPublicMessage,
  JSON_CONTENT_TYPE,
  successAnswer,
  writeAnswer,
} from './respond.ts';
import { readServerSettings } from './settings.ts';

/** Answered by the server itself (the watchdog normally answers it first), for runs without a watchdog. */
export const HEALTH_PATH = '/_/health';

/** How `serve()` runs; every field has a default from the environment (see `settings.ts`). */
export interface ServeOptions {
  /** The function's name, bound to every log line as `function`. */
  readonly name?: string;
  /** Who may call it (`FunctionAccess`); default `platform`: callers present the call token. */
  readonly access?: FunctionAccess;
  /**
   * The call token callers must present. Default: `readCallToken()` (`CALL_TOKEN`, else the OpenFaaS secret file).
   * `null`: none is configured, and a function that needs one refuses every call (500, logged).
   */
  readonly callToken?: string | null;
  /** Listening port; `0` picks a free one (tests). Default: `http_port`, else 3000. */
  readonly port?: number;
  /** Listening address. Default `127.0.0.1`: only the watchdog beside it should reach the server. */
  readonly host?: string;
  /** Largest accepted body in bytes. Default: `MAX_BODY_BYTES`, else 1 MiB. */
  readonly maxBodyBytes?: number;
  /** How long SIGTERM waits for calls in flight. Default: the watchdog's `write_timeout`, else 10 s. */
  readonly shutdownTimeoutMs?: number;
  /** Root logger. Default: `createLogger({ function: name })` (pino, JSON on stdout). */
  readonly logger?: Logger;
  /**
   * Own the process: close gracefully on SIGTERM/SIGINT, log (and survive) stray promise rejections.
   * Default true; in-process tests pass false.
   */
  readonly ownsProcess?: boolean;
}

/** A listening server. */
export interface RunningServer {
  readonly server: Server;
  readonly port: number;
  /** `http://<host>:<port>` */
  readonly url: string;
  /** Stops accepting calls, waits for those in flight, then resolves. */
  close(): Promise<void>;
}

/**
 * Serves one handler over HTTP (node:http only) the way of-watchdog's `mode=http` expects: every answer is
 * JSON with a real status, errors are mapped by `describeError`, and no handler error ends the process.
 *
 * @example
 * ```ts
 * import { handler } from './functions/healthcheck/handler.ts';
 * await serve(handler, { name: 'healthcheck' }); // listens on $http_port (3000)
 * ```
 */
export async function serve(handler: Handler, options: ServeOptions = {}): Promise<RunningServer> {
  const env = readServerSettings();
  const log = options.logger ?? createLogger(options.name === undefined ? {} : { function: options.name });
  try {
    // A production function given a development URL (a forgotten secret) stops here, before it takes a call.
    refuseMissingProductionSettings();
  } catch (error) {
    log.fatal({ err: error }, 'refusing to start: a production setting is missing');
    throw error;
  }
  const host = options.host ?? '127.0.0.1';
  const maxBodyBytes = options.maxBodyBytes ?? env.maxBodyBytes;
  const state = { isClosing: false };
  const access = options.access ?? 'platform';
  const callToken = options.callToken === undefined ? (readCallToken() ?? null) : options.callToken;
  if (access !== 'public' && callToken === null) {
    log.error({ secret: CALL_TOKEN_SECRET }, 'no call token: every call is refused (create the OpenFaaS secret and list it in stack.yml)');
  }

  const server = createServer((request, response) => {
    void answerRequest(request, response, { handler, log, maxBodyBytes, state, access, callToken });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? env.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  const close = (): Promise<void> => {
    state.isClosing = true;
    return new Promise((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeIdleConnections();
    });
  };
  if (options.ownsProcess ?? true) {
    ownProcess(close, log, options.shutdownTimeoutMs ?? env.shutdownTimeoutMs);
  }
  log.info({ port, max_body_bytes: maxBodyBytes }, 'function server listening');
  return { server, port, url: `http://${host}:${port}`, close };
}

interface RequestScope {
  readonly handler: Handler;
  readonly log: Logger;
  readonly maxBodyBytes: number;
  readonly state: { isClosing: boolean };
  readonly access: FunctionAccess;
  readonly callToken: string | null;
}

/**
 * Refuses a call its function's access does not allow (before the body is read, except for a tick, whose body
 * decides): 401 with `WWW-Authenticate`, so a browser asks for the token as a password.
 */
function checkAccess(request: IncomingMessage, scope: RequestScope, rawBody: Buffer | undefined): void {
  if (scope.access === 'public') return;
  if (scope.callToken === null) throw new ConfigurationError(`the function has no call token (OpenFaaS secret ${CALL_TOKEN_SECRET})`);
  const presented = presentedCallToken(firstValue(request.headers.authorization));
  if (presented !== undefined && isSameSecret(presented, scope.callToken)) return;
  if (scope.access === 'platform-or-tick' && rawBody !== undefined && rawBody.length === 0 && presented === undefined) return;
  throw new UnauthorizedError('this function needs the platform call token (Authorization: Bearer <token>)');
}

async function answerRequest(request: IncomingMessage, response: ServerResponse, scope: RequestScope): Promise<void> {
  const callId = firstValue(request.headers['x-call-id']);
  const log = callId === undefined ? scope.log : scope.log.child({ call_id: callId });
  let context: InvocationContext | undefined;
  let isBodyRead = false;
  let answer: Answer;
  try {
    const url = requestUrl(request.url);
    if (url.pathname === HEALTH_PATH && (request.method === 'GET' || request.method === 'HEAD')) {
      answer = healthAnswer(scope.state.isClosing);
    } else {
      if (scope.access !== 'platform-or-tick') checkAccess(request, scope, undefined);
      const rawBody = await readBody(request, scope.maxBodyBytes);
      isBodyRead = true;
      if (scope.access === 'platform-or-tick') checkAccess(request, scope, rawBody);
      const event: FunctionEvent = {
        body: parseBody(rawBody, request.headers['content-type']),
        rawBody,
        headers: toHeaders(request.headers),
        method: request.method ?? 'GET',
        query: toQuery(url.searchParams),
        path: url.pathname,
      };
      let outcome: Outcome;
      ({ outcome, context } = await runHandler(scope.handler, event, log, callId));
      answer = answerOutcome(outcome, context, log, callId);
    }
  } catch (error) {
    if (error instanceof RequestAbortedError) {
      log.warn('request aborted by the caller before its body was read');
      return;
    }
    answer = answerError(describeError(error), error, context?.handlerHeaders ?? {}, log, callId);
    if (error instanceof UnauthorizedError && !isBodyRead) answer = { ...answer, headers: { ...answer.headers, 'www-authenticate': 'Basic realm="dataplatform"' } };
    // The rest of an oversized upload (or of a refused one) is not worth reading: answer, then drop the connection.
    if (!isBodyRead && (error instanceof PayloadTooLargeError || error instanceof UnauthorizedError)) {
      answer = { ...answer, headers: { ...answer.headers, connection: 'close' } };
    }
  }
  // Once closing, a kept-alive connection would hold the shutdown until its idle timeout: end each one.
  if (scope.state.isClosing) answer = { ...answer, headers: { ...answer.headers, connection: 'close' } };
  send(response, answer, log);
}

/** Runs the handler; settles with the first of: its return value, its error, `succeed()` or `fail()`. */
function runHandler(
  handler: Handler,
  event: FunctionEvent,
  log: Logger,
  callId: string | undefined,
): Promise<{ outcome: Outcome; context: InvocationContext }> {
  return new Promise((resolve) => {
    let isSettled = false;
    const settle = (outcome: Outcome): void => {
      if (isSettled) {
        if (outcome.kind === 'thrown') log.warn({ err: outcome.error }, 'handler failed after it had answered');
        return;
      }
      isSettled = true;
      resolve({ outcome, context });
    };
    const context = new InvocationContext(log, callId, settle);
    try {
      Promise.resolve(handler(event, context)).then(
        (value) => settle({ kind: 'value', value }),
        (error: unknown) => settle({ kind: 'thrown', error }),
      );
    } catch (error) {
      settle({ kind: 'thrown', error });
    }
  });
}

function answerOutcome(outcome: Outcome, context: InvocationContext, log: Logger, callId: string | undefined): Answer {
  const headers = context.handlerHeaders;
  if (outcome.kind === 'thrown') return answerError(describeError(outcome.error), outcome.error, headers, log, callId);
  if (outcome.kind === 'failure') {
    const error = outcome.value instanceof Error ? outcome.value : undefined;
    return answerError(describeFailure(outcome.value, context.handlerStatus), error, headers, log, callId);
  }
  try {
    return successAnswer(outcome.value, context.status(), headers);
  } catch (error) {
    return answerError(describeError(error), error, headers, log, callId);
  }
}

/**
 * Logs an error once, with the stack only for bugs (5xx), and builds its answer. A 5xx answer says only what kind of
 * failure it was and the call id: its details (hosts, paths, a database's words) stay in the log.
 */
function answerError(
  description: ErrorDescription,
  error: unknown,
  headers: Record<string, string>,
  log: Logger,
  callId: string | undefined,
): Answer {
  const facts = { status: description.status, error_code: description.body.error, reason: description.body.message };
  if (description.isBug) log.error(error === undefined ? facts : { ...facts, err: error }, 'function call failed');
  else log.warn(facts, 'function call refused');
  return errorAnswer(withPublicMessage(description, callId), headers);
}

function send(response: ServerResponse, answer: Answer, log: Logger): void {
  try {
    writeAnswer(response, answer);
  } catch (error) {
    // A header the handler set that node refuses (a newline in a value…): answer 500 without its headers.
    log.error({ err: error }, 'answer could not be written');
    if (response.headersSent) {
      response.destroy();
      return;
    }
    for (const name of response.getHeaderNames()) response.removeHeader(name);
    const description = describeError(error);
    writeAnswer(response, errorAnswer(description, {}));
  }
}

function healthAnswer(isClosing: boolean): Answer {
  const body = JSON.stringify({ status: isClosing ? 'closing' : 'ok' });
  return { status: isClosing ? 503 : 200, headers: { 'content-type': JSON_CONTENT_TYPE }, body };
}

function requestUrl(target: string | undefined): URL {
  // Prefixing (rather than a base URL) keeps a path like `//a/b` a path instead of a host.
  const base = 'http://function.invalid';
  try {
    return new URL(target === undefined || target === '' ? '/' : target.startsWith('/') ? base + target : target, base);
  } catch (error) {
    throw new InvalidPayloadError('request target is not a valid URL', [], { cause: error });
  }
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function toHeaders(headers: IncomingHttpHeaders): FunctionHeaders {
  // fromEntries defines own properties, so a `__proto__` header cannot reach the prototype.
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : value]),
  );
}

function toQuery(parameters: URLSearchParams): FunctionQuery {
  const query = new Map<string, string | string[]>();
  for (const name of new Set(parameters.keys())) {
    const values = parameters.getAll(name);
    query.set(name, values.length === 1 ? (values[0] as string) : values);
  }
  return Object.fromEntries(query);
}

let ownedProcess = false;

/** Graceful SIGTERM (the watchdog forwards it at once), and stray rejections logged instead of fatal. */
function ownProcess(close: () => Promise<void>, log: Logger, shutdownTimeoutMs: number): void {
  if (ownedProcess) return;
  ownedProcess = true;
  const shutdown = (signal: NodeJS.Signals): void => {
    log.info({ signal, shutdown_timeout_ms: shutdownTimeoutMs }, 'closing the function server');
    setTimeout(() => {
      log.warn('calls still in flight at the shutdown timeout; exiting');
      process.exit(1);
    }, shutdownTimeoutMs).unref();
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'function server did not close cleanly');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  // A promise a handler forgot to await must not take every later call down with it.
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled promise rejection'));
}
