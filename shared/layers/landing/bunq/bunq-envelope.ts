import * as z from 'zod';
import { UpstreamError } from '../../../errors.ts';

/**
 * bunq answers `{"Response":[…]}`: a list of single-key objects whose key is the type (`{"Payment":{…}}`), and
 * `Pagination` on lists (sources.md §B.1, §B.6). Parsed loosely: landing keeps every field as received.
 */
export const BunqItem = z.record(z.string(), z.looseObject({}));
export const BunqEnvelope = z.looseObject({
  Response: z.array(BunqItem),
  Pagination: z
    .looseObject({
      future_url: z.string().nullish(),
      newer_url: z.string().nullish(),
      older_url: z.string().nullish(),
    })
    .optional(),
});
export type BunqEnvelope = z.infer<typeof BunqEnvelope>;

/** The paging parameters in a `Pagination` URL (`/v1/user/1/…/payment?count=25&older_id=224`). */
export interface PageParams {
  readonly count?: number;
  readonly older_id?: number;
  readonly newer_id?: number;
}

/**
 * Reads `count`, `older_id` and `newer_id` from a `Pagination` URL; `undefined` for `null` (no such page). The
 * URL's path is bunq's (`/v1/…`), not ours, so only its parameters are used: the connector builds its own request.
 */
export function readPageParams(url: string | null | undefined): PageParams | undefined {
  if (url === null || url === undefined || url === '') return undefined;
  const params = new URL(url, 'https://bunq.invalid').searchParams;
  const read = (name: string): number | undefined => {
    const text = params.get(name);
    if (text === null) return undefined;
    const value = Number(text);
    if (!Number.isSafeInteger(value)) throw new UpstreamError(`bunq pagination URL has a malformed ${name}`, undefined);
    return value;
  };
  const count = read('count');
  const olderId = read('older_id');
  const newerId = read('newer_id');
  return {
    ...(count === undefined ? {} : { count }),
    ...(olderId === undefined ? {} : { older_id: olderId }),
    ...(newerId === undefined ? {} : { newer_id: newerId }),
  };
}

/** The object under `type` at a position (setup answers are read by position: Id, Token, ServerPublicKey…). */
export function itemOfType(envelope: BunqEnvelope, type: string): Record<string, unknown> | undefined {
  for (const item of envelope.Response) {
    const value = item[type];
    if (value !== undefined) return value;
  }
  return undefined;
}

/** The wrapper type of an item (`MonetaryAccountBank`) and its object, or `undefined` when it has not one key. */
export function unwrapItem(item: Record<string, Record<string, unknown>>): { type: string; object: Record<string, unknown> } | undefined {
  const keys = Object.keys(item);
  if (keys.length !== 1) return undefined;
  const type = keys[0] as string;
  return { type, object: item[type] as Record<string, unknown> };
}

/** The user object of a session-server or `/user` answer, whichever `User…` type bunq sent. */
export function findUser(envelope: BunqEnvelope): { type: string; object: Record<string, unknown> } | undefined {
  for (const item of envelope.Response) {
    const unwrapped = unwrapItem(item);
    if (unwrapped && unwrapped.type.startsWith('User')) return unwrapped;
  }
  return undefined;
}
