import * as z from 'zod';

/** PostgreSQL truncates identifiers past 63 bytes (NAMEDATALEN − 1); MongoDB collection names stay far below it. */
export const MAX_IDENTIFIER_BYTES = 63;

const SNAKE_CASE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;

/**
 * The reason a name is not safe, unquoted and unchanged, as a PostgreSQL table or column and a MongoDB collection,
 * or undefined when it is: snake_case ASCII (lowercase letter first; single underscores between parts), at most
 * 63 bytes. A leading underscore is left to the platform's own system columns, so a model column can never
 * collide with one.
 */
export function explainUnsafeIdentifier(name: string): string | undefined {
  if (Buffer.byteLength(name, 'utf8') > MAX_IDENTIFIER_BYTES) {
    return `"${name}" is ${Buffer.byteLength(name, 'utf8')} bytes; identifiers are at most ${MAX_IDENTIFIER_BYTES} bytes`;
  }
  if (!SNAKE_CASE.test(name)) {
    return `"${name}" is not snake_case (lowercase letters, digits and single underscores, starting with a letter)`;
  }
  return undefined;
}

/** A snake_case identifier (entity, table, column, model, action, landing entity), safe for PostgreSQL and MongoDB. */
export const Identifier = z.string().superRefine((name, ctx) => {
  const reason = explainUnsafeIdentifier(name);
  if (reason) ctx.addIssue({ code: 'custom', message: reason });
});

/** A system id: three capital letters and two digits (`NSC01`). */
export const SystemId = z.string().regex(/^[A-Z]{3}[0-9]{2}$/, {
  error: (issue) => `expected a system id like NSC01 (three capital letters, two digits), got ${JSON.stringify(issue.input)}`,
});

/** A dotted path into a landing record (`loop.predicted.values`); each segment is a key, never empty. */
export const RecordPath = z
  .string()
  .min(1, { error: 'expected a dotted path like "loop.predicted.values"' })
  .refine((path) => path.split('.').every((segment) => segment !== ''), {
    error: 'expected a dotted path like "loop.predicted.values" (no empty segments)',
  });
