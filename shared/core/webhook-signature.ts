/**
 * How the `webhook` action signs what it POSTs, and how a receiver checks it: HMAC-SHA256 over the timestamp and the
 * body, so a body cannot be changed and an old delivery cannot be replayed later without the key. Pure (node:crypto
 * only computes).
 *
 *   X-Dataplatform-Timestamp: 1735711200                      (Unix seconds when the delivery was signed)
 *   X-Dataplatform-Signature: sha256=<hex HMAC-SHA256(key, "<timestamp>.<body>")>
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Dataplatform-Signature';
export const TIMESTAMP_HEADER = 'X-Dataplatform-Timestamp';
/** The same for every attempt at one event (`<action_id>.<event run id>`): a receiver keeps the first and drops repeats. */
export const DELIVERY_HEADER = 'X-Dataplatform-Delivery';

/** How far a receiver accepts a timestamp from its own clock, by default. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** The signature header's value for `body` signed at `timestamp` (Unix seconds). */
export function signWebhookBody(key: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Why a delivery is refused, or undefined when its signature holds. */
export type SignatureProblem = 'missing headers' | 'stale timestamp' | 'bad signature';

/**
 * Checks a delivery as a receiver should: both headers present, the timestamp within `toleranceSeconds` of `now`, and
 * the signature equal (in constant time) to the one the key gives for exactly these bytes.
 *
 * @example
 * const problem = checkWebhookSignature(key, { signature: req.headers['x-dataplatform-signature'], timestamp: req.headers['x-dataplatform-timestamp'] }, rawBody, Date.now());
 * if (problem) return res.writeHead(401).end(problem);
 */
export function checkWebhookSignature(
  key: string,
  headers: { readonly signature: string | undefined; readonly timestamp: string | undefined },
  body: string,
  nowMs: number,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): SignatureProblem | undefined {
  if (headers.signature === undefined || headers.timestamp === undefined || !/^\d{1,12}$/.test(headers.timestamp)) return 'missing headers';
  const timestamp = Number(headers.timestamp);
  if (Math.abs(nowMs / 1000 - timestamp) > toleranceSeconds) return 'stale timestamp';
  const expected = Buffer.from(signWebhookBody(key, timestamp, body));
  const given = Buffer.from(headers.signature);
  return given.length === expected.length && timingSafeEqual(given, expected) ? undefined : 'bad signature';
}
