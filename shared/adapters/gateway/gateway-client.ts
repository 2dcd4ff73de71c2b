import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import * as z from 'zod';
import { PayloadTooLargeError, PlatformError, UpstreamUnavailableError } from '../../errors.ts';

/** The OpenFaaS CE async route refuses bodies over this many bytes (with a 500). */
export const MAX_ASYNC_BODY_BYTES = 256_000;

/** Function names the gateway routes (`name` or `name.namespace`). */
const FUNCTION_NAME = /^[-a-zA-Z_0-9.]+$/;

/** A call the gateway (or the function behind it) answered with a status the caller cannot accept. */
export class GatewayCallError extends PlatformError {
  readonly status = 502;
  readonly code = 'gateway_call_failed';
  override readonly retryable: boolean;

  constructor(
    /** The function called. */
    readonly functionName: string,
    /** The gateway's HTTP status. */
    readonly gatewayStatus: number,
    /** The start of the gateway's answer (the CE gateway answers errors as plain text). */
    readonly answer: string,
    options?: ErrorOptions,
  ) {
    super(`gateway answered ${gatewayStatus} for ${functionName}${answer === '' ? '' : `: ${answer}`}`, options);
    // 5xx (gateway or provider trouble) and 429 may pass; a 4xx will not.
    this.retryable = gatewayStatus >= 500 || gatewayStatus === 429;
  }
}

/** The gateway accepted an async call (202): it is queued, and the queue-worker will call the function. */
export interface AsyncCallAccepted {
  /** The call id the gateway gave the queued call, when it sent one back. */
  readonly callId: string | undefined;
}

/** The answer of a synchronous call: the function's status and body (JSON parsed when it says it is JSON). */
export interface SyncCallAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly callId: string | undefined;
}

/** How a function reaches others through the OpenFaaS gateway. */
export interface GatewayClient {
  /** The gateway's base URL (`http://gateway:8080`), for messages. */
  readonly baseUrl: string;
  /**
   * Queues a call (`POST /async-function/<name>` with a JSON body) and resolves once the gateway answered 202.
   * Anything else throws: `GatewayCallError` with the status, or `UpstreamUnavailableError` when unreachable.
   */
  invokeAsync(functionName: string, payload: unknown, options?: { callbackUrl?: string }): Promise<AsyncCallAccepted>;
  /**
   * Calls a function and waits for its answer (`POST /function/<name>`), whatever its status; throws only when the
   * gateway cannot be reached or does not answer in time (`UpstreamUnavailableError`).
   */
  invoke(functionName: string, payload: unknown, options?: { timeoutMs?: number }): Promise<SyncCallAnswer>;
}

/** Settings of a gateway client. */
export interface GatewayClientOptions {
  /** `GATEWAY_URL`, e.g. `http://127.0.0.1:8080`; a trailing slash is ignored. */
  readonly baseUrl: string;
  /**
   * `FUNCTION_NAMESPACE`: the namespace the platform's functions are deployed in. Calls go to `NAME.NAMESPACE`
   * when set (the gateway routes plain names to its default namespace, `openfaas-fn`); a name with a dot is sent as is.
   */
  readonly namespace?: string;
  /** The platform's call token (shared/runtime/call-token.ts), sent with every call; the functions ask for it. */
  readonly token?: string;
  /** How long one call may take before it counts as unreachable. Default 10 s (async calls answer at once). */
  readonly timeoutMs?: number;
}

// Only the headers the platform reads; anything else the gateway sends is ignored.
const AnswerHeaders = z.looseObject({
  'x-call-id': z.string().min(1).optional(),
  'content-type': z.string().optional(),
});

/**
 * Creates a gateway client on `node:http`, which the function's own server has loaded already: an HTTP library (or
 * `fetch`, whose undici loads on first use) would cost every cold start, or the first call, tens of ms for three
 * POSTs of JSON. Proxy variables in the environment are ignored on purpose: the gateway is a neighbour on the function
 * network, and a corporate proxy would only break the call. Redirects are answers, not followed.
 *
 * @example
 * const gateway = createGatewayClient({ baseUrl: env.GATEWAY_URL });
 * await gateway.invokeAsync('bronze', { batch_id, system_id, entity_id });
 */
export function createGatewayClient(options: GatewayClientOptions): GatewayClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const defaultTimeoutMs = options.timeoutMs ?? 10_000;
  const qualified = (name: string): string => (options.namespace && !name.includes('.') ? `${name}.${options.namespace}` : name);
  const authorization: Record<string, string> = options.token === undefined ? {} : { authorization: `Bearer ${options.token}` };

  const post = async (route: string, functionName: string, payload: unknown, headers: Record<string, string>, timeoutMs?: number) => {
    const body = encodePayload(functionName, payload);
    const limit = timeoutMs ?? defaultTimeoutMs;
    try {
      return await postJson(new URL(`${baseUrl}/${route}/${qualified(functionName)}`), body, { ...headers, ...authorization }, limit);
    } catch (error) {
      throw new UpstreamUnavailableError(`gateway at ${baseUrl} unreachable while calling ${route}/${functionName}: ${reason(error, limit)}`, {
        cause: error,
      });
    }
  };

  return {
    baseUrl,
    async invokeAsync(functionName, payload, callOptions = {}) {
      checkFunctionName(functionName);
      const headers: Record<string, string> = callOptions.callbackUrl ? { 'x-callback-url': callOptions.callbackUrl } : {};
      const answer = await post('async-function', functionName, payload, headers);
      if (answer.status !== 202) throw new GatewayCallError(functionName, answer.status, excerpt(answer.text));
      return { callId: answerHeaders(answer.headers)['x-call-id'] };
    },
    async invoke(functionName, payload, callOptions = {}) {
      checkFunctionName(functionName);
      const answer = await post('function', functionName, payload, {}, callOptions.timeoutMs);
      const headers = answerHeaders(answer.headers);
      return { status: answer.status, body: decodeBody(answer.text, headers['content-type']), callId: headers['x-call-id'] };
    },
  };
}

/** What the gateway answered, whatever the status; the body as text until its type is known. */
interface RawAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

/** Sends one JSON POST and reads the whole answer, within `timeoutMs` for both (aborted past it). */
async function postJson(url: URL, body: string, headers: Record<string, string>, timeoutMs: number): Promise<RawAnswer> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), timeoutMs);
  try {
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const call = send(
        url,
        {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body, 'utf8')) },
          signal: deadline.signal,
        },
        resolve,
      );
      call.once('error', reject);
      call.end(body);
    });
    const chunks: Buffer[] = [];
    // Rejects when the connection ends before the answer does, or when the deadline aborts the call.
    for await (const chunk of response) chunks.push(chunk as Buffer);
    return { status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') };
  } catch (error) {
    throw deadline.signal.aborted ? new TimeoutError(timeoutMs, { cause: error }) : error;
  } finally {
    clearTimeout(timer);
  }
}

class TimeoutError extends Error {
  readonly code = 'ETIMEDOUT';

  constructor(timeoutMs: number, options?: ErrorOptions) {
    super(`no answer within ${timeoutMs} ms`, options);
  }
}

function checkFunctionName(name: string): void {
  if (!FUNCTION_NAME.test(name)) throw new TypeError(`"${name}" is not a function name the gateway routes`);
}

function encodePayload(functionName: string, payload: unknown): string {
  const body = JSON.stringify(payload ?? {});
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > MAX_ASYNC_BODY_BYTES) {
    throw new PayloadTooLargeError(`payload for ${functionName} is ${bytes} bytes; the gateway takes at most ${MAX_ASYNC_BODY_BYTES}`);
  }
  return body;
}

function answerHeaders(headers: IncomingHttpHeaders): z.infer<typeof AnswerHeaders> {
  const parsed = AnswerHeaders.safeParse({ ...headers });
  return parsed.success ? parsed.data : {};
}

function decodeBody(body: string, contentType: string | undefined): unknown {
  if (body === '') return undefined;
  if (contentType !== undefined && /[/+]json\b/i.test(contentType)) {
    try {
      return JSON.parse(body) as unknown;
    } catch {
      return body;
    }
  }
  return body;
}

function excerpt(text: string): string {
  const body = text.trim();
  return body.length > 300 ? `${body.slice(0, 299)}…` : body;
}

/** The short cause of a failed call: the system error code (`ECONNREFUSED`) or the timeout. */
function reason(error: unknown, timeoutMs: number): string {
  if (error instanceof TimeoutError) return `timed out after ${timeoutMs} ms`;
  const code = error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.message : String(error);
}
