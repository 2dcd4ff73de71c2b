import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { ColumnCollisionError } from '../../../shared/core/errors.ts';
import { buildPathTree, flattenInto, flattenRecord } from '../../../shared/core/flatten.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../../../shared/core/json.ts';
import { byteLength, joinIdentifiers, normalizeIdentifier, shortenIdentifier } from '../../../shared/core/naming.ts';
import { bunqPayment, loopDevicestatus } from './fixtures/sources.ts';

/** The column a key path flattens to, by naming.ts's rules: the keys normalised, joined, shortened. */
function columnForPath(keys: readonly string[]): string {
  let column = '';
  for (const key of keys) {
    const segment = normalizeIdentifier(key);
    column = column === '' ? segment : joinIdentifiers(column, segment);
  }
  return shortenIdentifier(column);
}

describe('flattenRecord', () => {
  it('joins nested keys with _ and normalises each key', () => {
    expect(flattenRecord(loopDevicestatus)).toEqual({
      _id: '65f8745c1a2b3c4d5e6f7090',
      device: 'loop://iPhone',
      created_at: '2026-03-18T17:00:00.000Z',
      pump_clock: '2026-03-18T17:00:00Z',
      pump_pump_id: '123',
      pump_reservoir: 112.5,
      pump_battery_percent: 75,
      pump_suspended: false,
      uploader_name: 'iPhone',
      uploader_timestamp: '2026-03-18T17:00:00Z',
      uploader_battery: 80,
      loop_name: 'Loop',
      loop_version: '3.4',
      loop_timestamp: '2026-03-18T17:00:00Z',
      loop_iob_timestamp: '2026-03-18T17:00:00Z',
      loop_iob_iob: 1.2,
      loop_cob_timestamp: '2026-03-18T17:00:00Z',
      loop_cob_cob: 20,
      loop_predicted_start_date: '2026-03-18T17:00:00Z',
      loop_predicted_values: [142, 140, 138],
      loop_enacted_rate: 0.8,
      loop_enacted_duration: 30,
      loop_enacted_received: true,
      loop_enacted_bolus_volume: 0,
    });
  });

  it('keeps arrays and nulls as values', () => {
    const flat = flattenRecord(bunqPayment);
    expect(flat.payment_attachment).toEqual([]);
    expect(flat.payment_alias_avatar_image).toEqual([
      { attachment_public_uuid: 'img-1', height: 640, width: 640, content_type: 'image/png' },
    ]);
    expect(flat.payment_counterparty_alias_avatar).toBeNull();
    expect(flat.payment_counterparty_alias_iban).toBeNull();
    expect(flat.payment_alias_label_user_public_nick_name).toBe('Anna ✨');
    expect(flat.payment_amount_value).toBe('-12.50');
  });

  it('produces nothing for an empty nested object', () => {
    expect(flattenRecord({ id: 1, settings: {} })).toEqual({ id: 1 });
  });

  it('keeps the value of a keepWhole column as one value', () => {
    const flat = flattenRecord(bunqPayment, { keepWhole: new Set(['payment_geolocation']) });
    expect(flat.payment_geolocation).toEqual({ latitude: 52.37, longitude: 4.89, altitude: 0, radius: 20 });
    expect(Object.keys(flat).some((column) => column.startsWith('payment_geolocation_'))).toBe(false);
  });

  it('keeps only top-level values in drop mode, unless a column is kept whole', () => {
    expect(flattenRecord(loopDevicestatus, { nested: 'drop', keepWhole: new Set(['uploader']) })).toEqual({
      _id: '65f8745c1a2b3c4d5e6f7090',
      device: 'loop://iPhone',
      created_at: '2026-03-18T17:00:00.000Z',
      uploader: { name: 'iPhone', timestamp: '2026-03-18T17:00:00Z', battery: 80 },
    });
  });

  it('leaves out skipped paths and everything below them', () => {
    const skip = buildPathTree([['loop'], ['pump', 'battery']]);
    const flat = flattenRecord(loopDevicestatus, { skip });
    expect(Object.keys(flat).filter((column) => column.startsWith('loop'))).toEqual([]);
    expect(flat.pump_battery_percent).toBeUndefined();
    expect(flat.pump_reservoir).toBe(112.5);
  });

  it('shortens a column over 63 bytes with a hash tag', () => {
    const record = { payment: { counterparty_alias: { label_user: { avatar: { image: { attachment_public_uuid: 'x' } } } } } };
    const [column] = Object.keys(flattenRecord(record));
    expect(column).toMatch(/^payment_counterparty_alias_label_user_avatar_image_a_[0-9a-f]{10}$/);
    expect(column).toBe(columnForPath(['payment', 'counterparty_alias', 'label_user', 'avatar', 'image', 'attachment_public_uuid']));
  });

  it('treats keys with dots and dollars like any other key', () => {
    expect(flattenRecord({ 'a.b': 1, $c: { 'd.e': 2 } })).toEqual({ a_b: 1, _c_d_e: 2 });
  });

  it('flattens a key named like an Object.prototype member as any other', () => {
    expect(Object.hasOwn(flattenRecord({ constructor: 1 }), 'constructor')).toBe(true);
    expect(flattenRecord({ constructor: 1, toString: 2 })).toEqual({ constructor: 1, to_string: 2 });
  });

  it.each([
    ['a nested path and a key with an underscore', { a_b: 1, a: { b: 2 } }, 'a_b', ['a_b', 'a.b']],
    ['camelCase and snake_case spellings', { fooBar: 1, foo_bar: 2 }, 'foo_bar', ['fooBar', 'foo_bar']],
    ['keys that differ only by punctuation', { 'content-type': 'x', content_type: 'y' }, 'content_type', ['content-type', 'content_type']],
    ['a key with a dot and a nested path', { 'a.b': 1, a: { b: 2 } }, 'a_b', ['a\\.b', 'a.b']],
  ])('refuses %s that flatten to one column, naming both paths', (_rule, record, column, paths) => {
    const error = catchError(() => flattenRecord(record as JsonObject));
    expect(error).toBeInstanceOf(ColumnCollisionError);
    expect(error).toMatchObject({ column, paths, status: 422 });
  });

  it('refuses a source field that lands on a reserved processor column', () => {
    const target = Object.create(null) as Record<string, JsonValue>;
    target.list_index = 0;
    const error = catchError(() =>
      flattenInto(target, { list_index: 3 }, { reserved: new Map([['list_index', '(explode_list list index)']]) }),
    );
    expect(error).toMatchObject({ column: 'list_index', paths: ['(explode_list list index)', 'list_index'] });
  });

  it('names both paths in the collision message', () => {
    expect(catchError(() => flattenRecord({ a_b: 1, a: { b: 2 } }))?.message).toMatchInlineSnapshot(
      `"source fields a_b and a.b both map to column a_b; read the one you mean through an exact source path ("$.key.path") in the model"`,
    );
  });

  test.prop([fc.jsonValue().map((value) => value as JsonValue).filter(isJsonObject)])('leaves no nested object and only identifiers within 63 bytes', (record) => {
    let flat: Record<string, JsonValue>;
    try {
      flat = flattenRecord(record);
    } catch (error) {
      expect(error).toBeInstanceOf(ColumnCollisionError);
      return;
    }
    for (const [column, value] of Object.entries(flat)) {
      expect(isJsonObject(value)).toBe(false);
      expect(column).toMatch(/^(?!\d)(?!.*__)[a-z0-9_]+$/);
      expect(byteLength(column)).toBeLessThanOrEqual(63);
    }
    expect(Object.keys(flat).length).toBe(countLeaves(record));
  });

  test.prop([fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/), fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/), fc.integer()))])(
    'keeps every leaf value reachable under its column',
    (record) => {
      const flat = flattenRecord(record);
      for (const [outer, inner] of Object.entries(record)) {
        for (const [key, value] of Object.entries(inner)) expect(flat[`${outer}_${key}`]).toBe(value);
      }
    },
  );
});

describe('buildPathTree', () => {
  it('lets a shorter path cover a longer one', () => {
    const tree = buildPathTree([['a', 'b'], ['a'], ['c', 'd']]);
    expect(tree?.get('a')).toBe(true);
    expect(tree?.get('c')).toEqual(new Map([['d', true]]));
  });

  it('is undefined when there are no paths', () => {
    expect(buildPathTree([])).toBeUndefined();
  });
});

function countLeaves(object: JsonObject): number {
  let count = 0;
  for (const value of Object.values(object)) count += isJsonObject(value) ? countLeaves(value) : 1;
  return count;
}

function catchError(run: () => unknown): Error | undefined {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  return undefined;
}
