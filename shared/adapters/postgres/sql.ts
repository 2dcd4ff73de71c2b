import pg from 'pg';

/**
 * Quotes a name for SQL with pg's `escapeIdentifier` (ported from libpq): always double-quoted, inner quotes
 * doubled, so any name is safe and its case is kept. Names must already follow the naming rule
 * (`shared/core/naming.ts`); this only makes them safe to splice into a statement.
 *
 * @example ident('order') === '"order"'; ident('a"b') === '"a""b"'
 */
export function ident(name: string): string {
  if (name.length === 0) throw new TypeError('an SQL identifier cannot be empty');
  return pg.escapeIdentifier(name);
}

/**
 * A schema-qualified name, each part quoted: `qualified('silver', 'bunq_payment')` → `"silver"."bunq_payment"`.
 */
export function qualified(schema: string, name: string): string {
  return `${ident(schema)}.${ident(name)}`;
}

/**
 * Joins two aliases on a key: `left."k1" = right."k1" and left."k2" = right."k2"`. Key columns are never null, so
 * `=` is exact.
 */
export function keyMatch(key: readonly string[], left: string, right: string): string {
  return key.map((name) => `${left}.${ident(name)} = ${right}.${ident(name)}`).join(' and ');
}
