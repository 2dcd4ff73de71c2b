/** How the queue delivers: CE's `MaxInflight(1)` and faasd's `ack_wait` by default. */
export interface QueueSettings {
  /** Messages in flight at once (CE: 1, which makes async calls FIFO and serial across all functions). */
  readonly concurrency: number;
  /**
   * An un-acked message is delivered again after this many ms, in parallel with the still-running delivery, and
   * again after each further `ackWaitMs`; 0 never redelivers. faasd sets `ack_wait=5m5s`.
   */
  readonly ackWaitMs: number;
}

/** CE semantics: one at a time, redelivery after faasd's `ack_wait` (5m5s). */
export const CE_QUEUE_SETTINGS: QueueSettings = { concurrency: 1, ackWaitMs: 305_000 };

/** Which delivery of a message this is: 1 for the first, 2+ for redeliveries. */
export interface Delivery {
  readonly attempt: number;
  readonly redelivered: boolean;
}

/** One message as `state()` reports it. */
export interface QueueMessageState {
  readonly id: number;
  /** `pending` (waiting), `in-flight` (delivered, not acked), `acked` (done, a redelivery still running). */
  readonly state: 'pending' | 'in-flight' | 'acked';
  readonly deliveries: number;
  readonly running: number;
  readonly [detail: string]: unknown;
}

/** A snapshot of the queue for tests and `GET /system/queue`. */
export interface QueueState {
  readonly settings: QueueSettings;
  readonly pending: number;
  readonly inFlight: number;
  readonly running: number;
  readonly enqueued: number;
  readonly deliveries: number;
  readonly redeliveries: number;
  readonly acked: number;
  readonly messages: readonly QueueMessageState[];
}

interface Entry<T> {
  readonly id: number;
  readonly message: T;
  deliveries: number;
  running: number;
  acked: boolean;
  timer: NodeJS.Timeout | undefined;
}

/**
 * An in-memory stand-in for the NATS Streaming channel plus the CE queue-worker: FIFO, `concurrency` messages
 * in flight, no retries (a delivery that fails is still acked), ack when the delivery returns, and redelivery
 * of an un-acked message after `ackWaitMs` (at-least-once). Unlike the real one it is not durable: pending
 * messages are lost when the gateway stops.
 */
export class AsyncQueue<T> {
  readonly #settings: QueueSettings;
  readonly #deliver: (message: T, delivery: Delivery) => Promise<void>;
  readonly #describe: (message: T) => Record<string, unknown>;
  readonly #pending: Entry<T>[] = [];
  readonly #inFlight = new Map<number, Entry<T>>();
  readonly #running = new Set<Entry<T>>();
  #idleWaiters: (() => void)[] = [];
  #closed = false;
  #nextId = 1;
  #deliveries = 0;
  #redeliveries = 0;
  #acked = 0;

  constructor(
    deliver: (message: T, delivery: Delivery) => Promise<void>,
    settings: QueueSettings = CE_QUEUE_SETTINGS,
    describe: (message: T) => Record<string, unknown> = () => ({}),
  ) {
    if (!Number.isInteger(settings.concurrency) || settings.concurrency < 1) {
      throw new RangeError(`queue concurrency must be an integer ≥ 1, got ${settings.concurrency}`);
    }
    if (!(settings.ackWaitMs >= 0)) throw new RangeError(`ack wait must be ≥ 0 ms, got ${settings.ackWaitMs}`);
    this.#settings = settings;
    this.#deliver = deliver;
    this.#describe = describe;
  }

  /** Appends a message (the 202 of the async route means this returned) and returns its id. */
  enqueue(message: T): number {
    if (this.#closed) throw new Error('the async queue is closed');
    const entry: Entry<T> = { id: this.#nextId++, message, deliveries: 0, running: 0, acked: false, timer: undefined };
    this.#pending.push(entry);
    this.#pump();
    return entry.id;
  }

  /** Resolves once nothing is pending, in flight or running (redeliveries included). */
  waitForIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops delivering: pending messages are dropped (not durable), running deliveries finish on their own. */
  close(): void {
    this.#closed = true;
    this.#pending.length = 0;
    for (const entry of this.#inFlight.values()) clearTimeout(entry.timer);
    this.#settleIdle();
  }

  /** A snapshot for tests and the harness-only `GET /system/queue`. */
  state(): QueueState {
    const entries = [...this.#inFlight.values(), ...[...this.#running].filter((entry) => entry.acked), ...this.#pending];
    return {
      settings: this.#settings,
      pending: this.#pending.length,
      inFlight: this.#inFlight.size,
      running: [...this.#running].reduce((sum, entry) => sum + entry.running, 0),
      enqueued: this.#nextId - 1,
      deliveries: this.#deliveries,
      redeliveries: this.#redeliveries,
      acked: this.#acked,
      messages: entries.map((entry) => ({
        ...this.#describe(entry.message),
        id: entry.id,
        state: entry.acked ? 'acked' : entry.deliveries === 0 ? 'pending' : 'in-flight',
        deliveries: entry.deliveries,
        running: entry.running,
      })),
    };
  }

  #pump(): void {
    while (!this.#closed && this.#inFlight.size < this.#settings.concurrency) {
      const entry = this.#pending.shift();
      if (!entry) break;
      this.#inFlight.set(entry.id, entry);
      this.#deliverOnce(entry);
    }
  }

  #deliverOnce(entry: Entry<T>): void {
    entry.deliveries += 1;
    entry.running += 1;
    this.#deliveries += 1;
    this.#running.add(entry);
    this.#armAckTimer(entry);
    const delivery: Delivery = { attempt: entry.deliveries, redelivered: entry.deliveries > 1 };
    // The deliverer reports its own failures; a rejection must not stop the queue (no retries either way).
    void Promise.resolve()
      .then(() => this.#deliver(entry.message, delivery))
      .catch(() => undefined)
      .finally(() => {
        entry.running -= 1;
        if (entry.running === 0) this.#running.delete(entry);
        if (!entry.acked) this.#ack(entry);
        this.#pump();
        this.#settleIdle();
      });
  }

  // NATS Streaming restarts the ack timer with every delivery, so a long run is delivered again and again.
  #armAckTimer(entry: Entry<T>): void {
    clearTimeout(entry.timer);
    if (this.#settings.ackWaitMs === 0) return;
    entry.timer = setTimeout(() => {
      if (entry.acked || this.#closed) return;
      this.#redeliveries += 1;
      this.#deliverOnce(entry);
    }, this.#settings.ackWaitMs);
  }

  #ack(entry: Entry<T>): void {
    entry.acked = true;
    clearTimeout(entry.timer);
    this.#inFlight.delete(entry.id);
    this.#acked += 1;
  }

  #isIdle(): boolean {
    return this.#pending.length === 0 && this.#inFlight.size === 0 && this.#running.size === 0;
  }

  #settleIdle(): void {
    if (!this.#isIdle() && !(this.#closed && this.#running.size === 0)) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
