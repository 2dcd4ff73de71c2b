import type * as z from 'zod';
import { InvalidPayloadError } from './errors.ts';
import type { Logger } from './log.ts';

/**
 * The handler contract of the project's OpenFaaS template (`templates/dataplatform-node20`), modelled on the
 * official node templates' `handler(event, context)` but typed, and with errors that keep their status:
 * the template's server turns a thrown `PlatformError` into its status, a zod error into 400, anything else
 * into 500, and answers JSON every time.
 */

/**
 * Who may call a function, declared by its module (`export const access: FunctionAccess = 'public'`) and enforced by
 * the template's server before the handler runs (docs/security.md):
 * - `platform` (the default): the caller presents the platform's call token (shared/runtime/call-token.ts);
 * - `platform-or-tick`: the same, but a call without a body passes too: cron-connector cannot send credentials, and a
 *   bodiless call of the scheduler is a plain tick, harmless however often it comes;
 * - `public`: anyone; the handler authenticates its callers itself (the webhook).
 */
export type FunctionAccess = 'platform' | 'platform-or-tick' | 'public';

/** Request headers with lower-case names; a header sent twice is joined with `, ` (node's rule). */
export type FunctionHeaders = Readonly<Record<string, string | undefined>>;

/** Query parameters: a name given once maps to a string, a repeated name to every value in order. */
export type FunctionQuery = Readonly<Record<string, string | string[]>>;

/**
 * One invocation as the function sees it.
 *
 * `body` depends on the request's `content-type`: parsed JSON for `application/json` and any `+json` type
 * (`application/cloudevents+json`), a string for `text/*`, `undefined` when the body is empty, and a `Buffer`
 * for anything else. `rawBody` always holds the exact bytes, for webhook signatures.
 */
export interface FunctionEvent {
  readonly body: unknown;
  /** The request body byte for byte (empty when there was none): verify HMAC signatures over this. */
  readonly rawBody: Buffer;
  readonly headers: FunctionHeaders;
  /** Upper-case HTTP method (`GET`, `POST`…). */
  readonly method: string;
  readonly query: FunctionQuery;
  /** The path below the function's route, without the query string (`/NSC01` for `/function/webhook/NSC01`). */
  readonly path: string;
}

/**
 * What a handler may do besides returning a value: set the status and response headers, answer early, and
 * log with the call id bound. Chainable like the official template: `return ctx.status(202).succeed(body)`.
 */
export interface FunctionContext {
  /** The status the answer will carry (200 unless set). */
  status(): number;
  /** Sets the status of a successful answer; an error's status comes from the error (see `fail`). */
  status(code: number): this;
  /** The response headers set so far. */
  headers(): Readonly<Record<string, string>>;
  /**
   * Replaces the response headers (as the official template does). They are sent on success and on error.
   * `content-type` is the server's (JSON) unless the handler returns a string or Buffer with its own type.
   */
  headers(map: Record<string, string>): this;
  /** Answers with `value` now; a later return value or error is ignored. */
  succeed(value: unknown): void;
  /**
   * Answers with a failure now. An `Error` maps like a thrown one; any other value becomes
   * `{"error": "function_failed", …}`. The status is the one set with `status(code)` when that is ≥ 400,
   * else the error's (500 for a non-platform value).
   */
  fail(value: unknown): void;
  /**
   * `parsePayload(schema, value, where)`: the parsed value, or `InvalidPayloadError` (400) with the issues.
   * @example `const request = ctx.parse(BronzeRequest, event.body);`
   */
  parse<Schema extends z.ZodType>(schema: Schema, value: unknown, where?: string): z.output<Schema>;
  /** The function's logger with `call_id` (the `x-call-id` header) bound. */
  readonly log: Logger;
  /** The OpenFaaS `X-Call-Id` of this invocation, when the gateway sent one. */
  readonly callId: string | undefined;
}

/**
 * A function's entry: validate the event, call `shared/`, return the answer (JSON-serialisable).
 *
 * @example
 * ```ts
 * const PingRequest = z.strictObject({ name: z.string() });
 *
 * export const handler: Handler = (event, ctx) => {
 *   const request = ctx.parse(PingRequest, event.body); // a bad body → 400 with the issues
 *   ctx.log.info({ name: request.name }, 'ping received');
 *   return { greeting: `hello ${request.name}`, call_id: ctx.callId };
 * };
 * ```
 */
export type Handler = (event: FunctionEvent, context: FunctionContext) => unknown;

/**
 * Validates `value` with a zod schema and returns the parsed value; a failure throws `InvalidPayloadError`
 * whose `issues` read `path: message` (`batch_id: Invalid UUID`), which the server answers with 400.
 * `where` prefixes the message (`body`, `query`).
 *
 * @example
 * ```ts
 * const request = parsePayload(BronzeRequest, event.body);
 * ```
 */
export function parsePayload<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  where = 'body',
): z.output<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map(formatIssue);
  throw new InvalidPayloadError(`${where} does not match its schema: ${issues.join('; ')}`, issues);
}

/** Renders one schema issue as `a.b[2]: message`; the root is written `(root)`. */
export function formatIssue(issue: {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}): string {
  return `${formatPath(issue.path ?? [])}: ${issue.message}`;
}

function formatPath(path: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }>): string {
  let text = '';
  for (const segment of path) {
    const key = typeof segment === 'object' ? segment.key : segment;
    if (typeof key === 'number') text += `[${key}]`;
    else text += text === '' ? String(key) : `.${String(key)}`;
  }
  return text === '' ? '(root)' : text;
}
