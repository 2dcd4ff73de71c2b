/**
 * Dev-only values for the secrets the metadata refers to, written to the local OpenBao (KV v2) when they are
 * missing, so functions can resolve their metadata on a fresh machine. A value that is already stored (a real
 * one you put there with `bao kv put`) is never replaced. Values say what they are: `dev-only-…-not-a-secret`.
 */
import * as z from 'zod';
import { loadSecretConfig } from '../../shared/secrets/secret-config.ts';
import { secretVaultLocation } from '../../shared/secrets/secret-location.ts';

/** What seeding did, key by key (values are never reported). */
export interface SeedReport {
  readonly store: string;
  readonly written: string[];
  readonly kept: string[];
}

/** A KV v2 read answer: `{"data": {"data": {field: value}}}`. */
const KvData = z.looseObject({ data: z.looseObject({ data: z.record(z.string(), z.unknown()).nullable() }) });

/**
 * The dev value of a key: an unreachable local URL for URL fields (a webhook action then fails visibly instead of
 * calling anyone), else a string long enough for every length rule of the schemas (tokens ≥ 24 characters).
 */
export function devSecretValue(key: string): string {
  const field = key.split('/').pop() ?? key;
  if (field === 'url' || field.endsWith('_url')) return `http://127.0.0.1:9/dev-only/${key}`;
  return `dev-only-${key.replaceAll(/[/_]/g, '-')}-not-a-secret`;
}

/**
 * Writes `devSecretValue(key)` for each key that OpenBao does not hold yet; fields of one Vault path are merged
 * with what is there. Does nothing (and says so) when the secret store is not Vault.
 */
export async function seedDevSecrets(keys: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<SeedReport> {
  const config = loadSecretConfig(env);
  if (config.kind !== 'vault') return { store: config.kind, written: [], kept: [...keys] };
  const { address, token, mount, pathPrefix } = config.vault;
  const written: string[] = [];
  const kept: string[] = [];
  const byPath = new Map<string, string[]>();
  for (const key of keys) {
    const { path } = secretVaultLocation(key, pathPrefix);
    byPath.set(path, [...(byPath.get(path) ?? []), key]);
  }
  for (const [path, pathKeys] of byPath) {
    const url = `${address.replace(/\/+$/, '')}/v1/${mount}/data/${path}`;
    const headers = { 'x-vault-token': token, 'content-type': 'application/json' };
    const current = await readPath(url, headers);
    const data: Record<string, unknown> = { ...current };
    for (const key of pathKeys) {
      const { field } = secretVaultLocation(key, pathPrefix);
      if (typeof data[field] === 'string' && data[field] !== '') {
        kept.push(key);
      } else {
        data[field] = devSecretValue(key);
        written.push(key);
      }
    }
    if (Object.keys(data).length === Object.keys(current).length) continue;
    const answer = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ data }) });
    if (!answer.ok) throw new Error(`OpenBao refused to store ${mount}/${path}: HTTP ${answer.status}`);
  }
  return { store: `vault ${address} (mount ${mount}, prefix ${pathPrefix})`, written, kept };
}

async function readPath(url: string, headers: Record<string, string>): Promise<Record<string, unknown>> {
  const answer = await fetch(url, { headers });
  if (answer.status === 404) return {};
  if (!answer.ok) throw new Error(`OpenBao answered HTTP ${answer.status} reading ${new URL(url).pathname}`);
  const parsed = KvData.safeParse(await answer.json());
  if (!parsed.success) throw new Error(`OpenBao's answer for ${new URL(url).pathname} is not a KV v2 secret`);
  return parsed.data.data.data ?? {};
}
