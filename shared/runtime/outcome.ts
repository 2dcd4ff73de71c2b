import { publicFailureMessage, type PlatformError } from '../errors.ts';

/** Facts a function reports besides its status (`run_id`, `counts`, `started`…): JSON values, snake_case keys. */
export type OutcomeFacts = Readonly<Record<string, unknown>>;

/** The work was done. Answered 200 with the facts. */
export type Succeeded = OutcomeFacts & { readonly status: 'succeeded' };

/** There was nothing to do (already done, already running, no new records). Answered 200: a skip is not an error. */
export type Skipped = OutcomeFacts & { readonly status: 'skipped'; readonly reason: string };

/**
 * The work failed and the failure is recorded (an audit row says `failed`): answered with the error's status and
 * `{"status": "failed", "error": code, "message": …}` plus the facts, so a caller (or the queue-worker's callback)
 * sees the failure. An error the function could not record is thrown instead, and the template answers it.
 */
export type Failed = OutcomeFacts & { readonly status: 'failed'; readonly error: PlatformError };

/** How a function's work ended. */
export type Outcome = Succeeded | Skipped | Failed;

/** The JSON answer of an outcome and its HTTP status. */
export interface OutcomeAnswer {
  readonly httpStatus: number;
  readonly body: OutcomeFacts;
}

/**
 * Maps an outcome to its answer: 200 for succeeded and skipped, the error's status for failed. A 5xx failure's message
 * is the public one (its code and the call id); the audit row and the log keep the details.
 */
export function answerOutcome(outcome: Outcome, callId?: string): OutcomeAnswer {
  if (outcome.status !== 'failed') return { httpStatus: 200, body: outcome };
  const { error, ...facts } = outcome;
  const message = error.status >= 500 ? publicFailureMessage(error.code, callId) : error.message;
  return { httpStatus: error.status, body: { ...facts, status: 'failed', error: error.code, message } };
}
