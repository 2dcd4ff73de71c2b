/**
 * Every error a caller can see. Each carries its HTTP `status`, a stable `code` and whether a retry can help;
 * only the template's server turns one into an answer (`{"error": code, "message": …}`).
 * Messages say what and where, never a secret value.
 */
export abstract class PlatformError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  readonly retryable: boolean = false;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A body, query or metadata file fails its schema. `issues` lists every problem with its path. */
export class InvalidPayloadError extends PlatformError {
  readonly status = 400;
  readonly code = 'invalid_payload';

  constructor(
    message: string,
    readonly issues: readonly string[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A webhook caller's token or signature is wrong. */
export class UnauthorizedError extends PlatformError {
  readonly status = 401;
  readonly code = 'unauthorized';
}

/** A system, entity, action or route that metadata (or the router) does not know. */
export class NotFoundError extends PlatformError {
  readonly status = 404;
  readonly code = 'not_found';
}

/** A model change the tables cannot take (type change, removed key). */
export class UnsafeModelChangeError extends PlatformError {
  readonly status = 409;
  readonly code = 'unsafe_model_change';
}

/** The same work is being done by another call right now: try again later. */
export class ConflictError extends PlatformError {
  readonly status = 409;
  readonly code = 'conflict';
}

/** A body over its size limit. */
export class PayloadTooLargeError extends PlatformError {
  readonly status = 413;
  readonly code = 'payload_too_large';
}

/** A request body whose content type the function does not accept. */
export class UnsupportedMediaTypeError extends PlatformError {
  readonly status = 415;
  readonly code = 'unsupported_media_type';
}

/** Checks failed or values cannot be coerced; the run is `failed` with the reason. */
export class DataRejectedError extends PlatformError {
  readonly status = 422;
  readonly code = 'data_rejected';
}

/** A source, PostgreSQL, MongoDB, Vault or the gateway is unreachable. */
export class UpstreamUnavailableError extends PlatformError {
  readonly status = 503;
  readonly code = 'upstream_unavailable';
  override readonly retryable = true;
}

/**
 * A source answered, but not with something usable: an error status a retry cannot fix (400, 401, 403, 404…),
 * a redirect, or an answer that fails its schema. The facts are fields; the message names the source, method
 * and path, never a header, a secret query value or the body.
 */
export class UpstreamError extends PlatformError {
  readonly status = 502;
  readonly code = 'upstream_error';

  constructor(
    message: string,
    /** The source's HTTP status, when it answered with one. */
    readonly upstreamStatus: number | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A configuration value (environment, secret store) is missing or malformed. */
export class ConfigurationError extends PlatformError {
  readonly status = 500;
  readonly code = 'configuration_error';
}

/** A secret reference that the configured store cannot resolve. Names the key and the store, never a value. */
export class SecretNotFoundError extends PlatformError {
  readonly status = 500;
  readonly code = 'secret_not_found';

  constructor(
    readonly key: string,
    readonly store: string,
    options?: ErrorOptions,
  ) {
    super(`secret "${key}" not found in ${store}`, options);
  }
}

export function isPlatformError(error: unknown): error is PlatformError {
  return error instanceof PlatformError;
}

/**
 * What a caller reads of a 5xx answer: the error's code and the call id, under which the function's log has the
 * details. Hosts, paths and a database's own words stay in the log (docs/security.md).
 */
export function publicFailureMessage(code: string, callId: string | undefined): string {
  return `the function failed (${code}); its log has the details${callId === undefined ? '' : ` under call id ${callId}`}`;
}
