import * as z from 'zod';
import { loadEnv } from '../config.ts';
import { ConfigurationError } from '../errors.ts';

/** Where metadata lives in MongoDB and how often functions look for a new deploy (docs/metadata.md). */
export const MetadataEnv = z.object({
  METADATA_DB: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,63}$/, { error: 'expected a MongoDB database name (letters, digits, _ and -)' })
    .default('metadata'),
  METADATA_REFRESH_MS: z.coerce.number().int().min(0).default(0),
});

/** The parsed metadata environment. */
export interface MetadataConfig {
  readonly mongodbUrl: string;
  readonly database: string;
  readonly refreshIntervalMs: number;
}

/** Reads the metadata database's configuration; a malformed variable fails with its name. */
export function loadMetadataConfig(source: NodeJS.ProcessEnv = process.env): MetadataConfig {
  const env = loadEnv(source); // first: it loads `.env` into process.env
  const parsed = MetadataEnv.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigurationError(`invalid metadata environment: ${problems.join('; ')}`);
  }
  return {
    mongodbUrl: env.MONGODB_URL,
    database: parsed.data.METADATA_DB,
    refreshIntervalMs: parsed.data.METADATA_REFRESH_MS,
  };
}
