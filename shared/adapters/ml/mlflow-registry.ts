/**
 * The MLflow model registry, as the platform reads it: which version of a registered model is the `champion` and
 * which training run made it (REST API 2.0, through the shared HTTP client). The training function (Python) writes the
 * registry; the TypeScript side only reads it.
 */
import * as z from 'zod';
import { UpstreamError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import { createHttpClient } from '../http/http-client.ts';

/** A registered model version, as far as the platform needs it. */
export interface ModelVersion {
  readonly version: number;
  readonly run_id: string;
}

const AliasAnswer = z.looseObject({
  model_version: z.looseObject({ version: z.coerce.number().int().positive(), run_id: z.string().min(13) }),
});

/** Reads the registry of the MLflow tracking server at `baseUrl`. */
export interface MlflowRegistry {
  /** The version the alias names (default `champion`), or undefined when the model or the alias does not exist yet. */
  aliasedVersion(model: string, alias?: string): Promise<ModelVersion | undefined>;
}

export function createMlflowRegistry(options: { readonly baseUrl: string; readonly log: Logger; readonly timeoutMs?: number }): MlflowRegistry {
  const http = createHttpClient({ source: 'mlflow', baseUrl: options.baseUrl, log: options.log, timeoutMs: options.timeoutMs ?? 10_000, retry: { maxAttempts: 2 } });
  return {
    async aliasedVersion(model, alias = 'champion') {
      try {
        const answer = await http.requestJson({ path: 'api/2.0/mlflow/registered-models/alias', query: { name: model, alias } }, AliasAnswer);
        return { version: answer.model_version.version, run_id: answer.model_version.run_id };
      } catch (error) {
        // MLflow answers 404 RESOURCE_DOES_NOT_EXIST for a model never registered and for an alias never set.
        if (error instanceof UpstreamError && error.upstreamStatus === 404) return undefined;
        throw error;
      }
    },
  };
}
