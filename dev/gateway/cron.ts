import http from 'node:http';
import { CronExpressionParser } from 'cron-parser';
import type { Logger } from '../../shared/log.ts';
import { GO_USER_AGENT } from './queue-worker.ts';
import type { StackFunction } from './stack-file.ts';

/** The annotation value that marks a function for cron-connector. */
export const CRON_TOPIC = 'cron-function';

/** When a schedule fires next, strictly after `after`. */
export interface Schedule {
  next(after: Date): Date;
}

// robfig/cron v3's descriptors; cron-parser's extra ones (@weekdays, @minutely…) are not accepted by the real one.
const DESCRIPTORS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

// What robfig's standard parser accepts per field: numbers, * ? , / - and month/day names; no L, W, # or H.
const FIELD_PATTERNS = [
  /^[0-9*?,/-]+$/,
  /^[0-9*?,/-]+$/,
  /^[0-9*?,/-]+$/,
  /^([0-9*?,/-]|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)+$/i,
  /^([0-9*?,/-]|sun|mon|tue|wed|thu|fri|sat)+$/i,
];

const GO_DURATION_UNITS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a Go duration (`1h30m`, `90s`, `500ms`) into milliseconds, or undefined. */
export function parseGoDuration(text: string): number | undefined {
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(amount) * (GO_DURATION_UNITS[unit ?? ''] ?? 0);
  }
  return total;
}

/**
 * Parses a cron-connector schedule as robfig/cron v3's standard parser would: five fields (minute hour
 * day-of-month month day-of-week, no seconds), a descriptor (`@hourly`…), or `@every <go duration>`; always UTC.
 * Returns undefined for anything the real connector would skip.
 */
export function parseSchedule(expression: string): Schedule | undefined {
  const text = expression.trim();
  if (text.startsWith('@every ')) {
    const ms = parseGoDuration(text.slice('@every '.length).trim());
    if (ms === undefined) return undefined;
    // robfig rounds down to whole seconds (at least one) and counts from the second the last run started.
    const step = Math.max(1000, Math.floor(ms / 1000) * 1000);
    return { next: (after) => new Date(Math.floor(after.getTime() / 1000) * 1000 + step) };
  }
  const fiveFields = text.startsWith('@') ? DESCRIPTORS[text.toLowerCase()] : text;
  if (fiveFields === undefined) return undefined;
  const fields = fiveFields.split(/\s+/);
  if (fields.length !== 5 || fields.some((field, i) => !FIELD_PATTERNS[i]?.test(field))) return undefined;
  try {
    CronExpressionParser.parse(fiveFields, { tz: 'UTC' });
  } catch {
    return undefined;
  }
  return {
    next: (after) => CronExpressionParser.parse(fiveFields, { currentDate: after, tz: 'UTC' }).next().toDate(),
  };
}

/** One scheduled function, as `entries()` reports it. */
export interface CronEntry {
  readonly name: string;
  readonly namespace: string;
  readonly schedule: string;
  readonly next: Date;
}

/** One firing and its answer (status 0 when the gateway could not be reached). */
export interface CronFiring {
  readonly name: string;
  readonly firedAt: Date;
  readonly status: number;
}

/** How the connector runs. */
export interface CronOptions {
  /** The gateway it calls, like cron-connector's `gateway_url`. */
  readonly gatewayUrl: string;
  /** `asynchronous_invocation`: call `/async-function/…` instead of `/function/…`. */
  readonly async: boolean;
  /** The time source; tests pass a fake one and call `tick()`. */
  readonly clock: () => Date;
  /** How often the timer checks for due entries; 0 disables the timer (tests call `tick()`). */
  readonly tickMs: number;
  readonly log: Logger;
}

interface ScheduledEntry {
  readonly name: string;
  readonly namespace: string;
  readonly schedule: string;
  readonly parsed: Schedule;
  next: Date;
}

/**
 * A stand-in for cron-connector: schedules every function annotated `topic: cron-function` with a valid
 * `schedule` (UTC), and when one is due POSTs to it with no body and no Content-Type, `X-Topic: cron-function`
 * and `X-Connector: cron-connector`. Each firing runs on its own, with no overlap guard, no timeout and no retry.
 */
export class CronConnector {
  readonly #entries: ScheduledEntry[] = [];
  readonly #running = new Set<Promise<CronFiring>>();
  readonly #options: CronOptions;
  #timer: NodeJS.Timeout | undefined;

  constructor(functions: readonly StackFunction[], options: CronOptions) {
    this.#options = options;
    const now = options.clock();
    for (const fn of functions) {
      if (fn.annotations.topic !== CRON_TOPIC) continue;
      const schedule = fn.annotations.schedule ?? '';
      const parsed = parseSchedule(schedule);
      if (!parsed) {
        // The real connector skips these silently; a warning saves a developer the guesswork.
        options.log.warn({ function: fn.name, schedule }, 'cron schedule ignored: not a valid 5-field expression');
        continue;
      }
      this.#entries.push({ name: fn.name, namespace: fn.namespace, schedule, parsed, next: parsed.next(now) });
    }
  }

  /** The scheduled functions and when each fires next. */
  entries(): CronEntry[] {
    return this.#entries.map(({ name, namespace, schedule, next }) => ({ name, namespace, schedule, next }));
  }

  /** Starts the timer (unless `tickMs` is 0). */
  start(): void {
    if (this.#options.tickMs <= 0 || this.#timer) return;
    this.#timer = setInterval(() => void this.tick(), this.#options.tickMs);
    this.#timer.unref();
  }

  /** Stops the timer; calls already made run to their end. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Fires every entry due at the clock's time and resolves when those calls have answered. */
  tick(): Promise<CronFiring[]> {
    const now = this.#options.clock();
    const fired: Promise<CronFiring>[] = [];
    for (const entry of this.#entries) {
      if (entry.next.getTime() > now.getTime()) continue;
      // Like robfig: one firing however many were missed, then the next time after now.
      entry.next = entry.parsed.next(now);
      const firing = this.#invoke(entry.name, entry.namespace, now);
      this.#running.add(firing);
      void firing.finally(() => this.#running.delete(firing));
      fired.push(firing);
    }
    return Promise.all(fired);
  }

  /** True when no cron call is waiting for its answer. */
  isIdle(): boolean {
    return this.#running.size === 0;
  }

  /** Resolves when no cron call is waiting for its answer. */
  async waitForIdle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running]);
  }

  #invoke(name: string, namespace: string, firedAt: Date): Promise<CronFiring> {
    const route = this.#options.async ? 'async-function' : 'function';
    const url = new URL(`/${route}/${name}.${namespace}`, this.#options.gatewayUrl);
    const started = performance.now();
    return new Promise((resolve) => {
      const request = http.request(url, {
        method: 'POST',
        agent: false,
        headers: { 'User-Agent': GO_USER_AGENT, 'X-Topic': CRON_TOPIC, 'X-Connector': 'cron-connector' },
      });
      const done = (status: number): void => {
        const duration_ms = Math.round(performance.now() - started);
        this.#options.log.info({ function: name, status, duration_ms }, 'cron call answered');
        resolve({ name, firedAt, status });
      };
      request.on('response', (answer) => {
        answer.resume();
        answer.on('end', () => done(answer.statusCode ?? 0));
        answer.on('error', () => done(answer.statusCode ?? 0));
      });
      request.on('error', (error) => {
        this.#options.log.warn({ function: name, err: error }, 'cron call failed');
        resolve({ name, firedAt, status: 0 });
      });
      request.end();
    });
  }
}
