import { UsageError } from './cli-io.ts';

/**
 * The SQL `like` pattern of a batch named on the command line: its id, or a unique start of it. Batch ids are UUIDv7,
 * whose first 8 characters change only about once a minute: the status screen shows the first 13, which tell apart
 * batches started a millisecond apart.
 */
export function batchIdPattern(text: string): string {
  if (!/^[0-9a-f][0-9a-f-]{3,35}$/i.test(text)) throw new UsageError(`"${text}" is not a batch id (a UUID, or its first characters)`);
  return `${text.toLowerCase()}%`;
}
