import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError } from '../errors.ts';
import { METADATA_FILES, METADATA_KINDS, type MetadataKind } from './metadata-set.ts';
import type { MetadataTexts } from './validate-metadata.ts';

/** Reads `systems.json`, `entities.json` and `actions.json` from a directory; a missing file reads as undefined. */
export async function readMetadataDir(dir: string): Promise<MetadataTexts> {
  const entries = await Promise.all(
    METADATA_KINDS.map(async (kind): Promise<[MetadataKind, string | undefined]> => {
      const file = join(dir, METADATA_FILES[kind]);
      try {
        return [kind, await readFile(file, 'utf8')];
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return [kind, undefined];
        throw new ConfigurationError(`cannot read ${file} (${code ?? 'unknown error'})`, { cause: error });
      }
    }),
  );
  return Object.fromEntries(entries) as Record<MetadataKind, string | undefined>;
}
