import type * as z from 'zod';

/** Renders a JSON path as `processor.parent_key[0].column`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? String(segment) : `.${String(segment)}`;
  }
  return text;
}

/**
 * One problem as a user reads it: `systems.json › NSC01 › schedule: invalid cron expression "61 * * * *"`.
 * `record` is the record's id (or `[index]` when it has none); both it and `path` are left out when empty.
 */
export function formatIssue(file: string, record: string | undefined, path: readonly PropertyKey[], message: string): string {
  const where = [file, record, formatPath(path)].filter((part) => part !== undefined && part !== '');
  return `${where.join(' › ')}: ${message}`;
}

/** Turns zod's wording into ours: "expected string, got number", "required field is missing", "unknown field". */
export function describeZodIssue(issue: z.core.$ZodIssue): { path: PropertyKey[]; message: string }[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: [...issue.path, key], message: 'unknown field' }));
  }
  if (issue.code === 'invalid_type') {
    const received = /received (\w+)/.exec(issue.message)?.[1];
    if (received === 'undefined') return [{ path: issue.path, message: `required field is missing (expected ${issue.expected})` }];
    return [{ path: issue.path, message: `expected ${issue.expected}${received ? `, got ${received}` : ''}` }];
  }
  return [{ path: issue.path, message: issue.message.replace(/^Invalid (input|option): /, '') }];
}
