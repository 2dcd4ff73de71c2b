/**
 * MLServer's V2 inference protocol (the Open Inference Protocol), as the platform calls it: a table of named numeric
 * columns in (`content_type: pd`, decoded to a pandas DataFrame for an MLflow model), a table of named numeric
 * columns out.
 */
import * as z from 'zod';
import { UpstreamError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import { createHttpClient } from '../http/http-client.ts';

/** Named columns of numbers, all of one length. */
export type NumericColumns = Readonly<Record<string, readonly number[]>>;

const InferAnswer = z.looseObject({
  outputs: z.array(z.looseObject({ name: z.string(), data: z.array(z.number()) })),
});

/** The models an MLServer serves. */
export interface MlServerClient {
  /**
   * Asks model `model` for predictions on `columns`; resolves with its output columns, or `not_loaded` when the
   * server knows no ready model of that name (404: before the first champion, or while it loads).
   */
  infer(model: string, columns: NumericColumns): Promise<Record<string, number[]> | 'not_loaded'>;
}

export function createMlServerClient(options: { readonly baseUrl: string; readonly log: Logger; readonly timeoutMs?: number }): MlServerClient {
  const http = createHttpClient({ source: 'mlserver', baseUrl: options.baseUrl, log: options.log, timeoutMs: options.timeoutMs ?? 20_000, retry: { maxAttempts: 2 } });
  return {
    async infer(model, columns) {
      const inputs = Object.entries(columns).map(([name, data]) => ({ name, datatype: 'FP64', shape: [data.length], data: [...data] }));
      try {
        const answer = await http.requestJson(
          // A prediction changes nothing: it may be sent again after a lost answer.
          { method: 'POST', path: `v2/models/${encodeURIComponent(model)}/infer`, json: { parameters: { content_type: 'pd' }, inputs }, idempotent: true },
          InferAnswer,
        );
        return Object.fromEntries(answer.outputs.map((output) => [output.name, output.data]));
      } catch (error) {
        if (error instanceof UpstreamError && error.upstreamStatus === 404) return 'not_loaded';
        throw error;
      }
    },
  };
}
