import { describe, expect, it } from 'vitest';
import { compileUnwrapType } from '../../../../shared/core/processors/unwrap-type.ts';
import { defineModel } from '../fixtures/models.ts';
import { bunqAccounts, bunqPayment } from '../fixtures/sources.ts';

const account = defineModel('bunq_monetary_account', [
  ['id', 'bigint', { key: true }],
  ['account_type', 'text'],
  ['created', 'timestamptz'],
  ['currency', 'text'],
  ['description', 'text'],
  ['balance_value', 'numeric'],
  ['balance_currency', 'text'],
  ['savings_goal_value', 'numeric'],
  ['status', 'text'],
  ['alias', 'jsonb'],
]);

const payment = defineModel('bunq_payment', [
  ['id', 'bigint', { key: true }],
  ['object_type', 'text'],
  ['created', 'timestamptz'],
  ['amount_value', 'numeric'],
  ['amount_currency', 'text'],
  ['counterparty_alias_display_name', 'text'],
  ['counterparty_alias_iban', 'text'],
  ['payment_batch_id', 'bigint', { source: 'batch_id' }],
]);

describe('unwrap_type', () => {
  it('unwraps accounts of different types into one set of columns with the type as a value', () => {
    const process = compileUnwrapType({ name: 'unwrap_type', type_column: 'account_type' }, account);
    const rows = bunqAccounts.flatMap((record, position) => process(record, position).rows);
    expect(rows).toEqual([
      {
        id: 1001,
        account_type: 'MonetaryAccountBank',
        created: '2025-01-05 10:00:00.000000',
        currency: 'EUR',
        description: 'Main',
        balance_value: '1520.33',
        balance_currency: 'EUR',
        savings_goal_value: null,
        status: 'ACTIVE',
        alias: [{ type: 'IBAN', value: 'NL00BUNQ0000000000', name: 'A. User' }],
      },
      expect.objectContaining({ id: 1002, account_type: 'MonetaryAccountSavings', savings_goal_value: '10000.00' }),
    ]);
  });

  it('flattens a bunq payment, keeping amounts as the strings they are', () => {
    const process = compileUnwrapType({ name: 'unwrap_type', type_column: 'object_type', types: ['Payment'] }, payment);
    expect(process(bunqPayment, 0).rows).toEqual([
      {
        id: 4200017,
        object_type: 'Payment',
        created: '2026-03-02 09:14:27.118204',
        amount_value: '-12.50',
        amount_currency: 'EUR',
        counterparty_alias_display_name: 'Shop',
        counterparty_alias_iban: null,
        payment_batch_id: null,
      },
    ]);
  });

  it('reads the wrapper at a path, as in a bunq callback body', () => {
    const callback = { NotificationUrl: { category: 'MUTATION', event_type: 'MUTATION_CREATED', object: bunqPayment } };
    const process = compileUnwrapType({ name: 'unwrap_type', type_column: 'object_type', path: 'NotificationUrl.object' }, payment);
    expect(process(callback, 0).rows[0]).toMatchObject({ id: 4200017, object_type: 'Payment', amount_value: '-12.50' });
  });

  it.each([
    ['a type outside the accepted ones', { Payment: { id: 1 } }, ['MonetaryAccountBank'], '(record)', 'unexpected type "Payment" (accepted: MonetaryAccountBank)'],
    ['two type keys', { Payment: { id: 1 }, Extra: {} }, undefined, '(record)', 'expected exactly one type key, found 2: Payment, Extra'],
    ['no type key', {}, undefined, '(record)', 'expected exactly one type key, found none'],
    ['a wrapped scalar', { Payment: 5 }, undefined, '(record).Payment', 'expected an object, found the number 5'],
  ])('reports %s instead of dropping the record', (_rule, record, types, path, reason) => {
    const process = compileUnwrapType({ name: 'unwrap_type', type_column: 'object_type', ...(types ? { types } : {}) }, payment);
    expect(process(record, 8)).toEqual({ rows: [], unmapped: [], issues: [{ position: 8, path, reason }] });
  });

  it('reports a missing wrapper at its path', () => {
    const process = compileUnwrapType({ name: 'unwrap_type', type_column: 'object_type', path: 'NotificationUrl.object' }, payment);
    expect(process({ NotificationUrl: {} }, 0).issues).toEqual([
      { position: 0, path: 'NotificationUrl.object', reason: 'expected an object wrapped in its type, found nothing' },
    ]);
  });

  it('reports the payment fields the model does not read', () => {
    const process = compileUnwrapType({ name: 'unwrap_type', type_column: 'object_type' }, payment);
    const { unmapped } = process(bunqPayment, 0);
    expect(unmapped).toContain('alias_avatar_image');
    expect(unmapped).toContain('alias_label_user_public_nick_name');
    expect(unmapped).toContain('geolocation_latitude');
    expect(unmapped).not.toContain('counterparty_alias_avatar'); // null
    expect(unmapped).not.toContain('attachment'); // empty list
  });
});
