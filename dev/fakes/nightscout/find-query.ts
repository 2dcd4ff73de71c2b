/**
 * Nightscout API v1's query-string filters (`lib/server/query.js`), enough for a fake: `find[field]=v`,
 * `find[field][$op]=v` with `$gt/$gte/$lt/$lte/$ne/$eq/$in`, every value a string except the fields a collection
 * casts (entries: `date` and `sgv` to integers); ISO values on the date field normalised with `toISOString()`,
 * a space read back as `+`; the implicit 4-day window when the date field is not filtered.
 */

/** A filter on one field: equality with a value, or a set of operators. */
export type FieldFilter = { readonly eq: FilterValue } | { readonly ops: Readonly<Record<string, FilterValue>> };
type FilterValue = string | number | readonly (string | number)[];

/** How a collection's filters behave. */
export interface CollectionQueryRules {
  /** The field the implicit window applies to (`date`, `created_at`), or none (profile). */
  readonly dateField?: string;
  /** Whether the date field holds epoch ms (entries) rather than an ISO string. */
  readonly isEpochDate?: boolean;
  /** Fields whose filter values are cast to integers. */
  readonly intFields?: readonly string[];
}

/** A bad filter value, answered like Nightscout's query parser. */
export class FindQueryError extends Error {}

const TWO_DAYS_MS = 172_800_000;
/** `deltaAgo = TWO_DAYS * 2` in `lib/server/query.js`. */
export const IMPLICIT_WINDOW_MS = TWO_DAYS_MS * 2;

/**
 * Reads every `find[...]` parameter into per-field filters, with the collection's casts and the implicit
 * window (`date >= now − 4 days`) when neither the date field nor `dateString` is filtered.
 */
export function parseFind(params: URLSearchParams, rules: CollectionQueryRules, now: number): Map<string, FieldFilter> {
  const filters = new Map<string, FieldFilter>();
  for (const [name, raw] of params) {
    const match = /^find\[([^\]]+)\](?:\[([^\]]+)\])?$/.exec(name);
    if (!match) continue;
    const field = match[1] as string;
    const op = match[2];
    const value = castValue(field, raw, rules);
    if (op === undefined) {
      filters.set(field, { eq: value });
    } else {
      const existing = filters.get(field);
      const ops = existing && 'ops' in existing ? { ...existing.ops } : {};
      ops[op] = op === '$in' || op === '$nin' ? String(value).split('|').map((item) => castValue(field, item, rules) as string | number) : value;
      filters.set(field, { ops });
    }
  }
  if (rules.dateField !== undefined && !filters.has(rules.dateField) && !filters.has('dateString')) {
    const min = now - IMPLICIT_WINDOW_MS;
    filters.set(rules.dateField, { ops: { $gte: rules.isEpochDate ? min : new Date(min).toISOString() } });
  }
  return filters;
}

function castValue(field: string, raw: string, rules: CollectionQueryRules): string | number {
  if (rules.intFields?.includes(field)) {
    const parsed = Number.parseInt(raw, 10);
    return Number.isNaN(parsed) ? raw : parsed;
  }
  if (field === rules.dateField && !rules.isEpochDate) {
    const text = raw.replaceAll(' ', '+');
    const time = Date.parse(text);
    if (Number.isNaN(time)) throw new FindQueryError(`Cannot parse ${raw} as a valid ISO-8601 date`);
    return new Date(time).toISOString();
  }
  return raw;
}

/** Whether a document passes every filter, with MongoDB's rule that a number never compares to a string. */
export function matchesFind(document: Readonly<Record<string, unknown>>, filters: ReadonlyMap<string, FieldFilter>): boolean {
  for (const [field, filter] of filters) {
    const actual = readPath(document, field);
    if ('eq' in filter) {
      if (!isEqual(actual, filter.eq)) return false;
      continue;
    }
    for (const [op, expected] of Object.entries(filter.ops)) {
      if (!compare(actual, op, expected)) return false;
    }
  }
  return true;
}

function readPath(document: Readonly<Record<string, unknown>>, path: string): unknown {
  let node: unknown = document;
  for (const segment of path.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

function isEqual(actual: unknown, expected: FilterValue): boolean {
  return actual === expected;
}

function compare(actual: unknown, op: string, expected: FilterValue): boolean {
  switch (op) {
    case '$eq':
      return isEqual(actual, expected);
    case '$ne':
      return !isEqual(actual, expected);
    case '$in':
      return Array.isArray(expected) && expected.includes(actual as string | number);
    case '$nin':
      return Array.isArray(expected) && !expected.includes(actual as string | number);
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte': {
      if (typeof actual !== typeof expected || (typeof actual !== 'number' && typeof actual !== 'string')) return false;
      const left = actual as string | number;
      const right = expected as string | number;
      if (op === '$gt') return left > right;
      if (op === '$gte') return left >= right;
      if (op === '$lt') return left < right;
      return left <= right;
    }
    default:
      throw new FindQueryError(`unsupported operator ${op}`);
  }
}
