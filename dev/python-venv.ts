/**
 * The Python virtual environments `npm run services -- up` builds (dev/services/python-venv.sh): one per requirements
 * file, in the per-user cache at `<cache>/<name>/<first 16 hex of the file's SHA-1>/venv`, complete once `.complete`
 * is beside it. A Python function's local image links the one built from its requirements.txt, as its Dockerfile's
 * `pip install -r requirements.txt` layer; tests run the training's Python with it.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** The per-user cache (`DATAPLATFORM_CACHE`, else `$XDG_CACHE_HOME/dataplatform`, else `~/.cache/dataplatform`). */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DATAPLATFORM_CACHE ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'dataplatform');
}

/** The complete environment built from exactly this requirements file, whatever the services script named it. */
export async function cachedVenv(requirementsFile: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const key = createHash('sha1').update(await readFile(requirementsFile)).digest('hex').slice(0, 16);
  const root = cacheDir(env);
  for (const name of await readdir(root).catch(() => [] as string[])) {
    if (existsSync(path.join(root, name, key, '.complete'))) return path.join(root, name, key, 'venv');
  }
  throw new Error(`no Python environment built from ${requirementsFile} in ${root} (npm run services -- up builds it)`);
}
