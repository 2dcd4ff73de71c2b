/** One listed item of the fake: its id and its exact JSON text (`{"Payment":{…}}`). */
export interface ListedItem {
  readonly id: number;
  readonly raw: string;
}

/** A bad paging parameter, answered 400 like bunq. */
export class PagingError extends Error {}

export const DEFAULT_COUNT = 10;
export const MAX_COUNT = 200;

/**
 * One page of a bunq list (`bunq/gitbook: basics/pagination.md`): newest first; `older_id` → the `count` items just
 * below it, `newer_id` → the `count` items just above it (still shown newest first); the `Pagination` URLs
 * carry the page's lowest id as `older_id` and its highest as `newer_id`, `null` at the ends; `future_url` only
 * when the page holds the newest item.
 */
export function pageOf(items: readonly ListedItem[], path: string, params: URLSearchParams): { page: ListedItem[]; pagination: Record<string, string | null> } {
  const countText = params.get('count');
  const count = countText === null ? DEFAULT_COUNT : Number(countText);
  if (!Number.isInteger(count) || count < 1 || count > MAX_COUNT) throw new PagingError(`count must be between 1 and ${MAX_COUNT}`);
  const olderId = readId(params, 'older_id');
  const newerId = readId(params, 'newer_id');
  const ascending = [...items].sort((a, b) => a.id - b.id);
  let page: ListedItem[];
  if (olderId !== undefined) page = ascending.filter((item) => item.id < olderId).slice(-count);
  else if (newerId !== undefined) page = ascending.filter((item) => item.id > newerId).slice(0, count);
  else page = ascending.slice(-count);
  page.reverse();
  const url = (name: string, id: number): string => `/v1${path}?${countText === null ? '' : `count=${count}&`}${name}=${id}`;
  const highest = page[0]?.id;
  const lowest = page.at(-1)?.id;
  const hasNewer = highest !== undefined && ascending.some((item) => item.id > highest);
  const hasOlder = lowest !== undefined && ascending.some((item) => item.id < lowest);
  let future: string | null = null;
  if (highest !== undefined && !hasNewer) future = url('newer_id', highest);
  else if (highest === undefined && newerId !== undefined) future = url('newer_id', newerId);
  return {
    page,
    pagination: {
      future_url: future,
      newer_url: hasNewer && highest !== undefined ? url('newer_id', highest) : null,
      older_url: hasOlder && lowest !== undefined ? url('older_id', lowest) : null,
    },
  };
}

function readId(params: URLSearchParams, name: string): number | undefined {
  const text = params.get(name);
  if (text === null) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value)) throw new PagingError(`${name} must be an integer`);
  return value;
}
