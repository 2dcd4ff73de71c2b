/**
 * The faas-provider data model (`openfaas/faas-provider: types/`) the gateway and faas-cli send and read, as plain
 * data: a deployment request, the status a provider reports, and the rules that turn one into the other. No I/O.
 */
import * as z from 'zod';

/** The namespace of a deployment that names none, and the gateway's `function_namespace` (faasd's). */
export const DEFAULT_NAMESPACE = 'openfaas-fn';

/** faasd CE refuses a 16th function per namespace (its EULA check); this provider does the same. */
export const MAX_FUNCTIONS_PER_NAMESPACE = 15;

/** A function or namespace name: a DNS-1123 label, as containerd and Kubernetes require (faasd validates it). */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const Name = z.string().regex(DNS_LABEL, 'must be a DNS-1123 label: lower-case letters, digits and -, at most 63');

const Resources = z.looseObject({ memory: z.string().optional(), cpu: z.string().optional() });
const StringMap = z.record(z.string(), z.string());

/** `types.FunctionDeployment`: what `POST|PUT /system/functions` carries (faas-cli deploy). */
export const FunctionDeployment = z.looseObject({
  service: Name,
  image: z.string().min(1, 'image is required'),
  namespace: z.string().optional(),
  envProcess: z.string().optional(),
  envVars: StringMap.nullish(),
  constraints: z.array(z.string()).nullish(),
  secrets: z.array(z.string().regex(/^[-a-zA-Z_0-9.]+$/, 'invalid secret name')).nullish(),
  labels: StringMap.nullish(),
  annotations: StringMap.nullish(),
  limits: Resources.nullish(),
  requests: Resources.nullish(),
  readOnlyRootFilesystem: z.boolean().optional(),
});
export type FunctionDeployment = z.infer<typeof FunctionDeployment>;

/** A deployment as the provider keeps it: namespace resolved, replicas wanted, when it was created. */
export interface DeployedFunction {
  readonly deployment: FunctionDeployment & { readonly namespace: string };
  /** Replicas wanted (scale-function); 0 stops the function, any other value runs one process. */
  readonly replicas: number;
  readonly createdAt: string;
}

/** `types.FunctionStatus`, as `GET /system/functions` lists it. */
export interface FunctionStatus {
  readonly name: string;
  readonly image: string;
  readonly namespace?: string;
  readonly envProcess?: string;
  readonly envVars?: Record<string, string>;
  readonly constraints?: string[];
  readonly secrets?: string[];
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
  readonly limits?: Record<string, string>;
  readonly requests?: Record<string, string>;
  readonly readOnlyRootFilesystem?: boolean;
  readonly replicas?: number;
  readonly availableReplicas?: number;
  readonly createdAt: string;
}

/** `types.ScaleServiceRequest`. */
export const ScaleRequest = z.looseObject({
  serviceName: z.string().optional(),
  replicas: z.number().int().min(0),
  namespace: z.string().optional(),
});

/** `types.DeleteFunctionRequest`. */
export const DeleteRequest = z.looseObject({ functionName: z.string().min(1), namespace: z.string().optional() });

/** `types.Secret`: `rawValue` is base64 (Go's []byte in JSON). */
export const SecretRequest = z.looseObject({
  name: z.string().regex(/^[-a-zA-Z_0-9.]+$/).refine((name) => name !== '.' && name !== '..', 'invalid secret name'),
  namespace: z.string().optional(),
  value: z.string().optional(),
  rawValue: z.string().optional(),
});

/** `types.FunctionNamespace`. */
export const NamespaceRequest = z.looseObject({
  name: z.string().optional(),
  labels: StringMap.nullish(),
  annotations: StringMap.nullish(),
});

/** Checks a namespace name (query parameter or body): the default when empty. */
export function resolveNamespace(namespace: string | undefined | null): string {
  const name = namespace === undefined || namespace === null || namespace === '' ? DEFAULT_NAMESPACE : namespace;
  if (!DNS_LABEL.test(name)) throw new RangeError(`namespace "${name}" is not a DNS-1123 label`);
  return name;
}

/**
 * Splits `name.namespace` (the gateway and queue-worker call `bronze.openfaas-fn`) into its parts; a name without a
 * dot is in the default namespace.
 */
export function splitFunctionName(qualified: string): { readonly name: string; readonly namespace: string } {
  const dot = qualified.lastIndexOf('.');
  if (dot <= 0) return { name: qualified, namespace: DEFAULT_NAMESPACE };
  return { name: qualified.slice(0, dot), namespace: qualified.slice(dot + 1) };
}

/** Drops what Go's `omitempty` drops: empty strings, maps and lists, false, and zero numbers. */
export function omitEmpty<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (field === undefined || field === null || field === '' || field === 0 || field === false) continue;
    if (Array.isArray(field) && field.length === 0) continue;
    if (typeof field === 'object' && !Array.isArray(field) && Object.keys(field as object).length === 0) continue;
    out[key] = field;
  }
  return out as T;
}

/** The status the provider reports for a deployment with `available` healthy replicas. */
export function functionStatus(deployed: DeployedFunction, available: number): FunctionStatus {
  const { deployment } = deployed;
  return omitEmpty<FunctionStatus>({
    name: deployment.service,
    image: deployment.image,
    namespace: deployment.namespace,
    envProcess: deployment.envProcess,
    envVars: deployment.envVars ?? undefined,
    constraints: deployment.constraints ?? undefined,
    secrets: deployment.secrets ?? undefined,
    labels: deployment.labels ?? undefined,
    annotations: deployment.annotations ?? undefined,
    limits: (deployment.limits as Record<string, string> | null | undefined) ?? undefined,
    requests: (deployment.requests as Record<string, string> | null | undefined) ?? undefined,
    readOnlyRootFilesystem: deployment.readOnlyRootFilesystem,
    replicas: deployed.replicas > 0 ? 1 : 0,
    availableReplicas: available,
    createdAt: deployed.createdAt,
  });
}

/** A readable list of zod issues: `service: must be a DNS-1123 label…; image: image is required`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message}`).join('; ');
}
