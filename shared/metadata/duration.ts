import * as z from 'zod';

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A span of time in metadata: a whole number of minutes, hours or days (`90m`, `12h`, `3d`). */
export const Duration = z.string().regex(/^[1-9][0-9]{0,5}[mhd]$/, {
  error: (issue) => `expected a duration like "90m", "12h" or "3d", got ${JSON.stringify(issue.input)}`,
});
export type Duration = z.infer<typeof Duration>;

/** The length of a `Duration` in milliseconds. */
export function durationMs(duration: Duration): number {
  const unit = duration.slice(-1) as keyof typeof UNIT_MS;
  return Number.parseInt(duration.slice(0, -1), 10) * UNIT_MS[unit];
}
