import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../shared/log.ts';
import { CronConnector, parseGoDuration, parseSchedule } from '../../../dev/gateway/cron.ts';
import type { StackFunction } from '../../../dev/gateway/stack-file.ts';

const at = (iso: string): Date => new Date(iso);

describe('parseSchedule', () => {
  it.each([
    ['*/5 * * * *', '2026-01-01T00:02:30Z', '2026-01-01T00:05:00.000Z'],
    ['* * * * *', '2026-01-01T00:01:00Z', '2026-01-01T00:02:00.000Z'], // strictly after
    ['0 3 * * mon', '2026-01-01T00:00:00Z', '2026-01-05T03:00:00.000Z'], // day names; 2026-01-01 is a Thursday
    ['0 0 1 JAN *', '2026-03-01T00:00:00Z', '2027-01-01T00:00:00.000Z'],
    ['@hourly', '2026-01-01T10:59:59Z', '2026-01-01T11:00:00.000Z'],
    ['@daily', '2026-01-01T10:00:00Z', '2026-01-02T00:00:00.000Z'],
    ['@every 90s', '2026-01-01T10:00:00.700Z', '2026-01-01T10:01:30.000Z'], // from the whole second
    ['@every 1m30s', '2026-01-01T10:00:00Z', '2026-01-01T10:01:30.000Z'],
  ])('%s after %s fires at %s (UTC)', (expression, after, expected) => {
    expect(parseSchedule(expression)?.next(at(after)).toISOString()).toBe(expected);
  });

  it.each([
    ['six fields (seconds)', '0 */5 * * * *'],
    ['four fields', '* * * *'],
    ['a value out of range', '61 * * * *'],
    ['L (cron-parser only)', '0 0 L * *'],
    ['# (cron-parser only)', '0 0 * * 1#1'],
    ['H (cron-parser only)', 'H * * * *'],
    ['a descriptor robfig does not know', '@weekdays'],
    ['a bad @every duration', '@every often'],
    ['an empty schedule', ''],
    ['the Pro multi-schedule form', '*/5 * * * *; 0 * * * *'],
  ])('refuses %s', (_case, expression) => {
    expect(parseSchedule(expression)).toBeUndefined();
  });
});

describe('parseGoDuration', () => {
  it.each([
    ['10s', 10_000],
    ['5m5s', 305_000],
    ['1h', 3_600_000],
    ['250ms', 250],
    ['1.5s', 1500],
    ['10', undefined],
    ['', undefined],
  ])('reads %s as %s ms', (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
  });
});

function stackFunction(name: string, annotations: Record<string, string>): StackFunction {
  return {
    name, namespace: 'openfaas-fn', lang: 'x', image: name, handlerDir: '/nowhere', fprocess: undefined,
    environment: {}, secrets: [], labels: {}, annotations, limits: {}, requests: {},
  };
}

describe('CronConnector', () => {
  const received: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  let server: http.Server;
  let gatewayUrl: string;
  let now: Date;
  const log = createLogger({}, { write: () => undefined });

  beforeEach(async () => {
    received.length = 0;
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        res.writeHead(req.url?.startsWith('/async-function/') ? 202 : 200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    gatewayUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    now = at('2026-01-01T00:02:30Z');
  });
  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const functions = [
    stackFunction('every-five', { topic: 'cron-function', schedule: '*/5 * * * *' }),
    stackFunction('hourly', { topic: 'cron-function', schedule: '0 * * * *' }),
    stackFunction('not-cron', { schedule: '* * * * *' }),
    stackFunction('other-topic', { topic: 'kafka', schedule: '* * * * *' }),
    stackFunction('broken', { topic: 'cron-function', schedule: '0 0 L * *' }),
  ];

  it('schedules only functions with topic cron-function and a valid schedule', () => {
    const cron = new CronConnector(functions, { gatewayUrl, async: false, clock: () => now, tickMs: 0, log });
    expect(cron.entries()).toEqual([
      { name: 'every-five', namespace: 'openfaas-fn', schedule: '*/5 * * * *', next: at('2026-01-01T00:05:00Z') },
      { name: 'hourly', namespace: 'openfaas-fn', schedule: '0 * * * *', next: at('2026-01-01T01:00:00Z') },
    ]);
  });

  it('fires a due function once, like cron-connector: POST, no body, no Content-Type, X-Topic and X-Connector', async () => {
    const cron = new CronConnector(functions, { gatewayUrl, async: false, clock: () => now, tickMs: 0, log });
    now = at('2026-01-01T00:04:59Z');
    expect(await cron.tick()).toEqual([]);
    now = at('2026-01-01T00:05:00Z');
    expect(await cron.tick()).toEqual([{ name: 'every-five', firedAt: now, status: 200 }]);
    expect(received).toHaveLength(1);
    const [call] = received;
    expect(call).toMatchObject({ method: 'POST', url: '/function/every-five.openfaas-fn', body: '' });
    expect(call?.headers['content-type']).toBeUndefined();
    expect(call?.headers).toMatchObject({ 'x-topic': 'cron-function', 'x-connector': 'cron-connector', 'user-agent': 'Go-http-client/1.1' });
    // Not again in the same slot; next at 00:10.
    expect(await cron.tick()).toEqual([]);
    expect(cron.entries()[0]?.next).toEqual(at('2026-01-01T00:10:00Z'));
  });

  it('fires once after a long pause however many slots were missed', async () => {
    const cron = new CronConnector(functions, { gatewayUrl, async: false, clock: () => now, tickMs: 0, log });
    now = at('2026-01-01T00:31:00Z');
    const fired = await cron.tick();
    expect(fired.map((firing) => firing.name)).toEqual(['every-five']);
    expect(cron.entries()[0]?.next).toEqual(at('2026-01-01T00:35:00Z'));
  });

  it('calls the async route when asynchronous invocation is on', async () => {
    const cron = new CronConnector(functions, { gatewayUrl, async: true, clock: () => now, tickMs: 0, log });
    now = at('2026-01-01T01:00:00Z');
    const fired = await cron.tick();
    expect(fired.map((firing) => [firing.name, firing.status])).toEqual([['every-five', 202], ['hourly', 202]]);
    expect(received.map((call) => call.url).sort()).toEqual(['/async-function/every-five.openfaas-fn', '/async-function/hourly.openfaas-fn']);
  });

  it('reports status 0 when the gateway cannot be reached, without throwing', async () => {
    const cron = new CronConnector(functions, { gatewayUrl: 'http://127.0.0.1:1', async: false, clock: () => now, tickMs: 0, log });
    now = at('2026-01-01T00:05:00Z');
    expect(await cron.tick()).toEqual([{ name: 'every-five', firedAt: now, status: 0 }]);
  });
});
