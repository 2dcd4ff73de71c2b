import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/** What a censored value reads as. */
export const REDACTED = '[redacted]';

/**
 * Field names whose values are secrets, at any depth and in any case or spelling: `password`, `api_secret`,
 * `API-Key`, `X-Vault-Token`, `authorization`, `Cookie`, `private_key_pem`, `client_secret`… (`session_timeout` and
 * `token_count` are numbers and stay: only strings and byte arrays are censored).
 */
const SECRET_KEY = /pass(word|wd|phrase)?$|secret|token|api[-_]?key|authori[sz]ation|authentication|cookie|signature|private[-_]?key|credential/i;

/** `scheme://user:password@host`: the password part of a URL in any string (a connection string in an error). */
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]+@/gi;

/** How deep a logged object is walked; deeper values are logged as `[too deep]`. */
const MAX_DEPTH = 8;

/**
 * A copy of a value to log with every secret censored: string values of secret-named fields at any depth, URL
 * passwords inside any string (error messages and stacks included), errors as `{type, message, stack, code, …}`.
 * Cycles and depth are bounded. A secret that reaches a log line under an innocent name in a free-text string is
 * the one thing this cannot catch: messages say what and where, never a value (shared/errors.ts).
 */
export function redactSecrets(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return value.replace(URL_PASSWORD, `$1${REDACTED}@`);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `[${value.length} bytes]`;
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1, seen));
  const source = value instanceof Error ? errorFields(value) : (value as Record<string, unknown>);
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(source)) {
    const isSecret = SECRET_KEY.test(key) && (typeof field === 'string' || Buffer.isBuffer(field) || field instanceof Uint8Array);
    out[key] = isSecret ? REDACTED : redactSecrets(field, depth + 1, seen);
  }
  return out;
}

/** An error as a plain object: its type, message, stack, cause and own fields (status, code, …). */
function errorFields(error: Error): Record<string, unknown> {
  const fields: Record<string, unknown> = { type: error.name, message: error.message, stack: error.stack };
  for (const [key, field] of Object.entries(error)) fields[key] = field;
  if (error.cause !== undefined) fields.cause = error.cause;
  return fields;
}

/**
 * Builds a pino logger: JSON lines on a stream (stdout by default), level from LOG_LEVEL, and every line's fields and
 * bindings passed through `redactSecrets`, so a careless `log.debug({ connection })` or a logged driver error cannot
 * write a secret.
 */
export function createLogger(
  bindings: Record<string, unknown> = {},
  destination?: pino.DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
    level: process.env.LOG_LEVEL ?? 'info',
    base: redactSecrets(bindings) as Record<string, unknown>,
    timestamp: pino.stdTimeFunctions.isoTime,
    // The walk replaces pino's err serializer: an error's fields are read (and censored) there.
    serializers: { err: (error: unknown) => error },
    formatters: {
      level: (label) => ({ level: label }),
      bindings: (fields) => redactSecrets(fields) as Record<string, unknown>,
      log: (fields) => redactSecrets(fields) as Record<string, unknown>,
    },
  };
  const logger = destination ? pino(options, destination) : pino(options);
  // pino passes a child's bindings to no formatter: censor them on the way in. Children inherit this `child`.
  const child = logger.child;
  logger.child = function (this: Logger, childBindings, childOptions) {
    return child.call(this, redactSecrets(childBindings) as typeof childBindings, childOptions);
  } as typeof logger.child;
  return logger;
}
