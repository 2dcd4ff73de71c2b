import { PlatformError } from '../../errors.ts';

/** A webhook called with another method than POST. */
export class MethodNotAllowedError extends PlatformError {
  readonly status = 405;
  readonly code = 'method_not_allowed';
}
