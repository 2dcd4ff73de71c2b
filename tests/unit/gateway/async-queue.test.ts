import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AsyncQueue, type Delivery } from '../../../dev/gateway/async-queue.ts';

/** A deliverer whose calls finish only when the test says so. */
function manualDeliverer() {
  const calls: { message: string; delivery: Delivery; finish: () => void; fail: () => void }[] = [];
  const deliver = (message: string, delivery: Delivery): Promise<void> =>
    new Promise((resolve, reject) => calls.push({ message, delivery, finish: resolve, fail: () => reject(new Error('boom')) }));
  return { calls, deliver };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('AsyncQueue', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('delivers one message at a time in FIFO order by default', async () => {
    const { calls, deliver } = manualDeliverer();
    const queue = new AsyncQueue(deliver, { concurrency: 1, ackWaitMs: 0 });
    queue.enqueue('a');
    queue.enqueue('b');
    queue.enqueue('c');
    await settle();
    expect(calls.map((call) => call.message)).toEqual(['a']);
    expect(queue.state()).toMatchObject({ pending: 2, inFlight: 1, running: 1 });
    calls[0]?.finish();
    await settle();
    expect(calls.map((call) => call.message)).toEqual(['a', 'b']);
    calls[1]?.finish();
    await settle();
    calls[2]?.finish();
    await queue.waitForIdle();
    expect(calls.map((call) => call.message)).toEqual(['a', 'b', 'c']);
    expect(queue.state()).toMatchObject({ pending: 0, inFlight: 0, running: 0, enqueued: 3, deliveries: 3, acked: 3 });
  });

  it('runs up to `concurrency` messages in parallel', async () => {
    const { calls, deliver } = manualDeliverer();
    const queue = new AsyncQueue(deliver, { concurrency: 2, ackWaitMs: 0 });
    for (const message of ['a', 'b', 'c']) queue.enqueue(message);
    await settle();
    expect(calls.map((call) => call.message)).toEqual(['a', 'b']);
    calls[1]?.finish();
    await settle();
    expect(calls.map((call) => call.message)).toEqual(['a', 'b', 'c']);
  });

  it('acks a failed delivery without retrying it', async () => {
    const { calls, deliver } = manualDeliverer();
    const queue = new AsyncQueue(deliver, { concurrency: 1, ackWaitMs: 0 });
    queue.enqueue('a');
    queue.enqueue('b');
    await settle();
    calls[0]?.fail();
    await settle();
    calls[1]?.finish();
    await queue.waitForIdle();
    expect(calls.map((call) => call.message)).toEqual(['a', 'b']);
    expect(queue.state().acked).toBe(2);
  });

  it('redelivers a message still running after ack_wait, in parallel, until the first delivery acks it', async () => {
    const { calls, deliver } = manualDeliverer();
    const queue = new AsyncQueue(deliver, { concurrency: 1, ackWaitMs: 1000 });
    queue.enqueue('slow');
    queue.enqueue('next');
    await settle();
    vi.advanceTimersByTime(999);
    await settle();
    expect(calls).toHaveLength(1);
    vi.advanceTimersByTime(1);
    await settle();
    // The redelivery runs beside the first one and does not let the next message start.
    expect(calls.map((call) => [call.message, call.delivery])).toEqual([
      ['slow', { attempt: 1, redelivered: false }],
      ['slow', { attempt: 2, redelivered: true }],
    ]);
    expect(queue.state()).toMatchObject({ inFlight: 1, running: 2, redeliveries: 1 });
    calls[0]?.finish();
    await settle();
    // Acked: the next message starts although the redelivered copy still runs, and no third delivery comes.
    expect(calls.map((call) => call.message)).toEqual(['slow', 'slow', 'next']);
    calls[2]?.finish();
    await settle();
    vi.advanceTimersByTime(5000);
    await settle();
    expect(calls.map((call) => call.message)).toEqual(['slow', 'slow', 'next']);
    calls[1]?.finish();
    await queue.waitForIdle();
    expect(queue.state()).toMatchObject({ deliveries: 3, redeliveries: 1, acked: 2, running: 0 });
  });

  it('keeps redelivering every ack_wait while the message stays un-acked', async () => {
    const { calls, deliver } = manualDeliverer();
    const queue = new AsyncQueue(deliver, { concurrency: 1, ackWaitMs: 100 });
    queue.enqueue('loop');
    await settle();
    for (let i = 0; i < 3; i += 1) {
      vi.advanceTimersByTime(100);
      await settle();
    }
    expect(calls.map((call) => call.delivery.attempt)).toEqual([1, 2, 3, 4]);
  });

  it('waitForIdle resolves at once on an empty queue and after the last running delivery otherwise', async () => {
    const { calls, deliver } = manualDeliverer();
    const queue = new AsyncQueue(deliver, { concurrency: 1, ackWaitMs: 0 });
    await queue.waitForIdle();
    queue.enqueue('a');
    let idle = false;
    void queue.waitForIdle().then(() => {
      idle = true;
    });
    await settle();
    expect(idle).toBe(false);
    calls[0]?.finish();
    await settle();
    expect(idle).toBe(true);
  });

  it('drops pending messages when closed, as an in-memory queue loses them on stop', async () => {
    const { calls, deliver } = manualDeliverer();
    const queue = new AsyncQueue(deliver, { concurrency: 1, ackWaitMs: 0 });
    queue.enqueue('a');
    queue.enqueue('b');
    await settle();
    queue.close();
    calls[0]?.finish();
    await queue.waitForIdle();
    expect(calls.map((call) => call.message)).toEqual(['a']);
    expect(() => queue.enqueue('c')).toThrow(/closed/);
  });

  it('reports each message with its details in state()', async () => {
    const { deliver } = manualDeliverer();
    const queue = new AsyncQueue(deliver, { concurrency: 1, ackWaitMs: 0 }, (message) => ({ function: message }));
    queue.enqueue('a');
    queue.enqueue('b');
    await settle();
    expect(queue.state().messages).toEqual([
      { function: 'a', id: 1, state: 'in-flight', deliveries: 1, running: 1 },
      { function: 'b', id: 2, state: 'pending', deliveries: 0, running: 0 },
    ]);
  });

  it.each([
    [{ concurrency: 0, ackWaitMs: 0 }, /concurrency/],
    [{ concurrency: 1, ackWaitMs: -1 }, /ack wait/],
  ])('refuses settings %o', (settings, message) => {
    expect(() => new AsyncQueue(async () => undefined, settings)).toThrow(message);
  });
});
