import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../dev/gateway/gateway.ts';
import { AUTH, createWorkspace, echoEntry, type EchoAnswer, type Workspace } from './harness.ts';

// One gateway with two echo functions (one with a secret, one on a cron schedule), a fake clock for cron.
let workspace: Workspace;
let gateway: Gateway;
let now = new Date('2026-01-01T00:02:30Z');

beforeAll(async () => {
  workspace = await createWorkspace();
  await workspace.writeSecret('api-token', 'not-for-logs');
  await workspace.writeSecret('undeclared', 'hidden');
  await workspace.writeStack(`version: 1.0
provider: {name: openfaas, gateway: http://127.0.0.1:8080}
functions:
${echoEntry('echo', `    secrets: [api-token]
    labels: {team: data}
    annotations: {note: hello}
    limits: {memory: 128Mi}
`)}
${echoEntry('ticker', `    annotations: {topic: cron-function, schedule: "*/5 * * * *"}
`)}`);
  gateway = await workspace.start({ clock: () => now });
});

afterAll(async () => {
  await gateway?.stop();
  await workspace?.remove();
});

describe('sync route /function/NAME', () => {
  it('forwards method, sub-path, query, headers and body, and stamps the call', async () => {
    const answer = await fetch(`${gateway.url}/function/echo/a/b?x=1&x=2&y=z`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-custom': 'kept' },
      body: '{"hello":"world"}',
    });
    expect(answer.status).toBe(200);
    const echo = (await answer.json()) as EchoAnswer;
    expect(echo).toMatchObject({ method: 'PUT', path: '/a/b', query: { x: ['1', '2'], y: 'z' }, body: '{"hello":"world"}', tz: 'UTC' });
    expect(echo.headers).toMatchObject({ 'x-custom': 'kept', 'content-type': 'application/json' });
    // Generated call id: on the request and echoed on the answer.
    const callId = answer.headers.get('x-call-id');
    expect(callId).toMatch(/^[0-9a-f-]{36}$/);
    expect(echo.call_id).toBe(callId);
    expect(answer.headers.get('x-served-by')).toBe('openfaas-ce/0.27.13');
    expect(answer.headers.get('x-start-time')).toMatch(/^\d{19}$/);
    expect(answer.headers.get('x-duration-seconds')).toMatch(/^\d+\.\d+$/); // from the watchdog
    expect(echo.headers['x-start-time']).toBe(answer.headers.get('x-start-time'));
    expect(echo.headers['x-forwarded-host']).toBe(new URL(gateway.url).host);
    expect(echo.headers['x-forwarded-for']).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('keeps a caller-sent X-Call-Id and does not echo it', async () => {
    const answer = await fetch(`${gateway.url}/function/echo`, { headers: { 'x-call-id': 'my-call-1' } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-call-id')).toBeNull();
    expect(((await answer.json()) as EchoAnswer).call_id).toBe('my-call-1');
  });

  it('sets a User-Agent only when the caller sends none', async () => {
    const echo = (await (await fetch(`${gateway.url}/function/echo`, { headers: { 'user-agent': 'mine/1' } })).json()) as EchoAnswer;
    expect(echo.headers['user-agent']).toBe('mine/1');
  });

  it('accepts the namespaced form NAME.openfaas-fn', async () => {
    const answer = await fetch(`${gateway.url}/function/echo.openfaas-fn/sub?q=1`);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ path: '/sub', query: { q: '1' } });
  });

  it.each([
    ['/function/nope', 'error finding function nope.openfaas-fn: not found'],
    ['/function/echo.other-ns', 'error finding function echo.other-ns: not found'],
  ])('answers 404 for %s', async (target, message) => {
    const answer = await fetch(`${gateway.url}${target}`);
    expect(answer.status).toBe(404);
    expect(await answer.text()).toBe(message);
  });

  it('passes the function status through (422 from a failing handler)', async () => {
    const answer = await fetch(`${gateway.url}/function/echo?fail=1`, { method: 'POST' });
    expect(answer.status).toBe(422);
    expect(await answer.json()).toMatchObject({ error: 'data_rejected' });
  });

  it('gives a function only the secrets it declares, under SECRETS_DIR', async () => {
    expect(((await (await fetch(`${gateway.url}/function/echo`)).json()) as EchoAnswer).secrets).toEqual(['api-token']);
    expect(((await (await fetch(`${gateway.url}/function/ticker`)).json()) as EchoAnswer).secrets).toEqual([]);
  });

  it('leaves function routes open and answers /healthz', async () => {
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${gateway.url}/nowhere`)).status).toBe(404);
  });
});

describe('/system/* API', () => {
  it.each([
    ['no credentials', {}],
    ['a wrong password', { authorization: `Basic ${Buffer.from('admin:wrong').toString('base64')}` }],
  ])('refuses %s with 401 invalid credentials', async (_case, headers) => {
    const answer = await fetch(`${gateway.url}/system/functions`, { headers });
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe('Basic realm="Restricted"');
    expect(await answer.text()).toBe('invalid credentials');
  });

  it('lists functions as FunctionStatus JSON', async () => {
    await fetch(`${gateway.url}/function/echo`);
    const answer = await fetch(`${gateway.url}/system/functions`, { headers: AUTH });
    expect(answer.status).toBe(200);
    const functions = (await answer.json()) as Record<string, unknown>[];
    expect(functions.map((fn) => fn.name)).toEqual(['echo', 'ticker']);
    const [echo, ticker] = functions;
    expect(echo).toMatchObject({
      name: 'echo',
      image: 'test/echo:latest',
      namespace: 'openfaas-fn',
      envProcess: 'node index.mjs',
      envVars: { exec_timeout: '20s', read_timeout: '25s', write_timeout: '25s', prefix_logs: 'false' },
      secrets: ['api-token'],
      labels: { team: 'data' },
      annotations: { note: 'hello' },
      limits: { memory: '128Mi' },
      replicas: 1,
      availableReplicas: 1,
    });
    expect(echo?.invocationCount).toBeGreaterThanOrEqual(1);
    expect(new Date(String(echo?.createdAt)).toISOString()).toBe(echo?.createdAt);
    expect(ticker?.annotations).toEqual({ topic: 'cron-function', schedule: '*/5 * * * *' });
  });

  it('answers one function, 404 for an unknown one, and 400 for another namespace', async () => {
    const one = await fetch(`${gateway.url}/system/function/ticker`, { headers: AUTH });
    expect(await one.json()).toMatchObject({ name: 'ticker', image: 'test/ticker:latest' });
    expect((await fetch(`${gateway.url}/system/function/nope`, { headers: AUTH })).status).toBe(404);
    expect((await fetch(`${gateway.url}/system/functions?namespace=team`, { headers: AUTH })).status).toBe(400);
  });

  it('answers namespaces and info', async () => {
    expect(await (await fetch(`${gateway.url}/system/namespaces`, { headers: AUTH })).json()).toEqual(['openfaas-fn']);
    const info = (await (await fetch(`${gateway.url}/system/info`, { headers: AUTH })).json()) as Record<string, unknown>;
    expect(info).toMatchObject({ provider: { provider: 'dataplatform-local-gateway' }, version: { release: '0.27.13' } });
    expect(typeof info.arch).toBe('string');
  });

  it('refuses deploy and scale with 501, since functions come from stack.yml', async () => {
    const deploy = await fetch(`${gateway.url}/system/functions`, { method: 'POST', headers: AUTH, body: '{}' });
    expect(deploy.status).toBe(501);
  });

  it('manages secrets in the store without exposing values', async () => {
    const create = await fetch(`${gateway.url}/system/secrets`, { method: 'POST', headers: AUTH, body: JSON.stringify({ name: 'new-one', value: 's3cr3t' }) });
    expect(create.status).toBe(201);
    const again = await fetch(`${gateway.url}/system/secrets`, { method: 'POST', headers: AUTH, body: JSON.stringify({ name: 'new-one', value: 'x' }) });
    expect(again.status).toBe(409);
    const list = await (await fetch(`${gateway.url}/system/secrets`, { headers: AUTH })).json();
    expect(list).toEqual([
      { name: 'api-token', namespace: 'openfaas-fn' },
      { name: 'new-one', namespace: 'openfaas-fn' },
      { name: 'undeclared', namespace: 'openfaas-fn' },
    ]);
    const remove = await fetch(`${gateway.url}/system/secrets`, { method: 'DELETE', headers: AUTH, body: JSON.stringify({ name: 'new-one' }) });
    expect(remove.status).toBe(200);
    const bad = await fetch(`${gateway.url}/system/secrets`, { method: 'POST', headers: AUTH, body: JSON.stringify({ name: '../escape', value: 'x' }) });
    expect(bad.status).toBe(400);
  });
});

describe('/system/logs', () => {
  const lines = async (query: string): Promise<Record<string, string>[]> => {
    const answer = await fetch(`${gateway.url}/system/logs?${query}`, { headers: AUTH });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/x-ndjson');
    return (await answer.text()).split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, string>);
  };

  it('returns NDJSON lines of the function output that contain the call id', async () => {
    await fetch(`${gateway.url}/function/echo/logged`, { headers: { 'x-call-id': 'log-me-123' } });
    // The function's output may reach the gateway just after its answer.
    const deadline = Date.now() + 15_000;
    let line: Record<string, string> | undefined;
    while (!line && Date.now() < deadline) {
      line = (await lines('name=echo')).find((entry) => entry.text?.includes('log-me-123'));
    }
    expect(line).toBeDefined();
    expect(Object.keys(line ?? {})).toEqual(['name', 'namespace', 'instance', 'timestamp', 'text']);
    expect(line).toMatchObject({ name: 'echo', namespace: 'openfaas-fn', instance: 'echo' });
    expect(JSON.parse(line?.text ?? '{}')).toMatchObject({ call_id: 'log-me-123', msg: 'echo called', path: '/logged' });
  });

  it('honours tail and since, and refuses a malformed request with 422', async () => {
    expect(await lines('name=echo&tail=2')).toHaveLength(2);
    expect(await lines('name=echo&since=2999-01-01T00:00:00Z')).toEqual([]);
    expect(await lines('name=nobody')).toEqual([]);
    for (const query of ['name=echo&tail=x', 'name=echo&since=yesterday', 'tail=1']) {
      const answer = await fetch(`${gateway.url}/system/logs?${query}`, { headers: AUTH });
      expect(answer.status).toBe(422);
    }
  });

  it('follows new lines until the caller hangs up', async () => {
    const abort = new AbortController();
    const answer = await fetch(`${gateway.url}/system/logs?name=echo&tail=1&follow=true`, { headers: AUTH, signal: abort.signal });
    const reader = answer.body!.getReader();
    await fetch(`${gateway.url}/function/echo`, { headers: { 'x-call-id': 'followed-42' } });
    let text = '';
    while (!text.includes('followed-42')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('utf8');
    }
    abort.abort();
    expect(text).toContain('followed-42');
  });
});

describe('cron', () => {
  it('schedules the annotated function and fires it when due by the clock, like cron-connector', async () => {
    expect(gateway.cronEntries()).toEqual([
      { name: 'ticker', namespace: 'openfaas-fn', schedule: '*/5 * * * *', next: new Date('2026-01-01T00:05:00Z') },
    ]);
    now = new Date('2026-01-01T00:04:59Z');
    expect(await gateway.tickCron()).toEqual([]);
    now = new Date('2026-01-01T00:05:00Z');
    expect(await gateway.tickCron()).toEqual([{ name: 'ticker', firedAt: now, status: 200 }]);
    // The function's log line travels through two pipes and may arrive just after its answer.
    const cronCalls = (): Record<string, unknown>[] =>
      gateway
        .logs({ name: 'ticker' })
        .filter((line) => line.text.includes('echo called'))
        .map((line) => JSON.parse(line.text) as Record<string, unknown>)
        .filter((call) => call.topic !== null);
    const deadline = Date.now() + 15_000;
    while (cronCalls().length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(cronCalls()).toEqual([expect.objectContaining({ topic: 'cron-function', path: '/' })]);
  });
});
