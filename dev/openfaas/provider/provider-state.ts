/**
 * What the provider must not forget across restarts: its namespaces and deployments, in one JSON file written
 * beside and renamed into place, so a crash leaves the old state or the new one, never half of either.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import * as z from 'zod';
import { DEFAULT_NAMESPACE, FunctionDeployment, type DeployedFunction } from './deployment.ts';

const StringMap = z.record(z.string(), z.string());

const NamespaceState = z.object({ labels: StringMap.default({}), annotations: StringMap.default({}) });
export type NamespaceState = z.infer<typeof NamespaceState>;

const StateFile = z.object({
  namespaces: z.record(z.string(), NamespaceState),
  functions: z.array(
    z.object({
      deployment: FunctionDeployment.extend({ namespace: z.string() }),
      replicas: z.number().int().min(0),
      createdAt: z.string(),
    }),
  ),
});
export type ProviderState = z.infer<typeof StateFile>;

/** A new provider has the default namespace and no functions. */
export function emptyState(): ProviderState {
  return { namespaces: { [DEFAULT_NAMESPACE]: { labels: { 'openfaas': '1' }, annotations: {} } }, functions: [] };
}

export async function loadState(file: string): Promise<ProviderState> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
    throw error;
  }
  const parsed = StateFile.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${file} is not a provider state file: ${parsed.error.message}`);
  return parsed.data;
}

export async function saveState(file: string, state: { namespaces: ProviderState['namespaces']; functions: readonly DeployedFunction[] }): Promise<void> {
  const temporary = `${file}.tmp-${process.pid}`;
  await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, file);
}
