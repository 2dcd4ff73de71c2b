/** Words for a value's shape in processor issues ("expected a list, found an object"). */
import type { JsonValue } from '../json.ts';

/** Describes a value's shape briefly, quoting short scalars: `an object`, `a list`, `the string "x"`, `null`. */
export function describeShape(value: JsonValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return `the ${typeof value} ${text.length > 40 ? `${text.slice(0, 39)}…` : text}`;
}
