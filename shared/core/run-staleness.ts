/**
 * When a `running` run stops being trusted. A function cannot outlive its timeout (the watchdog kills it), so a
 * run still `running` after that long was lost: its call died without writing its end, and the work may be
 * taken over by a new call.
 */

/** The moment a run started at `startedAt` becomes stale under a function timeout of `timeoutSeconds`. */
export function staleAt(startedAt: Date, timeoutSeconds: number): Date {
  return new Date(startedAt.getTime() + timeoutSeconds * 1000);
}

/** Whether a run that started at `startedAt` is stale at `now`: strictly older than its function's timeout. */
export function isStale(startedAt: Date, timeoutSeconds: number, now: Date): boolean {
  return now.getTime() > staleAt(startedAt, timeoutSeconds).getTime();
}
