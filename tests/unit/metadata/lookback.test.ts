import { describe, expect, it } from 'vitest';
import { durationMs } from '../../../shared/metadata/duration.ts';
import { BronzeSilverEntity, lookbackByLandingEntity } from '../../../shared/metadata/entity-schema.ts';

const entity = (id: string, landing_entity: string, lookback?: { span: string; every?: string }) =>
  BronzeSilverEntity.parse({
    id,
    system_id: 'NSC01',
    kind: 'bronze_silver',
    load_type: 'delta',
    landing_entity,
    processor: { name: 'as_is' },
    model: id,
    ...(lookback ? { lookback } : {}),
  });

describe('durationMs', () => {
  it.each([
    ['90m', 90 * 60_000],
    ['12h', 12 * 3_600_000],
    ['3d', 3 * 86_400_000],
  ])('reads %s', (text, ms) => {
    expect(durationMs(text)).toBe(ms);
  });
});

describe('lookbackByLandingEntity', () => {
  it('gives each landing entity the longest span and the shortest interval of the entities that read it', () => {
    const entities = [
      entity('a', 'devicestatus', { span: '2d', every: '1d' }),
      entity('b', 'devicestatus', { span: '3d', every: '12h' }),
      entity('c', 'entries', { span: '6h' }),
      entity('d', 'treatments'),
    ];
    expect(lookbackByLandingEntity(entities)).toEqual({
      devicestatus: { span_ms: 3 * 86_400_000, every_ms: 12 * 3_600_000 },
      entries: { span_ms: 6 * 3_600_000, every_ms: 0 },
    });
  });
});

describe('look-back bounds', () => {
  it('refuses a span or an interval over a year, naming the field', () => {
    expect(() => entity('long', 'entries', { span: '400d' })).toThrow(/a look-back spans at most 366 days/);
    expect(() => entity('rare', 'entries', { span: '3d', every: '9000h' })).toThrow(/every is at most 366 days/);
    expect(entity('year', 'entries', { span: '366d', every: '1d' }).lookback).toEqual({ span: '366d', every: '1d' });
  });
});
