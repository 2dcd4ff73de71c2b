import type * as z from 'zod';
import { InvalidPayloadError, PlatformError } from '../errors.ts';
import type { RunStatus } from '../core/run-status.ts';

/**
 * A call tried to finish a run that is no longer `running`: most often a slow call whose run was declared stale
 * and taken over. Its data transaction must roll back, so the taking-over run's work is the only one kept.
 */
export class RunNotRunningError extends PlatformError {
  readonly status = 409;
  readonly code = 'run_not_running';

  constructor(
    readonly runId: string,
    readonly runStatus: RunStatus,
    readonly runError: string | null,
    options?: ErrorOptions,
  ) {
    super(`run ${runId} is no longer running (${runStatus}${runError ? `: ${runError}` : ''})`, options);
  }
}

/** Parses a run-control input with its schema; a failure names each path, prefixed by what was being done. */
export function parseRunInput<Schema extends z.ZodType>(schema: Schema, value: unknown, action: string): z.output<Schema> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(input)'}: ${issue.message}`);
  throw new InvalidPayloadError(`${action}: ${issues.join('; ')}`, issues);
}
