import type * as z from 'zod';
import type { Layer } from '../core/run-status.ts';
import { parsePayload, type FunctionEvent, type Handler } from '../handler.ts';
import type { Logger } from '../log.ts';
import { deliverAfterCall, isDeliveryAfterCallEnabled } from './deliver-after-call.ts';
import { processFunctionDeps, type FunctionDeps } from './function-deps.ts';
import { answerOutcome, type Outcome } from './outcome.ts';
import { readRequestBody } from './request-body.ts';

/** One call of a function, as its `run` sees it. */
export interface FunctionCall {
  /** The function's name (`bronze`). */
  readonly name: string;
  /** The OpenFaaS `X-Call-Id` of this call (stored as `call_id` on audit rows), when the gateway sent one. */
  readonly callId: string | undefined;
  /** The call's logger: `function`, `call_id`, and the payload's `batch_id`, `system_id`, `entity_id`, `layer`. */
  readonly log: Logger;
  /** Pool, MongoDB, metadata, gateway and clock, shared by the calls of the process. */
  readonly deps: FunctionDeps;
  /** The raw invocation (headers, query, path), for the rare function that needs more than the payload. */
  readonly event: FunctionEvent;
}

/** A function: its name, the zod schema of its payload, and its work. */
export interface FunctionDefinition<Schema extends z.ZodType> {
  readonly name: string;
  /** The payload schema; strict for what the platform owns. An empty body is read as `{}`. */
  readonly request: Schema;
  /** The layer the function works in, bound to its log lines (`bronze`); absent for platform functions. */
  readonly layer?: Layer;
  /** The work; throw for what cannot be recorded (the template answers the error), return an outcome otherwise. */
  run(request: z.output<Schema>, call: FunctionCall): Promise<Outcome> | Outcome;
}

/** Options of `defineFunction`: injected deps for tests (default: the process's, made on first use). */
export interface DefineFunctionOptions {
  readonly deps?: FunctionDeps;
}

/** Payload fields bound to the call's logger when present: the references a person filters logs by. */
const LOGGED_REFERENCES = ['batch_id', 'system_id', 'entity_id', 'gold_entity_id', 'action_id', 'layer'] as const;

/**
 * Turns a function definition into the template's `Handler`: reads the body (empty → `{}`, text → JSON),
 * validates it (a mismatch is a 400 `InvalidPayloadError` listing every issue path), binds the logger, runs the
 * work with the process's deps (a layer's announced calls then go to the gateway at once when
 * `DELIVER_OUTBOX_AFTER_CALL=true`), and answers the outcome as JSON (`succeeded`/`skipped` 200, `failed` with its
 * error's status). Thrown errors reach the template's server, which maps them to their status in one place.
 *
 * @example
 * ```ts
 * // functions/action-log/handler.ts (the entity layers' functions are `defineLayerFunction`, shared/layers/layer-run.ts)
 * export const handler = defineFunction({
 *   name: 'action-log',
 *   request: ActionRequest,
 *   run: async (request, call) =>
 *     runLogAction(request, { db: await call.deps.pool(), metadata: await call.deps.metadata(), log: call.log, callId: call.callId }),
 * });
 * ```
 */
export function defineFunction<Schema extends z.ZodType>(
  definition: FunctionDefinition<Schema>,
  options: DefineFunctionOptions = {},
): Handler {
  return async (event, context) => {
    const request = parsePayload(definition.request, readRequestBody(event));
    const log = bindCallLogger(context.log, definition, request);
    const deps = options.deps ?? processFunctionDeps(definition.name, context.log);
    const outcome = await definition.run(request, { name: definition.name, callId: context.callId, log, deps, event });
    // A layer's work announces the next calls (and events) in its transaction; hand them over now, not a minute later.
    if (definition.layer !== undefined && outcome.status !== 'skipped' && isDeliveryAfterCallEnabled()) await deliverAfterCall(deps, log);
    const answer = answerOutcome(outcome, context.callId);
    if (outcome.status === 'failed') {
      const facts = { status: answer.httpStatus, error_code: outcome.error.code, reason: outcome.error.message };
      if (answer.httpStatus >= 500) log.error({ ...facts, err: outcome.error }, 'function work failed');
      else log.warn(facts, 'function work failed');
    } else {
      log.info({ status: outcome.status }, 'function work finished');
    }
    context.status(answer.httpStatus);
    return answer.body;
  };
}

/**
 * The call's logger: what the template bound (`function` when served by name, `call_id` from the header), plus
 * whatever is missing of those, plus the payload's references. Only validated scalar fields are bound, never an
 * object from outside.
 */
function bindCallLogger(base: Logger, definition: FunctionDefinition<z.ZodType>, request: unknown): Logger {
  const bound = base.bindings();
  const bindings: Record<string, string> = {};
  if (bound.function === undefined) bindings.function = definition.name;
  if (definition.layer !== undefined && bound.layer === undefined) bindings.layer = definition.layer;
  if (typeof request === 'object' && request !== null) {
    for (const key of LOGGED_REFERENCES) {
      const value = (request as Record<string, unknown>)[key];
      if (typeof value === 'string' && bound[key] === undefined && bindings[key] === undefined) bindings[key] = value;
    }
  }
  return Object.keys(bindings).length === 0 ? base : base.child(bindings);
}
