import { InvalidPayloadError } from '../errors.ts';
import type { FunctionEvent } from '../handler.ts';

/**
 * The JSON value a function's payload schema reads, from whatever the template made of the body:
 * - no body (cron-connector sends none, and no content type) → `{}`, so a schema with only optional fields accepts
 *   it and one with required fields names each missing field;
 * - parsed JSON (`application/json`) → as is;
 * - text or bytes (`faas-cli invoke` sends `text/plain` unless told otherwise) → parsed as JSON, and refused with a
 *   400 naming the parser's complaint when it is not JSON.
 */
export function readRequestBody(event: Pick<FunctionEvent, 'body'>): unknown {
  const { body } = event;
  if (body === undefined || body === null) return {};
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    const text = (typeof body === 'string' ? body : body.toString('utf8')).replace(/^\uFEFF/, '');
    if (text.trim() === '') return {};
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new InvalidPayloadError(`request body is not JSON (send it with Content-Type: application/json): ${reason}`, [], {
        cause: error,
      });
    }
  }
  return body;
}
