/**
 * One attempt of the HTTP client (http-client.ts) over node's `fetch`: a deadline that covers the body, no
 * redirects, a bounded body read whole, and the outcome as the retry rules see it. `fetch` (undici, with http2 and
 * the rest it needs) is loaded by node on the first call, so a function's start does not pay for it.
 */
import { performance } from 'node:perf_hooks';
import { ConfigurationError, UpstreamError } from '../../errors.ts';

/** An answer as read off the wire, whatever its status. */
export interface RawAnswer {
  readonly status: number;
  /** Lower-case names; a repeated header's values joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  /** The whole body, decompressed. */
  readonly body: Buffer;
}

/** What one attempt came to: an answer, or none (`code` says why; `sent` whether the source may have acted). */
export type AttemptOutcome =
  | { readonly kind: 'answer'; readonly response: RawAnswer; readonly ms: number }
  | { readonly kind: 'no_answer'; readonly code: string; readonly sent: boolean; readonly ms: number };

export interface Attempt {
  readonly method: string;
  readonly url: URL;
  /** Applied in order; a later value replaces an earlier one of the same name, whatever its case. */
  readonly headers: readonly Readonly<Record<string, string>>[];
  /** Sent byte for byte. */
  readonly body: string | Buffer | undefined;
  /** Deadline of the attempt, answer body included. */
  readonly timeoutMs: number;
  /** The largest body read; a larger one fails the request. */
  readonly maxBodyBytes: number;
  /** The caller's: its reason is thrown as is. */
  readonly signal: AbortSignal | undefined;
  /** `<source> <method> <path>` for messages, with secrets already redacted. */
  readonly where: string;
}

// Errors where the connection never carried the request: safe to retry whatever the method.
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'connect_timeout']);
// undici's codes for a lost connection, by the names node's http gives them (and the logs gave them before fetch).
const UNDICI_CODES: Readonly<Record<string, string>> = {
  UND_ERR_SOCKET: 'ECONNRESET',
  UND_ERR_CONNECT_TIMEOUT: 'connect_timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
};

/**
 * Sends one request and reads its whole answer. Throws the caller's abort reason, `UpstreamError` for a body over
 * `maxBodyBytes`, and `ConfigurationError` for a header HTTP cannot carry; anything else is an outcome.
 */
export async function sendAttempt(attempt: Attempt): Promise<AttemptOutcome> {
  const headers = requestHeaders(attempt);
  const deadline = AbortSignal.timeout(attempt.timeoutMs);
  const signal = attempt.signal ? AbortSignal.any([attempt.signal, deadline]) : deadline;
  const started = performance.now();
  const lost = (code: string): AttemptOutcome => {
    if (attempt.signal?.aborted) throw attempt.signal.reason;
    const ms = Math.round(performance.now() - started);
    if (deadline.aborted) return { kind: 'no_answer', code: 'timeout', sent: true, ms };
    return { kind: 'no_answer', code, sent: !NOT_SENT_CODES.has(code), ms };
  };
  let response: Response;
  try {
    response = await fetch(attempt.url, {
      method: attempt.method,
      headers,
      // As bytes: fetch would label a string `text/plain`, where the caller's content type (or none) must hold.
      body: typeof attempt.body === 'string' ? Buffer.from(attempt.body, 'utf8') : attempt.body,
      // The answer to a redirect comes back as it is; its headers never go to another host.
      redirect: 'manual',
      signal,
    });
  } catch (error) {
    // fetch reports a lost connection as a TypeError whose `cause` is the socket's or undici's error; one
    // without a cause is a request fetch refuses to send (a GET with a body): a bug, not the source's doing.
    if (!signal.aborted && !(error instanceof TypeError && error.cause !== undefined)) throw error;
    return lost(transportCode(error));
  }
  let body: Buffer | undefined;
  try {
    body = await readBody(response, attempt.maxBodyBytes);
  } catch {
    return lost('cut_short');
  }
  if (body === undefined) throw new UpstreamError(`${attempt.where}: the answer is larger than ${attempt.maxBodyBytes} bytes`, undefined);
  return {
    kind: 'answer',
    response: { status: response.status, headers: answerHeaders(response.headers), body },
    ms: Math.round(performance.now() - started),
  };
}

function requestHeaders(attempt: Attempt): Headers {
  const headers = new Headers();
  for (const [name, value] of attempt.headers.flatMap((layer) => Object.entries(layer))) {
    try {
      headers.set(name, value);
    } catch {
      // fetch's message quotes the value, which is often a credential.
      throw new ConfigurationError(`${attempt.where}: header "${name}" has a name or value that HTTP cannot carry`);
    }
  }
  return headers;
}

/** The whole body, or `undefined` once it passes `maxBytes` (the rest is not read). Throws as the stream does. */
async function readBody(response: Response, maxBytes: number): Promise<Buffer | undefined> {
  if (response.body === null) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks, length);
    length += value.byteLength;
    if (length > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
}

function answerHeaders(headers: Headers): Record<string, string> {
  const record: Record<string, string> = {};
  headers.forEach((value, name) => {
    record[name] = record[name] === undefined ? value : `${record[name]}, ${value}`;
  });
  return record;
}

/** The code of a lost connection (`ECONNREFUSED`, `ECONNRESET`…) from a fetch failure's cause. */
function transportCode(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (!(cause instanceof Error)) return 'network_error';
  // Several addresses tried one after the other (happy eyeballs): the first one's code.
  const first: unknown = cause instanceof AggregateError ? cause.errors[0] : undefined;
  const code = codeOf(cause) ?? codeOf(first);
  return code === undefined ? 'network_error' : (UNDICI_CODES[code] ?? code);
}

function codeOf(error: unknown): string | undefined {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}
