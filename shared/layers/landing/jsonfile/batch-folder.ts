import { readdir } from 'node:fs/promises';
import { DataRejectedError } from '../../../errors.ts';

/** A batch folder's name: `batch-` and its number (`batch-0001`); folders sort by the number. */
export const BATCH_FOLDER = /^batch-(\d+)$/;

/** The number of a batch folder name, or undefined for anything else. */
export function batchNumber(name: string | null): number | undefined {
  const match = name === null ? null : BATCH_FOLDER.exec(name);
  return match ? Number(match[1]) : undefined;
}

/**
 * The batch folders of a jsonfile system's folder, by number; none when the folder does not exist. `shownPath` names
 * the folder in errors (the metadata's `connection.path`, not where it resolved to).
 */
export async function listBatchFolders(root: string, shownPath: string): Promise<string[]> {
  try {
    const entries = await readdir(root, { withFileTypes: true });
    return entries
      .filter((entry) => entry.isDirectory() && BATCH_FOLDER.test(entry.name))
      .map((entry) => entry.name)
      .sort((a, b) => (batchNumber(a) ?? 0) - (batchNumber(b) ?? 0) || a.localeCompare(b));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new DataRejectedError(`cannot read the jsonfile folder ${shownPath} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  }
}

/**
 * Where a jsonfile system's relative `connection.path` is read from by the functions that read its folder
 * (connector-jsonfile, and silver for a canary): `JSONFILE_BASE_DIR` when set (stack.yml; `npm start` sets the
 * project root, as a function runs in its image folder), else the working directory.
 */
export function jsonFileBaseDir(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.JSONFILE_BASE_DIR;
  return configured === undefined || configured === '' ? process.cwd() : configured;
}
