import type * as z from 'zod';
import { type FunctionContext, parsePayload } from '../../shared/handler.ts';
import type { Logger } from '../../shared/log.ts';

/** How an invocation ended: a value to answer with, a `fail()` value, or an error the handler threw. */
export type Outcome =
  | { readonly kind: 'value'; readonly value: unknown }
  | { readonly kind: 'failure'; readonly value: unknown }
  | { readonly kind: 'thrown'; readonly error: unknown };

/**
 * The `FunctionContext` of one invocation. `succeed`/`fail` settle it at once; the first outcome wins
 * (a value returned or an error thrown after `succeed()` is ignored, and logged when it is an error).
 */
export class InvocationContext implements FunctionContext {
  #status = 200;
  #isStatusSet = false;
  #headers: Record<string, string> = {};
  readonly #settle: (outcome: Outcome) => void;

  constructor(
    readonly log: Logger,
    readonly callId: string | undefined,
    settle: (outcome: Outcome) => void,
  ) {
    this.#settle = settle;
  }

  /** The status the handler set explicitly, if it did. */
  get handlerStatus(): number | undefined {
    return this.#isStatusSet ? this.#status : undefined;
  }

  /** The response headers, lower-case names. */
  get handlerHeaders(): Record<string, string> {
    return { ...this.#headers };
  }

  status(): number;
  status(code: number): this;
  status(code?: number): number | this {
    if (code === undefined) return this.#status;
    if (!Number.isInteger(code) || code < 200 || code > 599) {
      throw new RangeError(`context.status(${String(code)}): a status is an integer from 200 to 599`);
    }
    this.#status = code;
    this.#isStatusSet = true;
    return this;
  }

  headers(): Readonly<Record<string, string>>;
  headers(map: Record<string, string>): this;
  headers(map?: Record<string, string>): Readonly<Record<string, string>> | this {
    if (map === undefined) return { ...this.#headers };
    const lowered: Record<string, string> = {};
    for (const [name, value] of Object.entries(map)) lowered[name.toLowerCase()] = String(value);
    this.#headers = lowered;
    return this;
  }

  parse<Schema extends z.ZodType>(schema: Schema, value: unknown, where?: string): z.output<Schema> {
    return parsePayload(schema, value, where);
  }

  succeed(value: unknown): void {
    this.#settle({ kind: 'value', value });
  }

  fail(value: unknown): void {
    this.#settle({ kind: 'failure', value });
  }
}
