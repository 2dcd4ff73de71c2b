import * as z from 'zod';
import { ConfigurationError } from '../../errors.ts';

/** Where landing records go and how long a connector function may run (docs/landing.md, "Configure"). */
export const LandingEnv = z.object({
  /** The MongoDB database of the landing zone. */
  LANDING_DB: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,63}$/, { error: 'expected a MongoDB database name (letters, digits, _ and -)' })
    .default('landing'),
  /** The watchdog's `exec_timeout` (stack.yml): `300s`, `5m`, `1m30s` or seconds. */
  exec_timeout: z.string().optional(),
});

export interface LandingConfig {
  readonly database: string;
  /** A `running` landing older than this is stale and may be taken over. */
  readonly timeoutSeconds: number;
}

/** Without an `exec_timeout`, a landing counts as stale after this long. */
export const DEFAULT_LANDING_TIMEOUT_SECONDS = 300;

/** Reads the landing configuration from the environment; a malformed variable fails with its name. */
export function loadLandingConfig(source: NodeJS.ProcessEnv = process.env): LandingConfig {
  const parsed = LandingEnv.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigurationError(`invalid landing environment: ${problems.join('; ')}`);
  }
  const timeout = parsed.data.exec_timeout === undefined ? DEFAULT_LANDING_TIMEOUT_SECONDS : durationSeconds(parsed.data.exec_timeout);
  if (timeout === undefined || timeout <= 0) {
    throw new ConfigurationError(`invalid landing environment: exec_timeout: expected a duration like "300s" or "5m", got "${parsed.data.exec_timeout}"`);
  }
  return { database: parsed.data.LANDING_DB, timeoutSeconds: timeout };
}

/** A watchdog duration (Go's `time.ParseDuration` subset the watchdog documents: h, m, s, or plain seconds) in seconds. */
export function durationSeconds(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(trimmed);
  if (!match || trimmed === '') return undefined;
  const [, hours = '0', minutes = '0', seconds = '0'] = match;
  return Math.ceil(Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds));
}
