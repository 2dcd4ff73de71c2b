/** Deterministic ids for child rows (dlt's `_dlt_id` idea): the same child in a replayed batch gets the same id. */
import { createHash } from 'node:crypto';
import type { JsonValue } from '../json.ts';

/**
 * The id of a child row: the first 32 hex digits of SHA-256 over the parent key values, the path of the list
 * or map, and the list index (a number) or map key (a string), as one JSON array so no two inputs share a text.
 *
 * @example childId(['65f8745c1a2b3c4d5e6f7090'], 'loop.predicted.values', 0)
 */
export function childId(parentKey: readonly JsonValue[], path: string, position: number | string): string {
  return createHash('sha256').update(JSON.stringify([parentKey, path, position])).digest('hex').slice(0, 32);
}
