import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../dev/gateway/gateway.ts';
import { AUTH, CallbackReceiver, createWorkspace, echoEntry, type EchoAnswer, type Workspace } from './harness.ts';

let workspace: Workspace;
const callbacks = new CallbackReceiver();

beforeAll(async () => {
  workspace = await createWorkspace();
  await workspace.writeStack(`provider: {name: openfaas}
functions:
${echoEntry('echo')}
${echoEntry('echo-two')}`);
  await callbacks.start();
});

afterAll(async () => {
  await callbacks.stop();
  await workspace?.remove();
});

afterEach(() => callbacks.clear());

describe('async route with OpenFaaS CE queue semantics', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await workspace.start();
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  const submit = (target: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${gateway.url}/async-function/${target}`, { method: 'POST', ...init });

  it('answers 202 with an empty body, then replays the call and posts the outcome to X-Callback-Url', async () => {
    const answer = await submit('echo.openfaas-fn/p/q?x=1', {
      headers: { 'x-callback-url': `${callbacks.url}/done?tag=a`, 'content-type': 'text/plain', 'x-custom': 'kept' },
      body: 'payload',
    });
    expect(answer.status).toBe(202);
    expect(await answer.text()).toBe('');
    const callId = answer.headers.get('x-call-id');
    expect(callId).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.headers.get('x-served-by')).toBe('openfaas-ce/0.27.13');

    const [callback] = await callbacks.waitFor(1);
    expect(callback?.url).toBe('/done?tag=a');
    expect(callback?.headers).toMatchObject({
      'x-function-status': '200',
      'x-function-name': 'echo.openfaas-fn',
      'x-call-id': callId,
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'Go-http-client/1.1',
    });
    expect(callback?.headers['x-duration-seconds']).toMatch(/^\d+\.\d+$/);
    const echo = JSON.parse(callback?.body ?? '{}') as EchoAnswer;
    expect(echo).toMatchObject({ method: 'POST', path: '/p/q', query: { x: '1' }, body: 'payload', call_id: callId });
    expect(echo.headers).toMatchObject({
      'user-agent': 'openfaas-ce/nats-queue-worker',
      'x-callback-url': `${callbacks.url}/done?tag=a`,
      'x-custom': 'kept',
      'content-type': 'text/plain',
    });
    // Submit time, then the replayed sync call's own start time.
    expect(echo.headers['x-start-time']).toMatch(/^\d{19}, \d{19}$/);
  });

  it('keeps a caller-sent call id for the replay and the callback without echoing it', async () => {
    const answer = await submit('echo', { headers: { 'x-call-id': 'async-given-1', 'x-callback-url': callbacks.url } });
    expect(answer.status).toBe(202);
    expect(answer.headers.get('x-call-id')).toBeNull();
    const [callback] = await callbacks.waitFor(1);
    expect(callback?.headers['x-call-id']).toBe('async-given-1');
  });

  it('reports failures to the callback without retrying: 422 from the function, 404 for an unknown one', async () => {
    expect((await submit('echo?fail=1', { headers: { 'x-callback-url': `${callbacks.url}/failed` } })).status).toBe(202);
    expect((await submit('missing', { headers: { 'x-callback-url': `${callbacks.url}/missing` } })).status).toBe(202);
    await gateway.waitForIdle();
    const received = await callbacks.waitFor(2);
    expect(received.map((callback) => [callback.url, callback.headers['x-function-status'], callback.headers['x-function-name']])).toEqual([
      ['/failed', '422', 'echo'],
      ['/missing', '404', 'missing'],
    ]);
    expect(gateway.queueState()).toMatchObject({ deliveries: gateway.queueState().acked, redeliveries: 0 });
  });

  it('runs calls one at a time in FIFO order across functions', async () => {
    const targets = ['echo', 'echo-two', 'echo', 'echo-two'];
    for (const [i, target] of targets.entries()) {
      const answer = await submit(`${target}?sleep_ms=150&n=${i}`, { headers: { 'x-callback-url': `${callbacks.url}/n/${i}` } });
      expect(answer.status).toBe(202);
    }
    await gateway.waitForIdle();
    const received = await callbacks.waitFor(4);
    expect(received.map((callback) => callback.url)).toEqual(['/n/0', '/n/1', '/n/2', '/n/3']);
    const runs = received.map((callback) => JSON.parse(callback.body) as EchoAnswer);
    for (let i = 1; i < runs.length; i += 1) {
      // Each call started only after the previous one had finished.
      expect(runs[i]!.started_at).toBeGreaterThanOrEqual(runs[i - 1]!.finished_at);
    }
  });

  it('exposes the queue state to tests under basic auth', async () => {
    expect((await fetch(`${gateway.url}/system/queue`)).status).toBe(401);
    // The first call runs until the state is read (a fixed sleep could end first on a busy machine).
    const release = path.join(workspace.dir, 'release-queue-state');
    await submit(`echo?until_file=${encodeURIComponent(release)}`);
    await submit('echo-two');
    const state = (await (await fetch(`${gateway.url}/system/queue`, { headers: AUTH })).json()) as Record<string, unknown>;
    await writeFile(release, '');
    expect(state).toMatchObject({ settings: { concurrency: 1, ackWaitMs: 305_000 }, inFlight: 1, pending: 1 });
    expect(state.messages).toEqual([
      expect.objectContaining({ function: 'echo', state: 'in-flight', deliveries: 1 }),
      expect.objectContaining({ function: 'echo-two', state: 'pending', deliveries: 0 }),
    ]);
    await gateway.waitForIdle();
    expect(gateway.queueState()).toMatchObject({ pending: 0, inFlight: 0, running: 0 });
  });

  it('accepts 256,000 bytes and refuses one more with the CE message', async () => {
    expect((await submit('echo', { body: 'x'.repeat(256_000) })).status).toBe(202);
    const tooLarge = await submit('echo', { body: 'x'.repeat(256_001) });
    expect(tooLarge.status).toBe(500);
    expect(await tooLarge.text()).toBe(
      'Error queuing request: request body too large for OpenFaaS CE (256001 bytes), maximum: 256000 bytes',
    );
    await gateway.waitForIdle();
  });

  it('refuses an invalid X-Callback-Url with 400 and other methods with 405', async () => {
    const invalid = await submit('echo', { headers: { 'x-callback-url': 'not a url' } });
    expect(invalid.status).toBe(400);
    expect(await invalid.text()).toMatch(/X-Callback-Url not a url is invalid/);
    const get = await fetch(`${gateway.url}/async-function/echo`);
    expect(get.status).toBe(405);
    expect(gateway.queueState().pending).toBe(0);
  });
});

describe('redelivery, timeouts and a dead function', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    // A run outlives ack_wait by 1.5 s and the upstream timeout outlives the run by 2 s: room for a busy machine's
    // late timers and slow calls (with 800 ms runs, a redelivery 300 ms late no longer overlapped the first run).
    gateway = await workspace.start({ queue: { ackWaitMs: 500 }, upstreamTimeoutMs: 4000 });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it('delivers a call again when it outlives ack_wait, in parallel with the first delivery', async () => {
    const answer = await fetch(`${gateway.url}/async-function/echo?sleep_ms=2000`, {
      method: 'POST',
      headers: { 'x-callback-url': callbacks.url },
    });
    const callId = answer.headers.get('x-call-id');
    await gateway.waitForIdle();
    const received = await callbacks.waitFor(2);
    const runs = received.map((callback) => JSON.parse(callback.body) as EchoAnswer);
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(new Set(runs.map((run) => run.call_id))).toEqual(new Set([callId]));
    // The second run started before the first had finished.
    expect(runs[1]!.started_at).toBeLessThan(runs[0]!.finished_at);
    expect(gateway.queueState().redeliveries).toBeGreaterThanOrEqual(1);
  });

  it('answers 502 with an empty body when a sync call outlives the upstream timeout', async () => {
    const answer = await fetch(`${gateway.url}/function/echo?sleep_ms=8000`);
    expect(answer.status).toBe(502);
    expect(await answer.text()).toBe('');
  });

  it("answers 500 Can't reach service once the function process has died", async () => {
    await fetch(`${gateway.url}/function/echo-two?exit=1`).catch(() => undefined);
    // The watchdog exits with its function; wait until the gateway has noticed. Until then the answer may be a 200
    // or, while the watchdog is still shutting down, the watchdog's own 500 (x-openfaas-internal: of-watchdog).
    const deadline = Date.now() + 15_000;
    let answer = await fetch(`${gateway.url}/function/echo-two`);
    while (answer.headers.get('x-openfaas-internal') !== 'proxy' && Date.now() < deadline) {
      await answer.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, 100));
      answer = await fetch(`${gateway.url}/function/echo-two`);
    }
    expect(answer.status).toBe(500);
    expect(answer.headers.get('x-openfaas-internal')).toBe('proxy');
    expect(await answer.text()).toBe("Can't reach service for: echo-two.");
    const status = (await (await fetch(`${gateway.url}/system/function/echo-two`, { headers: AUTH })).json()) as Record<string, unknown>;
    expect(status.availableReplicas).toBeUndefined(); // 0, omitted like Go's omitempty
    expect(status.replicas).toBe(1);
  });
});
