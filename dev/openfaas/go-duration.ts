/** Go's `time.ParseDuration`, as the OpenFaaS components read their timeouts (`10s`, `5m5s`, `250ms`). */

const UNITS_MS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds of a Go duration, or undefined when it is not one (a bare number is not: Go wants a unit). */
export function parseGoDuration(text: string): number | undefined {
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(amount) * (UNITS_MS[unit ?? ''] ?? 0);
  }
  return total;
}

/**
 * A timeout as of-watchdog and faasd read theirs: a Go duration, or whole seconds (`10` = 10 s). Throws on anything
 * else, naming the text.
 */
export function timeoutMs(text: string): number {
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : parseGoDuration(text);
  if (ms === undefined) throw new RangeError(`"${text}" is not a duration (10s, 5m5s, or whole seconds)`);
  return ms;
}
