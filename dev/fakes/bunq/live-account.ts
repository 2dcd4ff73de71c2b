/**
 * A bunq account that keeps being used, for the fake `npm start` runs in the background (dev/fakes/local-sources.ts):
 * the recorded account (tests/fixtures/bunq), then a card or transfer payment every 6 hours from the end of the
 * recording up to now, and on, as the clock moves; the salary on the 25th. A payment's id, time and amount follow
 * from its slot alone, so a fake started again serves the same payments and BNQ01 lands each once.
 */
import { BANK_ACCOUNT_ID, bunqDataset, paymentObject, type BunqDataset } from '../../../tests/fixtures/bunq/dataset.ts';
import type { FakeBunq, FakePayment } from './fake-bunq.ts';

const SLOT_MS = 6 * 3_600_000;
/** The first slot: the day after the recording ends (2026-03-18). */
const FIRST_SLOT_AT = Date.parse('2026-03-19T00:00:00.000Z');
/** Above every recorded payment id, so live ids keep growing as bunq's do. */
const FIRST_LIVE_ID = 4_300_000;
const SALARY_CENTS = 320_000;
const EMPLOYER = 4;

/** The recorded account plus its live payments up to `now`. */
export function liveAccountData(now: number): BunqDataset {
  const recorded = bunqDataset();
  return { ...recorded, payments: [...recorded.payments, ...livePayments(recorded, now).payments] };
}

/** The live payments up to `now`, and the bank account's balance after them. */
function livePayments(recorded: BunqDataset, now: number): { payments: FakePayment[]; balanceCents: number } {
  const bank = recorded.accounts.find((account) => account.id === BANK_ACCOUNT_ID);
  let balanceCents = Math.round(Number((bank?.body.balance as { value: string } | undefined)?.value ?? '0') * 100);
  const payments: FakePayment[] = [];
  for (let slot = 0; FIRST_SLOT_AT + slot * SLOT_MS <= now; slot += 1) {
    const at = FIRST_SLOT_AT + slot * SLOT_MS;
    const day = new Date(at);
    const isSalary = day.getUTCDate() === 25 && day.getUTCHours() === 6;
    // A payment from 1.50 to 121.49 to one of the recorded counterparties, by a fixed spread of the slot number.
    const cents = isSalary ? SALARY_CENTS : -(150 + ((slot * 7919) % 12_000));
    balanceCents += cents;
    const id = FIRST_LIVE_ID + slot;
    const counterparty = isSalary ? EMPLOYER : [0, 1, 2, 3, 5][slot % 5] as number;
    const object = paymentObject({ id, accountId: BANK_ACCOUNT_ID, createdMs: at, cents, balanceCents, counterparty, geolocated: slot % 3 === 0 });
    payments.push({ id, monetary_account_id: BANK_ACCOUNT_ID, raw: JSON.stringify(object) });
  }
  return { payments, balanceCents };
}

/** Adds the payments whose time has come, every minute, until `stop()` (those up to `since` are in the data already). */
export function keepPaying(fake: FakeBunq, since: number, now: () => number = Date.now): { stop(): void } {
  const recorded = bunqDataset();
  let paidUntil = since;
  const slotOf = (time: number): number => Math.floor((time - FIRST_SLOT_AT) / SLOT_MS);
  const timer = setInterval(() => {
    const until = now();
    if (slotOf(until) === slotOf(paidUntil)) return;
    for (const payment of livePayments(recorded, until).payments) if (payment.id > FIRST_LIVE_ID + slotOf(paidUntil)) fake.addPayment(payment);
    paidUntil = until;
  }, 60_000);
  return { stop: () => clearInterval(timer) };
}
