import type { ServerResponse } from 'node:http';
import { InvalidPayloadError, isPlatformError, publicFailureMessage } from '../../shared/errors.ts';
import { formatIssue } from '../../shared/handler.ts';

/** The content type of every JSON answer. */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** What goes back to the caller: status, headers (lower-case names) and the encoded body. */
export interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Buffer | undefined;
}

/** The JSON body of every error answer. */
export interface ErrorBody {
  readonly error: string;
  readonly message: string;
  readonly issues?: readonly string[];
  readonly detail?: unknown;
  readonly call_id?: string;
}

/** An error as the caller will see it; `isBug` marks the 5xx answers whose stack belongs in the log. */
export interface ErrorDescription {
  readonly status: number;
  readonly body: ErrorBody;
  readonly isBug: boolean;
}

/**
 * Maps anything thrown to its answer, in one place: a `PlatformError` keeps its status and code, a zod (or any
 * schema) error is a 400 with its issues, and everything else is a 500 whose message reveals nothing.
 */
export function describeError(error: unknown): ErrorDescription {
  if (isPlatformError(error)) {
    const issues = error instanceof InvalidPayloadError ? { issues: error.issues } : {};
    return {
      status: error.status,
      body: { error: error.code, message: error.message, ...issues },
      isBug: error.status >= 500,
    };
  }
  if (isSchemaError(error)) {
    const issues = error.issues.map(formatIssue);
    return {
      status: 400,
      body: { error: 'invalid_payload', message: `payload does not match its schema: ${issues.join('; ')}`, issues },
      isBug: false,
    };
  }
  return { status: 500, body: { error: 'internal_error', message: 'internal error' }, isBug: true };
}

/**
 * Maps a `context.fail(value)`: an Error as if thrown, a string as the message, any other value as `detail`.
 * A status the handler set (≥ 400) replaces the mapped one, as in the official template.
 */
export function describeFailure(value: unknown, handlerStatus: number | undefined): ErrorDescription {
  let description: ErrorDescription;
  if (value instanceof Error) description = describeError(value);
  else if (typeof value === 'string') {
    description = { status: 500, body: { error: 'function_failed', message: value }, isBug: true };
  } else {
    description = {
      status: 500,
      body: { error: 'function_failed', message: 'function failed', ...(value === undefined ? {} : { detail: value }) },
      isBug: true,
    };
  }
  if (handlerStatus === undefined || handlerStatus < 400) return description;
  return { ...description, status: handlerStatus, isBug: handlerStatus >= 500 };
}

/**
 * What a caller may read of an error: a 4xx as it is (it names what was wrong with the call), a 5xx reduced to its
 * code and the call id, under which the log has the details (docs/security.md).
 */
export function withPublicMessage(description: ErrorDescription, callId: string | undefined): ErrorDescription {
  if (description.status < 500) return description;
  const { error } = description.body;
  return { ...description, body: { error, message: publicFailureMessage(error, callId), ...(callId === undefined ? {} : { call_id: callId }) } };
}

/** An error answer: JSON body, JSON content type, and the handler's other headers. */
export function errorAnswer(description: ErrorDescription, handlerHeaders: Record<string, string>): Answer {
  return jsonAnswer(description.status, description.body, handlerHeaders);
}

/**
 * A success answer. A string or Buffer returned together with a handler-set `content-type` is sent as is
 * (an HTML page, a CSV file); a Buffer without one is `application/octet-stream`; everything else is JSON,
 * `undefined` included (as `{}`). Statuses that forbid a body (204, 304) send none.
 * Throws when the value cannot be serialised (a BigInt, a cycle): a bug, answered 500 by the caller.
 */
export function successAnswer(value: unknown, status: number, handlerHeaders: Record<string, string>): Answer {
  if (!hasBody(status)) return { status, headers: withoutContentHeaders(handlerHeaders), body: undefined };
  const contentType = handlerHeaders['content-type'];
  const isBytes = Buffer.isBuffer(value) || value instanceof Uint8Array;
  if (contentType !== undefined && (typeof value === 'string' || isBytes)) {
    return { status, headers: handlerHeaders, body: isBytes ? Buffer.from(value as Uint8Array) : (value as string) };
  }
  if (isBytes) {
    const headers = { ...handlerHeaders, 'content-type': 'application/octet-stream' };
    return { status, headers, body: Buffer.from(value as Uint8Array) };
  }
  return jsonAnswer(status, value === undefined ? {} : value, handlerHeaders);
}

function jsonAnswer(status: number, value: unknown, handlerHeaders: Record<string, string>): Answer {
  const body = JSON.stringify(value) as string | undefined;
  if (body === undefined) throw new TypeError(`handler returned a value JSON cannot represent (${typeof value})`);
  return { status, headers: { ...withoutContentHeaders(handlerHeaders), 'content-type': JSON_CONTENT_TYPE }, body };
}

/** Writes an answer in one go, with its exact content length. */
export function writeAnswer(response: ServerResponse, answer: Answer): void {
  for (const [name, value] of Object.entries(answer.headers)) response.setHeader(name, value);
  if (answer.body === undefined) {
    response.writeHead(answer.status);
    response.end();
    return;
  }
  response.setHeader('content-length', Buffer.byteLength(answer.body));
  response.writeHead(answer.status);
  response.end(answer.body);
}

function hasBody(status: number): boolean {
  return status !== 204 && status !== 304 && status >= 200;
}

function withoutContentHeaders(headers: Record<string, string>): Record<string, string> {
  const { 'content-type': _type, 'content-length': _length, ...rest } = headers;
  return rest;
}

interface SchemaIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }>;
}

// Duck-typed rather than `instanceof ZodError`: keeps zod out of bundles that never use it, and matches
// errors from another zod copy or any Standard Schema library.
function isSchemaError(error: unknown): error is Error & { issues: readonly SchemaIssue[] } {
  if (!(error instanceof Error) || !('issues' in error) || !Array.isArray(error.issues)) return false;
  if (error.issues.length === 0) return false;
  return error.issues.every(
    (issue: unknown) =>
      typeof issue === 'object' && issue !== null && 'message' in issue && typeof issue.message === 'string',
  );
}
