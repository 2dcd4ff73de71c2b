// Core's plain option types must take what the metadata schemas produce; this file fails to type-check otherwise.
import { describe, expect, it } from 'vitest';
import { createCheckAccumulator } from '../../../../shared/core/dq-accumulator.ts';
import type { QualityConfig } from '../../../../shared/core/dq-checks.ts';
import { compileProcessor } from '../../../../shared/core/processors/index.ts';
import type { ProcessorOptions } from '../../../../shared/core/processors/types.ts';
import { BronzeProcessor } from '../../../../shared/metadata/processor-schema.ts';
import { Quality } from '../../../../shared/metadata/quality-schema.ts';
import { defineModel } from '../fixtures/models.ts';
import { loopDevicestatus } from '../fixtures/sources.ts';

const prediction = defineModel('nightscout_devicestatus_prediction', [
  ['devicestatus_id', 'text', { key: true }],
  ['list_index', 'integer', { key: true }],
  ['value', 'integer'],
]);

describe('options from metadata', () => {
  it('runs a processor parsed by the metadata schema, defaults included', () => {
    const options: ProcessorOptions = BronzeProcessor.parse({
      name: 'explode_scalars',
      path: 'loop.predicted.values',
      parent_key: [{ column: 'devicestatus_id', path: '_id' }],
    });
    expect(compileProcessor(options, prediction)(loopDevicestatus, 0).rows).toHaveLength(3);
  });

  it('checks with a quality block parsed by the metadata schema', () => {
    const quality: QualityConfig = Quality.parse({ not_null: ['value'], full_load_guard: { min_ratio: 0.8 } });
    const checks = createCheckAccumulator({ model: prediction, load_type: 'full', quality, previous_row_count: 10 });
    checks.add(['x', 0, null]);
    const failed = checks.results().filter((result) => !result.passed).map((result) => result.check);
    expect(failed).toEqual(['full_load_guard', 'not_null']);
  });
});
