import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths pino censors in every log line. Fixed in code (never from input): secrets, tokens and auth headers,
 * at the top level and one level down.
 */
export const REDACT_PATHS: readonly string[] = [
  'password', '*.password',
  'token', '*.token',
  'secret', '*.secret',
  'api_secret', '*.api_secret',
  'api_key', '*.api_key',
  'authorization', '*.authorization',
  'headers.authorization', 'headers["x-vault-token"]', 'headers["api-secret"]',
  'headers["x-bunq-client-authentication"]',
];

/** Builds a pino logger: JSON lines on a stream (stdout by default), level from LOG_LEVEL, secrets redacted. */
export function createLogger(
  bindings: Record<string, unknown> = {},
  destination?: pino.DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
    level: process.env.LOG_LEVEL ?? 'info',
    base: bindings,
    redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}
