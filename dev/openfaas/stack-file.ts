/**
 * stack.yml as faas-cli reads it (faas-cli 0.18's schema, envsubst), for what the project does with the stack beside
 * faas-cli: `npm run build` writes each function's image, and tests check the stack's rules.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { load } from 'js-yaml';
import * as z from 'zod';
import { ConfigurationError } from '../../shared/errors.ts';

/** A function that names no namespace is deployed in the gateway's default one. */
export const DEFAULT_NAMESPACE = 'openfaas-fn';

/** faas-cli reads map values as strings; YAML numbers and booleans (`max_inflight: 1`) become their text. */
const StringMap = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));

/** A function name must be a DNS-1035 label, as faas-cli and the providers require. */
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** `functions.<name>` of faas-cli 0.18's schema. Strict, so a misspelt key (`enviroment`) fails loudly. */
const StackFunctionEntry = z.strictObject({
  lang: z.string().min(1),
  handler: z.string().min(1),
  image: z.string().min(1),
  fprocess: z.string().min(1).optional(),
  namespace: z.string().optional(),
  environment: StringMap.optional(),
  environment_file: z.array(z.string()).optional(),
  secrets: z.array(z.string().min(1)).optional(),
  labels: StringMap.optional(),
  annotations: StringMap.optional(),
  limits: z.strictObject({ memory: z.string().optional(), cpu: z.string().optional() }).optional(),
  requests: z.strictObject({ memory: z.string().optional(), cpu: z.string().optional() }).optional(),
  constraints: z.array(z.string()).optional(),
  readonly_root_filesystem: z.boolean().optional(),
  skip_build: z.boolean().optional(),
  platforms: z.string().optional(),
  build_args: StringMap.optional(),
  build_options: z.array(z.string()).optional(),
  build_secrets: StringMap.optional(),
});

/** The whole `stack.yml` (faas-cli 0.18 schema). */
export const StackDocument = z.strictObject({
  // `version: 1.0` is a YAML number; faas-cli reads it as the string "1.0", the only valid value.
  version: z.union([z.literal('1.0'), z.literal(1)]).optional(),
  provider: z.strictObject({ name: z.literal('openfaas'), gateway: z.string().optional() }),
  // YAML anchors only (the secrets per kind of function and PLATFORM_ENV); faas-cli ignores keys it does not know.
  'x-secrets': z.record(z.string(), z.array(z.string())).optional(),
  // Names are checked in loadStack: zod reports a bad record key without its own message.
  functions: z.record(z.string(), StackFunctionEntry),
  configuration: z
    .strictObject({
      templates: z.array(z.strictObject({ name: z.string(), source: z.string().optional() })).optional(),
      copy: z.array(z.string()).optional(),
    })
    .optional(),
});
export type StackDocument = z.infer<typeof StackDocument>;

/** An `environment_file`: a YAML file holding `environment: {K: V}`. */
const EnvironmentFile = z.strictObject({ environment: StringMap.default({}) });

/** One function of the stack, with its environment merged and its handler folder resolved. */
export interface StackFunction {
  readonly name: string;
  readonly namespace: string;
  readonly lang: string;
  readonly image: string;
  /** Absolute path of the handler folder (`handler:`), where the bundle (`function.cjs`) and its entry `index.cjs` live. */
  readonly handlerDir: string;
  /** The stack's `fprocess` override, if any. */
  readonly fprocess: string | undefined;
  /** Inline `environment`, then each `environment_file` in order (files win, later files win). */
  readonly environment: Readonly<Record<string, string>>;
  readonly secrets: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly limits: Readonly<Record<string, string>>;
  readonly requests: Readonly<Record<string, string>>;
}

/** A parsed stack file: the provider block and every function, in file order. */
export interface Stack {
  readonly file: string;
  readonly gateway: string | undefined;
  readonly functions: readonly StackFunction[];
}

/**
 * Replaces `${VAR}`, `${VAR:-default}`, `${VAR-default}` and `$VAR` like faas-cli's envsubst (on by default);
 * unset variables become "". `$$` stays a literal `$`.
 */
export function substituteEnv(text: string, env: NodeJS.ProcessEnv): string {
  const pattern = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;
  return text.replace(pattern, (match, braced?: string, operator?: string, fallback?: string, bare?: string) => {
    if (match === '$$') return '$';
    const name = braced ?? bare ?? '';
    const value = env[name];
    if (operator === ':-') return value === undefined || value === '' ? (fallback ?? '') : value;
    if (operator === '-') return value === undefined ? (fallback ?? '') : value;
    return value ?? '';
  });
}

/** Turns zod issues into one message prefixed by where they were found: `stack.yml › functions.x.lang: …`. */
function describeIssues(where: string, error: z.ZodError): string {
  const lines = error.issues.map((issue) => `${where} › ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  return lines.join('; ');
}

function parseYaml(text: string, where: string): unknown {
  try {
    return load(text);
  } catch (error) {
    throw new ConfigurationError(`${where}: invalid YAML: ${(error as Error).message}`, { cause: error });
  }
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigurationError(`${what} ${file} cannot be read: ${(error as Error).message}`, { cause: error });
  }
}

/** Reads the `environment_file` entries of one function; later files win. */
async function readEnvironmentFiles(
  files: readonly string[],
  baseDir: string,
  env: NodeJS.ProcessEnv,
): Promise<Record<string, string>> {
  const merged: Record<string, string> = {};
  for (const relative of files) {
    const file = path.resolve(baseDir, relative);
    const text = substituteEnv(await readText(file, 'environment_file'), env);
    const parsed = EnvironmentFile.safeParse(parseYaml(text, file) ?? {});
    if (!parsed.success) throw new ConfigurationError(describeIssues(file, parsed.error));
    Object.assign(merged, parsed.data.environment);
  }
  return merged;
}

/**
 * Reads a `stack.yml` the way faas-cli does (envsubst, then the schema), merges each function's environment
 * files over its inline `environment`, and resolves handler folders against the stack file's folder.
 */
export async function loadStack(file: string, env: NodeJS.ProcessEnv = process.env): Promise<Stack> {
  const absolute = path.resolve(file);
  const where = path.basename(absolute);
  const text = substituteEnv(await readText(absolute, 'stack file'), env);
  const parsed = StackDocument.safeParse(parseYaml(text, where));
  if (!parsed.success) throw new ConfigurationError(describeIssues(where, parsed.error));
  const baseDir = path.dirname(absolute);
  const functions: StackFunction[] = [];
  for (const [name, entry] of Object.entries(parsed.data.functions)) {
    if (!DNS_1035_LABEL.test(name)) {
      throw new ConfigurationError(`${where} › functions.${name}: a function name must be a DNS-1035 label (a-z, 0-9, -; ≤ 63)`);
    }
    const namespace = entry.namespace === undefined || entry.namespace === '' ? DEFAULT_NAMESPACE : entry.namespace;
    const fromFiles = await readEnvironmentFiles(entry.environment_file ?? [], baseDir, env);
    functions.push({
      name,
      namespace,
      lang: entry.lang,
      image: entry.image,
      handlerDir: path.resolve(baseDir, entry.handler),
      fprocess: entry.fprocess,
      environment: { ...entry.environment, ...fromFiles },
      secrets: entry.secrets ?? [],
      labels: entry.labels ?? {},
      annotations: entry.annotations ?? {},
      limits: definedOnly(entry.limits),
      requests: definedOnly(entry.requests),
    });
  }
  return { file: absolute, gateway: parsed.data.provider.gateway, functions };
}

function definedOnly(record: Record<string, string | undefined> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(record ?? {})) if (value !== undefined) out[key] = value;
  return out;
}
