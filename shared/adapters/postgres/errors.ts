import { PlatformError, UpstreamUnavailableError, isPlatformError } from '../../errors.ts';

/** The SQLSTATE codes the platform reacts to, named once (PostgreSQL appendix A). */
export const SQLSTATE = {
  UNIQUE_VIOLATION: '23505',
  FOREIGN_KEY_VIOLATION: '23503',
  NOT_NULL_VIOLATION: '23502',
  CHECK_VIOLATION: '23514',
  INVALID_TEXT_REPRESENTATION: '22P02',
  SERIALIZATION_FAILURE: '40001',
  DEADLOCK_DETECTED: '40P01',
  LOCK_NOT_AVAILABLE: '55P03',
  QUERY_CANCELED: '57014',
  ADMIN_SHUTDOWN: '57P01',
  CRASH_SHUTDOWN: '57P02',
  CANNOT_CONNECT_NOW: '57P03',
  TOO_MANY_CONNECTIONS: '53300',
  INSUFFICIENT_PRIVILEGE: '42501',
  UNDEFINED_TABLE: '42P01',
  UNDEFINED_COLUMN: '42703',
  DUPLICATE_TABLE: '42P07',
  DUPLICATE_OBJECT: '42710',
} as const;

/** Node socket errors that mean PostgreSQL cannot be reached right now. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EPIPE', 'EAI_AGAIN']);
/** Server states after which a new attempt, later, can work. */
const UNAVAILABLE_STATES = new Set<string>([
  SQLSTATE.ADMIN_SHUTDOWN, SQLSTATE.CRASH_SHUTDOWN, SQLSTATE.CANNOT_CONNECT_NOW, SQLSTATE.TOO_MANY_CONNECTIONS,
]);
/** Conflicts PostgreSQL resolved by aborting one transaction; running it again is the documented remedy. */
const RETRYABLE_STATES = new Set<string>([SQLSTATE.SERIALIZATION_FAILURE, SQLSTATE.DEADLOCK_DETECTED]);

/** A statement PostgreSQL refused. Keeps the SQLSTATE, the constraint and the table, and the driver error as `cause`. */
export class PostgresError extends PlatformError {
  readonly status = 500;
  readonly code = 'database_error';
  override readonly retryable: boolean;

  constructor(
    message: string,
    readonly sqlstate: string | undefined,
    readonly constraint: string | undefined,
    readonly table: string | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.retryable = sqlstate !== undefined && RETRYABLE_STATES.has(sqlstate);
  }
}

interface DriverErrorFields {
  code?: unknown;
  constraint?: unknown;
  table?: unknown;
  message?: unknown;
}

function fieldsOf(error: unknown): DriverErrorFields {
  return typeof error === 'object' && error !== null ? (error as DriverErrorFields) : {};
}

/** The SQLSTATE (or Node error code) of a driver error, if it has one. */
export function sqlStateOf(error: unknown): string | undefined {
  if (error instanceof PostgresError) return error.sqlstate;
  const { code } = fieldsOf(error);
  return typeof code === 'string' ? code : undefined;
}

/** Whether an error (driver or wrapped) carries the given SQLSTATE. */
export function hasSqlState(error: unknown, state: string): boolean {
  return sqlStateOf(error) === state;
}

function isUnreachable(code: string | undefined, message: string): boolean {
  if (code !== undefined && (UNREACHABLE_CODES.has(code) || UNAVAILABLE_STATES.has(code) || code.startsWith('08'))) return true;
  // pg reports a dropped socket and a pool wait timeout without a code.
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message);
}

/**
 * Turns a driver error into the platform's error, where it arises: unreachable or restarting servers become
 * `UpstreamUnavailableError` (retryable), anything else a `PostgresError` with its SQLSTATE. `action` says what
 * was being done (`start entity run`); platform errors pass through unchanged.
 */
export function wrapPgError(error: unknown, action: string): PlatformError {
  if (isPlatformError(error)) return error;
  const { code, constraint, table, message } = fieldsOf(error);
  const text = typeof message === 'string' ? message : String(error);
  const state = typeof code === 'string' ? code : undefined;
  if (isUnreachable(state, text)) {
    return new UpstreamUnavailableError(`PostgreSQL unavailable (${action}): ${text}`, { cause: error });
  }
  return new PostgresError(
    `PostgreSQL refused ${action}: ${text}`,
    state,
    typeof constraint === 'string' ? constraint : undefined,
    typeof table === 'string' ? table : undefined,
    { cause: error },
  );
}
