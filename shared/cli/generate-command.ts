import { resolve } from 'node:path';
import { models } from '../../metadata/models/index.ts';
import { generateTestData, TEST_DATA_DEFAULTS } from '../layers/landing/jsonfile/generator/generate-test-data.ts';
import { EXIT, readCommandLine, UsageError, type CliIo } from './cli-io.ts';

/** Where TST01 reads its files (its `connection.path` in metadata/systems.json). */
export const DEFAULT_TEST_DATA_DIR = '.local/jsonfile/TST01';

/** `dataplatform generate [--seed N] [--batches N] [--scale N] [--out DIR]`: the test system's files. */
export async function runGenerateCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = readCommandLine(argv, {
    seed: { type: 'string', default: String(TEST_DATA_DEFAULTS.seed) },
    batches: { type: 'string', default: '6' },
    scale: { type: 'string', default: String(TEST_DATA_DEFAULTS.scale) },
    out: { type: 'string', default: DEFAULT_TEST_DATA_DIR },
  });
  const seed = integerOption('seed', parsed.values.seed, 0);
  const batches = integerOption('batches', parsed.values.batches, 1);
  const scale = integerOption('scale', parsed.values.scale, 1);
  const out = resolve(io.cwd, parsed.values.out);
  const generated = await generateTestData({ seed, batches, scale, out, models });
  for (const batch of generated) {
    const counts = Object.entries(batch.records).map(([entity, count]) => `${count} ${entity}`).join(', ');
    io.out(`${batch.label}: ${counts}${batch.written ? '' : ' (already there, kept)'}`);
  }
  const written = generated.filter((batch) => batch.written).length;
  io.out(`wrote ${written} new batch folder(s), kept ${generated.length - written} (seed ${seed}, scale ${scale}) in ${out}`);
  return EXIT.ok;
}

function integerOption(name: string, text: string, minimum: number): number {
  if (!/^\d+$/.test(text) || Number(text) < minimum || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`--${name} expects a whole number ≥ ${minimum}, got "${text}"`);
  }
  return Number(text);
}
