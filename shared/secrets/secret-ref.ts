import * as z from 'zod';

/**
 * A secret key: two or more snake_case segments joined by `/`, e.g. `nightscout/api_secret`. The last segment
 * names the value, the ones before it group values (a Vault path, a prefix of a file or variable name).
 */
export const SecretKey = z
  .string()
  .regex(/^[a-z][a-z0-9]*(?:_[a-z0-9]+)*(?:\/[a-z][a-z0-9]*(?:_[a-z0-9]+)*)+$/, {
    error: (issue) =>
      `expected a secret key like "nightscout/api_secret" (snake_case segments joined by "/"), got ${JSON.stringify(issue.input)}`,
  });

/** `{"type": "secret", "key": "nightscout/api_secret"}`: a value that the configured secret store supplies. */
export const SecretRef = z.strictObject({
  type: z.literal('secret'),
  key: SecretKey,
});
export type SecretRef = z.infer<typeof SecretRef>;

/**
 * A value that may be given inline or as a secret reference, e.g. `secretOr(z.string().min(1))`.
 * Only fields where a secret makes sense (credentials, URLs with tokens) accept one.
 */
export function secretOr<T extends z.ZodType>(inner: T) {
  return z.union([inner, SecretRef], {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? 'expected a value or a secret reference {"type": "secret", "key": "group/name"}'
        : undefined,
  });
}

/** Whether a value is a secret reference (structurally; metadata has been parsed before this is asked). */
export function isSecretRef(value: unknown): value is SecretRef {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    (value as { type?: unknown }).type === 'secret' &&
    typeof (value as { key?: unknown }).key === 'string' &&
    Object.keys(value).length === 2
  );
}

/** The type a value has once every secret reference in it is replaced by the secret's string value. */
export type Resolved<T> = T extends SecretRef
  ? string
  : T extends readonly (infer U)[]
    ? Resolved<U>[]
    : T extends object
      ? { [K in keyof T]: Resolved<T[K]> }
      : T;

/** Every secret key a value refers to, in order of first appearance, without duplicates. */
export function collectSecretKeys(value: unknown): string[] {
  const keys = new Set<string>();
  const visit = (node: unknown): void => {
    if (isSecretRef(node)) keys.add(node.key);
    else if (Array.isArray(node)) node.forEach(visit);
    else if (typeof node === 'object' && node !== null) Object.values(node).forEach(visit);
  };
  visit(value);
  return [...keys];
}
