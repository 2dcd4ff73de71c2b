/**
 * How long an undelivered outbox message waits before the next attempt: doubling from `baseSeconds`, capped at
 * `maxSeconds`, so a gateway that is down for a while is not hammered and a short blip costs little.
 */
export function retryDelaySeconds(attempts: number, baseSeconds = 30, maxSeconds = 3600): number {
  const exponent = Math.max(0, attempts - 1);
  return Math.min(maxSeconds, baseSeconds * 2 ** Math.min(exponent, 30));
}
