import * as z from 'zod';
import type { JsonValue } from '../../core/json.ts';
import { InvalidPayloadError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../../errors.ts';
import { formatIssue, type FunctionEvent } from '../../handler.ts';
import type { WebhookSettings } from '../../metadata/system-schema.ts';

/** Content types a push webhook takes: JSON (an array of records or one record) or newline-delimited JSON. */
const JSON_TYPES = /^application\/(?:[a-z0-9.+-]+\+)?json$/;
const NDJSON_TYPES = new Set(['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/x-jsonlines']);

/** The records a push webhook may land in one call (a small batch; bigger loads belong to a connector). */
export const MAX_PUSHED_RECORDS = 10_000;

/** bunq's callback body (sources.md §B.9): the pushed object is only a hint that something changed. */
export const BunqCallback = z.looseObject({
  NotificationUrl: z.looseObject({
    category: z.string().min(1),
    event_type: z.string().min(1).optional(),
    object: z.record(z.string(), z.unknown()).optional(),
  }),
});
export type BunqCallback = z.infer<typeof BunqCallback>;

/** The media type of the call, lower-case, without parameters (`application/json`); '' when none was sent. */
export function mediaTypeOf(event: Pick<FunctionEvent, 'headers'>): string {
  return (event.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** Refuses a body over the system's limit (413) before anything reads it. */
export function checkBodySize(event: Pick<FunctionEvent, 'rawBody'>, settings: Pick<WebhookSettings, 'max_body_bytes'>): void {
  if (event.rawBody.length > settings.max_body_bytes) {
    throw new PayloadTooLargeError(`webhook body is ${event.rawBody.length} bytes; this system takes at most ${settings.max_body_bytes}`);
  }
}

/**
 * The body of a pull call: empty (a plain "something changed"), or JSON. A bunq signature check also requires a
 * bunq callback (400 otherwise); its category is returned for the log. Other types are refused with 415.
 */
export function readPullBody(event: Pick<FunctionEvent, 'headers' | 'rawBody' | 'body'>, settings: Pick<WebhookSettings, 'signature'>): { category?: string; event_type?: string } {
  if (event.rawBody.length === 0 && settings.signature === undefined) return {};
  const mediaType = mediaTypeOf(event);
  if (!JSON_TYPES.test(mediaType)) throw new UnsupportedMediaTypeError(`webhook takes application/json, not "${mediaType || 'no content type'}"`);
  if (settings.signature !== 'bunq') return {};
  const parsed = BunqCallback.safeParse(event.body);
  if (!parsed.success) throw new InvalidPayloadError(`webhook body is not a bunq callback: ${parsed.error.issues.map(formatIssue).join('; ')}`, parsed.error.issues.map(formatIssue));
  const { category, event_type } = parsed.data.NotificationUrl;
  return { category, ...(event_type === undefined ? {} : { event_type }) };
}

/**
 * The records of a push call: a JSON array of objects, one JSON object, or NDJSON (one object per line). Anything
 * else is refused before a record is landed: 415 for another content type, 400 for a body that is not records.
 */
export function readPushedRecords(event: Pick<FunctionEvent, 'headers' | 'rawBody' | 'body'>): JsonValue[] {
  const mediaType = mediaTypeOf(event);
  let records: unknown[];
  if (JSON_TYPES.test(mediaType)) {
    if (event.body === undefined) throw new InvalidPayloadError('webhook body is empty: send a JSON array of records or one record');
    records = Array.isArray(event.body) ? event.body : [event.body];
  } else if (NDJSON_TYPES.has(mediaType)) {
    records = parseNdjson(event.rawBody);
  } else {
    throw new UnsupportedMediaTypeError(`webhook takes application/json or application/x-ndjson, not "${mediaType || 'no content type'}"`);
  }
  if (records.length === 0) throw new InvalidPayloadError('webhook body holds no records');
  if (records.length > MAX_PUSHED_RECORDS) throw new PayloadTooLargeError(`webhook body holds ${records.length} records; at most ${MAX_PUSHED_RECORDS} per call`);
  const notObject = records.findIndex((record) => typeof record !== 'object' || record === null || Array.isArray(record));
  if (notObject >= 0) throw new InvalidPayloadError(`webhook record ${notObject} is not a JSON object`);
  return records as JsonValue[];
}

function parseNdjson(raw: Buffer): unknown[] {
  const records: unknown[] = [];
  const lines = raw.toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    try {
      records.push(JSON.parse(line));
    } catch (error) {
      throw new InvalidPayloadError(`webhook body line ${index + 1} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
  return records;
}
