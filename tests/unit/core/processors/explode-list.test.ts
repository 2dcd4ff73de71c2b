import { describe, expect, it } from 'vitest';
import { ColumnCollisionError } from '../../../../shared/core/errors.ts';
import { childId } from '../../../../shared/core/processors/child-id.ts';
import { compileExplodeList } from '../../../../shared/core/processors/explode-list.ts';
import type { ExplodeListOptions } from '../../../../shared/core/processors/types.ts';
import { defineModel } from '../fixtures/models.ts';
import { bunqPayment, profile } from '../fixtures/sources.ts';

const avatarImage = defineModel('bunq_payment_alias_avatar_image', [
  ['payment_id', 'bigint', { key: true }],
  ['list_index', 'integer', { key: true }],
  ['image_id', 'text'],
  ['attachment_public_uuid', 'text'],
  ['height', 'integer'],
  ['width', 'integer'],
  ['content_type', 'text'],
]);

const options: ExplodeListOptions = {
  name: 'explode_list',
  path: 'Payment.alias.avatar.image',
  parent_key: [{ column: 'payment_id', path: 'Payment.id' }],
  id_column: 'image_id',
};

describe('explode_list', () => {
  it('makes a child row per list element with the parent key, list index and a deterministic id', () => {
    expect(compileExplodeList(options, avatarImage)(bunqPayment, 3)).toEqual({
      rows: [
        {
          payment_id: 4200017,
          list_index: 0,
          image_id: childId([4200017], 'Payment.alias.avatar.image', 0),
          attachment_public_uuid: 'img-1',
          height: 640,
          width: 640,
          content_type: 'image/png',
        },
      ],
      unmapped: [],
      issues: [],
    });
  });

  it('gives the same child the same id in every batch, and other children other ids', () => {
    const process = compileExplodeList(options, avatarImage);
    const first = process(bunqPayment, 0).rows[0]?.image_id;
    expect(process(structuredClone(bunqPayment), 9).rows[0]?.image_id).toBe(first);
    expect(first).toMatch(/^[0-9a-f]{32}$/);
    expect(childId([4200018], 'Payment.alias.avatar.image', 0)).not.toBe(first);
    expect(childId([4200017], 'Payment.alias.avatar.image', 1)).not.toBe(first);
  });

  it('flattens each element and names the index column as configured', () => {
    const basal = defineModel('nightscout_profile_basal', [
      ['profile_id', 'text', { key: true }],
      ['position', 'integer', { key: true }],
      ['time', 'text'],
      ['time_as_seconds', 'integer'],
      ['value', 'numeric'],
    ]);
    const process = compileExplodeList(
      { name: 'explode_list', path: 'store.Default.basal', parent_key: [{ column: 'profile_id', path: '_id' }], index_column: 'position' },
      basal,
    );
    expect(process(profile, 0).rows).toEqual([
      { profile_id: '65f8745c1a2b3c4d5e6f70a0', position: 0, time: '00:00', time_as_seconds: 0, value: 1.8 },
      { profile_id: '65f8745c1a2b3c4d5e6f70a0', position: 1, time: '06:00', time_as_seconds: 21600, value: 2.1 },
    ]);
  });

  it.each([
    ['a missing list', {}],
    ['a null list', { Payment: { id: 1, alias: { avatar: { image: null } } } }],
    ['an empty list', { Payment: { id: 1, alias: { avatar: { image: [] } } } }],
    ['a null parent object', { Payment: { id: 1, alias: { avatar: null } } }],
  ])('gives no rows and no issue for %s', (_rule, record) => {
    expect(compileExplodeList(options, avatarImage)(record, 0)).toEqual({ rows: [], unmapped: [], issues: [] });
  });

  it('gives a null element a row of nulls, so the indexes stay as landed', () => {
    const { rows } = compileExplodeList(options, avatarImage)({ Payment: { id: 1, alias: { avatar: { image: [null] } } } }, 0);
    expect(rows).toEqual([
      expect.objectContaining({ payment_id: 1, list_index: 0, attachment_public_uuid: null, height: null }),
    ]);
  });

  it.each([
    ['an object instead of a list', { Payment: { id: 1, alias: { avatar: { image: { a: 1 } } } } }, 'Payment.alias.avatar.image', 'expected a list, found an object'],
    ['a scalar element', { Payment: { id: 1, alias: { avatar: { image: [{}, 'x'] } } } }, 'Payment.alias.avatar.image[1]', 'expected an object, found the string "x" (explode_scalars reads lists of scalars)'],
  ])('reports %s with its path', (_rule, record, path, reason) => {
    expect(compileExplodeList(options, avatarImage)(record, 17).issues).toEqual([{ position: 17, path, reason }]);
  });

  it('refuses an element field that lands on the index column the model reads', () => {
    const record = { Payment: { id: 1, alias: { avatar: { image: [{ list_index: 5 }] } } } };
    expect(() => compileExplodeList(options, avatarImage)(record, 0)).toThrow(ColumnCollisionError);
  });

  it('reports element fields the child model does not read', () => {
    const small = defineModel('m', [
      ['payment_id', 'bigint', { key: true }],
      ['list_index', 'integer', { key: true }],
    ]);
    expect(compileExplodeList(options, small)(bunqPayment, 0).unmapped).toEqual([
      'attachment_public_uuid',
      'height',
      'width',
      'content_type',
    ]);
  });
});
