import type * as z from 'zod';
import { describeZodIssue, formatIssue } from './metadata-issue.ts';

/** A metadata file's records, parsed one by one so one bad record does not hide the others' problems. */
export interface ParsedFile<T> {
  /** The records that passed their schema, in file order. */
  readonly records: T[];
  /** Every id the file declares (valid record or not), so cross-checks do not repeat a record's own problem. */
  readonly declaredIds: ReadonlySet<string>;
  readonly issues: string[];
}

/** The label of a record in messages: its `id` when it has a string one, else its position `[i]`. */
export function recordLabel(record: unknown, index: number): string {
  const id = typeof record === 'object' && record !== null ? (record as { id?: unknown }).id : undefined;
  return typeof id === 'string' && id !== '' ? id : `[${index}]`;
}

/**
 * Parses a metadata file's text: valid JSON, then `parseMetadataRecords`.
 */
export function parseMetadataFile<S extends z.ZodType>(file: string, text: string, schema: S): ParsedFile<z.infer<S>> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { records: [], declaredIds: new Set(), issues: [formatIssue(file, undefined, [], describeJsonError(text, error as Error))] };
  }
  return parseMetadataRecords(file, json, schema);
}

/**
 * Checks a metadata file's content: a top-level array, each record against `schema`, ids unique. Every problem
 * is reported, each naming the file, the record and the JSON path.
 */
export function parseMetadataRecords<S extends z.ZodType>(file: string, json: unknown, schema: S): ParsedFile<z.infer<S>> {
  const records: z.infer<S>[] = [];
  const declaredIds = new Set<string>();
  const issues: string[] = [];
  if (!Array.isArray(json)) {
    return { records, declaredIds, issues: [formatIssue(file, undefined, [], 'expected a JSON array of records')] };
  }
  const firstIndexOf = new Map<string, number>();
  json.forEach((record: unknown, index) => {
    const label = recordLabel(record, index);
    if (label !== `[${index}]`) {
      const first = firstIndexOf.get(label);
      if (first !== undefined) issues.push(formatIssue(file, label, ['id'], `duplicate id (also record [${first}])`));
      else firstIndexOf.set(label, index);
      declaredIds.add(label);
    }
    const parsed = schema.safeParse(record);
    if (parsed.success) records.push(parsed.data);
    else {
      for (const issue of parsed.error.issues) {
        for (const problem of describeZodIssue(issue)) issues.push(formatIssue(file, label, problem.path, problem.message));
      }
    }
  });
  return { records, declaredIds, issues };
}

/**
 * "invalid JSON at line 3, column 5: …" from V8's "… in JSON at position 42". V8's quote of the text around the
 * error is dropped: it could hold a value that should have been a secret reference.
 */
function describeJsonError(text: string, error: Error): string {
  const position = /at position (\d+)/.exec(error.message)?.[1];
  const reason = error.message
    .replace(/, ".*" is not valid JSON$/s, '')
    .replace(/\s*\(line \d+ column \d+\)/, '')
    .replace(/ (in|after) JSON at position \d+/, '');
  if (position === undefined) return `invalid JSON: ${reason}`;
  const before = text.slice(0, Number(position));
  const line = before.split('\n').length;
  const column = Number(position) - before.lastIndexOf('\n');
  return `invalid JSON at line ${line}, column ${column}: ${reason}`;
}
