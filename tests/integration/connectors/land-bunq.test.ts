import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeBunq, type FakeBunq } from '../../../dev/fakes/bunq/fake-bunq.ts';
import { createBunqConnector } from '../../../shared/layers/landing/bunq/bunq-connector.ts';
import type { System } from '../../../shared/metadata/system-schema.ts';
import { newBatchId } from '../../../shared/runs/ids.ts';
import { bunqDataset, paymentObject } from '../../fixtures/bunq/dataset.ts';
import { FAST_RETRY } from './connector-harness.ts';
import { auditOf, createLandingEnv, TEST_SECRETS, type LandingEnv } from './landing-env.ts';

let env: LandingEnv;
let fake: FakeBunq;
const QUICK = { ...FAST_RETRY, rateLimit: { requests: 1000, perMs: 1000 } };

function bnq01(pageSize = 50) {
  return env.metadata((system: System) =>
    system.id === 'BNQ01' && system.type === 'bunq' ? ({ ...system, connection: { ...system.connection, base_url: fake.apiUrl, page_size: pageSize } } as System) : system,
  );
}

const connectors = () => ({ bunq: createBunqConnector({ state: env.state, http: QUICK }) });
const paymentIds = (records: readonly unknown[]): number[] => records.map((record) => (record as { Payment: { id: number } }).Payment.id);

beforeAll(async () => {
  env = await createLandingEnv('bnq01');
  fake = await startFakeBunq({ apiKey: TEST_SECRETS.bunq_api_key, ...bunqDataset() });
});
afterAll(async () => {
  await fake.close();
  await env.close();
});
afterEach(() => fake.faults.clear());

describe('landing BNQ01 from the fake bunq', { timeout: 120_000 }, () => {
  it('fails a run whose payments answer 500 after some pages: no cursor, no bronze call, nothing readable', async () => {
    fake.faults.add({ method: 'GET', path: /\/1001\/payment$/, skip: 2, times: Number.POSITIVE_INFINITY, kind: { type: 'status', status: 500, body: { Error: [{ error_description: 'Internal error' }] } } });
    const batch_id = newBatchId();
    const outcome = await env.land({ system_id: 'BNQ01', batch_id }, { connectors: connectors(), metadata: bnq01(), now: new Date() });
    expect(outcome).toMatchObject({ status: 'failed', batch_id });
    const audit = await auditOf(env.db, 'BNQ01', batch_id);
    expect(audit.runs.map((run) => run.status)).toEqual(['failed']);
    expect(audit.cursors).toEqual([]);
    expect(audit.outbox).toEqual([]);
    expect(await env.landed('BNQ01', 'payments', batch_id, audit.runs[0]?.run_id as string)).toEqual([]);
    expect(await env.countDocuments('BNQ01', 'payments')).toBe(0);

    fake.faults.clear();
    const rerun = await env.land({ system_id: 'BNQ01', batch_id }, { connectors: connectors(), metadata: bnq01(), now: new Date() });
    expect(rerun).toMatchObject({ status: 'succeeded', batch_id, counts: { monetary_accounts: 3, payments: 350 } });
    const after = await auditOf(env.db, 'BNQ01', batch_id);
    expect(after.runs.map((run) => run.status)).toEqual(['failed', 'succeeded']);
    expect(after.outbox.map((message) => message.payload.entity_id)).toEqual(['bunq_monetary_account', 'bunq_payment']);
    expect(after.cursors).toHaveLength(1);
    const payments = await env.landed('BNQ01', 'payments', batch_id, after.runs[1]?.run_id as string);
    expect(new Set(paymentIds(payments)).size).toBe(350);
    expect(await env.countDocuments('BNQ01', 'payments')).toBe(350);
    const accounts = await env.landed('BNQ01', 'monetary_accounts', batch_id, after.runs[1]?.run_id as string);
    expect(accounts.map((account) => Object.keys(account as object)[0]).sort()).toEqual(['MonetaryAccountBank', 'MonetaryAccountJoint', 'MonetaryAccountSavings']);
    expect(fake.counts.installations).toBe(1);
  });

  it('lands only new payments on the next run, with the session reopened after it expired', async () => {
    const added = [4_200_150, 4_200_151, 4_200_152].map((id, index) => ({
      id, monetary_account_id: index === 0 ? 1003 : 1001,
      raw: JSON.stringify(paymentObject({ id, accountId: index === 0 ? 1003 : 1001, createdMs: Date.parse('2026-03-19T10:00:00Z') + index, cents: -995, balanceCents: 1000, counterparty: 2, geolocated: true })),
    }));
    for (const payment of added) fake.addPayment(payment);
    fake.expireSessions();
    const outcome = await env.land({ system_id: 'BNQ01' }, { connectors: connectors(), metadata: bnq01(), now: new Date() });
    expect(outcome).toMatchObject({ status: 'succeeded', counts: { monetary_accounts: 3, payments: 3 } });
    const audit = await auditOf(env.db, 'BNQ01', outcome.batch_id as string);
    const payments = await env.landed('BNQ01', 'payments', outcome.batch_id as string, audit.runs[0]?.run_id as string);
    expect(paymentIds(payments).sort()).toEqual(added.map((payment) => payment.id));
    expect(audit.cursors).toHaveLength(2);
    expect(JSON.parse(audit.cursors[1]?.position ?? '{}').accounts).toMatchObject({ '1001': 4_200_152, '1003': 4_200_150 });
    expect(fake.counts).toMatchObject({ installations: 1, sessions: 2 });
    expect(env.logLines.join('')).not.toContain(TEST_SECRETS.bunq_api_key);
  });

  it('lands the accounts and no payment when no payment is new', async () => {
    const outcome = await env.land({ system_id: 'BNQ01' }, { connectors: connectors(), metadata: bnq01(), now: new Date() });
    expect(outcome).toMatchObject({ status: 'succeeded', counts: { monetary_accounts: 3 } });
    expect((outcome as unknown as { counts: Record<string, number> }).counts.payments ?? 0).toBe(0);
  });
});
