import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as z from 'zod';
import {
  DataRejectedError,
  InvalidPayloadError,
  NotFoundError,
  PlatformError,
  UnauthorizedError,
  UpstreamUnavailableError,
} from '../../../shared/errors.ts';
import { type FunctionAccess, type Handler, parsePayload } from '../../../shared/handler.ts';
import { createLogger } from '../../../shared/log.ts';
import { serve } from '../../../templates/dataplatform-node20/server.ts';
import { useServedHandlers, type ServedHandler } from '../../fixtures/served-handler.ts';

const JSON_TYPE = 'application/json; charset=utf-8';

const serveHandler = useServedHandlers();

/** Starts a server; `public` unless the test is about access (most are about the HTTP contract). */
function start(handler: Handler, options: { maxBodyBytes?: number; access?: FunctionAccess; callToken?: string | null } = {}): Promise<ServedHandler> {
  return serveHandler(handler, { bindings: { function: 'test' }, access: 'public', ...options });
}

async function call(url: string, init?: RequestInit): Promise<{ status: number; type: string | null; body: unknown }> {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type'), body: text === '' ? '' : JSON.parse(text) };
}

/** Echoes what the handler saw, so tests can assert the event. */
const echo: Handler = (event) => ({
  body: Buffer.isBuffer(event.body) ? { buffer: event.body.toString('hex') } : (event.body ?? '<undefined>'),
  body_type: Buffer.isBuffer(event.body) ? 'buffer' : typeof event.body,
  raw_hex: event.rawBody.toString('hex'),
  method: event.method,
  path: event.path,
  query: event.query,
  call_id: event.headers['x-call-id'] ?? null,
});

class TeapotError extends PlatformError {
  readonly status = 418;
  readonly code = 'teapot';
}

describe('serve: errors become their status, always as JSON', () => {
  it.each([
    ['NotFoundError', new NotFoundError('system NSC99 is not in metadata'), 404, 'not_found'],
    ['UnauthorizedError', new UnauthorizedError('webhook signature does not match'), 401, 'unauthorized'],
    ['DataRejectedError', new DataRejectedError('2 checks failed'), 422, 'data_rejected'],
    ['UpstreamUnavailableError', new UpstreamUnavailableError('PostgreSQL is unreachable'), 503, 'upstream_unavailable'],
    ['a PlatformError subclass of its own', new TeapotError('short and stout'), 418, 'teapot'],
  ])('answers a thrown %s with its status and code', async (_name, error, status, code) => {
    const { url } = await start(() => {
      throw error;
    });
    const answer = await call(url, { method: 'POST' });
    // A 4xx says what was wrong with the call; a 5xx only its code, its details stay in the log.
    const message = status >= 500 ? `the function failed (${code}); its log has the details` : error.message;
    expect(answer).toEqual({ status, type: JSON_TYPE, body: { error: code, message } });
  });

  it('answers InvalidPayloadError with 400 and its issues', async () => {
    const { url } = await start(() => {
      throw new InvalidPayloadError('body does not match its schema', ['batch_id: Invalid UUID']);
    });
    const answer = await call(url, { method: 'POST' });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      error: 'invalid_payload',
      message: 'body does not match its schema',
      issues: ['batch_id: Invalid UUID'],
    });
  });

  it('answers a ZodError thrown by schema.parse with 400 and the issue paths', async () => {
    const Request = z.strictObject({ entity_id: z.string(), rows: z.array(z.number()) });
    const { url } = await start((event) => Request.parse(event.body));
    const answer = await call(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ entity_id: 7, rows: [1, 'two'] }),
    });
    expect(answer.status).toBe(400);
    expect(answer.type).toBe(JSON_TYPE);
    expect(answer.body).toMatchInlineSnapshot(`
      {
        "error": "invalid_payload",
        "issues": [
          "entity_id: Invalid input: expected string, received number",
          "rows[1]: Invalid input: expected number, received string",
        ],
        "message": "payload does not match its schema: entity_id: Invalid input: expected string, received number; rows[1]: Invalid input: expected number, received string",
      }
    `);
  });

  it.each<[string, Handler]>([
    ['parsePayload', (event) => parsePayload(z.strictObject({ batch_id: z.uuid() }), event.body)],
    ['context.parse', (event, context) => context.parse(z.strictObject({ batch_id: z.uuid() }), event.body)],
  ])('answers %s failures with 400 and the issue paths', async (_name, handler) => {
    const { url } = await start(handler);
    const answer = await call(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"batch_id":"nope"}',
    });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      error: 'invalid_payload',
      message: 'body does not match its schema: batch_id: Invalid UUID',
      issues: ['batch_id: Invalid UUID'],
    });
  });

  it('answers any other error with 500 and a plain message, keeping the stack in the log only', async () => {
    const { url, logs } = await start(() => {
      throw new Error('password=hunter2 at db.example:5432');
    });
    const response = await fetch(url, { method: 'POST', headers: { 'x-call-id': 'call-500' } });
    const text = await response.text();
    expect(response.status).toBe(500);
    expect(response.headers.get('content-type')).toBe(JSON_TYPE);
    expect(JSON.parse(text)).toEqual({
      error: 'internal_error',
      message: 'the function failed (internal_error); its log has the details under call id call-500',
      call_id: 'call-500',
    });
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('server.test.ts');
    const logged = logs.find((line) => line.msg === 'function call failed');
    expect(logged).toMatchObject({ level: 'error', call_id: 'call-500', status: 500, function: 'test' });
    expect((logged?.err as { stack?: string }).stack).toContain('server.test.ts');
  });

  it('answers 500 when the returned value cannot be serialised', async () => {
    const { url } = await start(() => ({ count: 10n }));
    expect(await call(url)).toEqual({
      status: 500,
      type: JSON_TYPE,
      body: { error: 'internal_error', message: 'the function failed (internal_error); its log has the details' },
    });
  });
});

describe('serve: a failing handler never takes the process down', () => {
  it.each<[string, Handler]>([
    ['throws synchronously', () => {
      throw new Error('sync');
    }],
    ['rejects', async () => {
      await Promise.resolve();
      throw new Error('async');
    }],
    ['rejects with a non-Error', () => Promise.reject('just a string')],
    ['calls fail()', (_event, context) => context.fail(new Error('failed'))],
  ])('answers 500 when the handler %s, then answers the next call', async (_name, failing) => {
    let calls = 0;
    const { url } = await start((event, context) => (calls++ === 0 ? failing(event, context) : { ok: true }));
    expect((await call(url)).status).toBe(500);
    expect(await call(url)).toEqual({ status: 200, type: JSON_TYPE, body: { ok: true } });
  });

  it('ignores an error thrown after succeed() and logs it', async () => {
    const { url, logs } = await start(async (_event, context) => {
      context.status(202).succeed({ accepted: true });
      await Promise.resolve();
      throw new Error('too late');
    });
    expect(await call(url)).toEqual({ status: 202, type: JSON_TYPE, body: { accepted: true } });
    await expect.poll(() => logs.some((line) => line.msg === 'handler failed after it had answered')).toBe(true);
  });
});

describe('serve: context', () => {
  it('fail() answers 500 (a string message goes to the log), or the status the handler set', async () => {
    const { url } = await start((event, context) => {
      if (event.query.status !== undefined) context.status(Number(event.query.status));
      context.fail(event.query.detail === undefined ? 'source said no' : { reason: event.query.detail });
    });
    expect(await call(url)).toEqual({
      status: 500,
      type: JSON_TYPE,
      body: { error: 'function_failed', message: 'the function failed (function_failed); its log has the details' },
    });
    expect(await call(`${url}/?status=422&detail=bad`)).toEqual({
      status: 422,
      type: JSON_TYPE,
      body: { error: 'function_failed', message: 'function failed', detail: { reason: 'bad' } },
    });
  });

  it('applies context.headers() on success and on error, keeping the JSON content type', async () => {
    const { url } = await start((event, context) => {
      context.headers({ 'X-Batch-Id': 'b-1', 'Content-Type': 'text/plain' });
      if (event.method === 'DELETE') throw new NotFoundError('no such batch');
      return { ok: true };
    });
    const success = await fetch(url);
    expect(success.headers.get('x-batch-id')).toBe('b-1');
    expect(success.headers.get('content-type')).toBe(JSON_TYPE);
    expect(await success.json()).toEqual({ ok: true });
    const failure = await fetch(url, { method: 'DELETE' });
    expect(failure.status).toBe(404);
    expect(failure.headers.get('x-batch-id')).toBe('b-1');
    expect(failure.headers.get('content-type')).toBe(JSON_TYPE);
  });

  it('sends a string as is when the handler chose its content type (a web page)', async () => {
    const { url } = await start((_event, context) => {
      context.headers({ 'content-type': 'text/html; charset=utf-8' });
      return '<h1>runs</h1>';
    });
    const response = await fetch(url);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await response.text()).toBe('<h1>runs</h1>');
  });

  it('gives the handler its call id and a logger bound to it', async () => {
    const { url, logs } = await start((_event, context) => {
      context.log.info('hello from the handler');
      return { call_id: context.callId ?? null };
    });
    expect((await call(url, { headers: { 'x-call-id': 'call-7' } })).body).toEqual({ call_id: 'call-7' });
    expect(logs.find((line) => line.msg === 'hello from the handler')).toMatchObject({ call_id: 'call-7' });
  });
});

describe('serve: success values', () => {
  it.each([
    ['an object', { a: 1 }, 200, { a: 1 }],
    ['an array', [1, 'two'], 200, [1, 'two']],
    ['a number', 42, 200, 42],
    ['a string', 'done', 200, 'done'],
    ['null', null, 200, null],
    ['undefined (as {})', undefined, 200, {}],
  ])('answers %s as JSON', async (_name, value, status, body) => {
    const { url } = await start(() => value);
    expect(await call(url)).toEqual({ status, type: JSON_TYPE, body });
  });

  it('sends no body for a 204 the handler chose', async () => {
    const { url } = await start((_event, context) => context.status(204).succeed(undefined));
    const response = await fetch(url);
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
  });
});

describe('serve: the event', () => {
  it('keeps the raw body byte for byte, so an HMAC over it matches the sender', async () => {
    const secret = 'webhook-secret';
    const { url } = await start((event) => ({
      signature: createHmac('sha256', secret).update(event.rawBody).digest('hex'),
      parsed: event.body,
    }));
    const raw = Buffer.from('{ "amount" :\t"12,50" ,\r\n  "note": "Café € 🎉"  }\n  ', 'utf8');
    const answer = await call(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw });
    expect(answer.body).toEqual({
      signature: createHmac('sha256', secret).update(raw).digest('hex'),
      parsed: { amount: '12,50', note: 'Café € 🎉' },
    });
  });

  it('passes method, path without the query, and the query (repeated names as lists)', async () => {
    const { url } = await start(echo);
    const answer = await call(`${url}/NSC01/run?force=true&entity=a&entity=b&empty=`, { method: 'PUT' });
    expect(answer.body).toMatchObject({
      method: 'PUT',
      path: '/NSC01/run',
      query: { force: 'true', entity: ['a', 'b'], empty: '' },
    });
  });

  it.each([
    ['application/json', '{"a":[1,{"b":null}]}', 'object', { a: [1, { b: null }] }],
    ['application/json; charset=utf-8', '"just a string"', 'string', 'just a string'],
    ['application/cloudevents+json', '{"type":"x"}', 'object', { type: 'x' }],
    ['text/plain', 'hello\nworld', 'string', 'hello\nworld'],
    ['text/csv; charset=utf-8', 'a,b\n1,2', 'string', 'a,b\n1,2'],
    ['application/octet-stream', 'bin', 'buffer', { buffer: Buffer.from('bin').toString('hex') }],
    [undefined, 'no type', 'buffer', { buffer: Buffer.from('no type').toString('hex') }],
  ])('gives a %s body as %s', async (contentType, sent, bodyType, body) => {
    const { url } = await start(echo);
    const headers: Record<string, string> = contentType === undefined ? {} : { 'content-type': contentType };
    // fetch adds text/plain to a string body, so send bytes when no content type is wanted.
    const answer = await call(url, { method: 'POST', headers, body: Buffer.from(sent) });
    expect(answer.body).toMatchObject({ body_type: bodyType, body });
  });

  it.each([
    ['a POST without body or content type (a cron call)', { method: 'POST' }],
    ['a GET', { method: 'GET' }],
    ['an empty JSON POST', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '' }],
  ])('gives %s an undefined body and an empty rawBody', async (_name, init) => {
    const { url } = await start(echo);
    expect((await call(url, init)).body).toMatchObject({ body_type: 'undefined', raw_hex: '' });
  });

  it('refuses malformed JSON with 400 naming the problem, before the handler runs', async () => {
    let handlerRan = false;
    const { url } = await start(() => {
      handlerRan = true;
      return {};
    });
    const answer = await call(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":' });
    expect(answer.status).toBe(400);
    expect(answer.type).toBe(JSON_TYPE);
    expect(answer.body).toMatchObject({ error: 'invalid_payload', issues: [] });
    expect((answer.body as { message: string }).message).toMatch(/^request body is not valid JSON: .*JSON/);
    expect(handlerRan).toBe(false);
  });
});

describe('serve: body size limit', () => {
  it('answers 413 for a declared length over the limit', async () => {
    const { url } = await start(echo, { maxBodyBytes: 1000 });
    const answer = await call(url, { method: 'POST', body: Buffer.alloc(1001, 1) });
    expect(answer.status).toBe(413);
    expect(answer.type).toBe(JSON_TYPE);
    expect(answer.body).toMatchObject({ error: 'payload_too_large' });
    expect((await call(url, { method: 'POST', body: Buffer.alloc(1000, 1) })).status).toBe(200);
  });

  it('answers 413 to a streamed upload without reading the rest of it', async () => {
    const limit = 64 * 1024;
    const { url } = await start(echo, { maxBodyBytes: limit });
    const total = 64 * 1024 * 1024;
    let sent = 0;
    const upload = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= total) return controller.close();
        const chunk = new Uint8Array(64 * 1024).fill(120);
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const response = await fetch(url, { method: 'POST', body: upload, duplex: 'half' } as RequestInit);
    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toBe(JSON_TYPE);
    expect(await response.json()).toMatchObject({ error: 'payload_too_large' });
    expect(sent).toBeLessThan(total / 4);
    // The server is fine afterwards.
    expect((await call(url)).status).toBe(200);
  });
});

describe('serve: health', () => {
  it('answers GET /_/health itself, without calling the handler', async () => {
    const { url } = await start(() => {
      throw new Error('the handler must not run');
    });
    expect(await call(`${url}/_/health`)).toEqual({ status: 200, type: JSON_TYPE, body: { status: 'ok' } });
  });
});

describe('who may call (FunctionAccess)', () => {
  const TOKEN = 'the-platform-call-token-0123456789';
  const bearer = { authorization: `Bearer ${TOKEN}` };
  let handlerCalls = 0;
  const counted: Handler = () => {
    handlerCalls += 1;
    return { ok: true };
  };

  it('refuses a platform function called without the token, or with another one, before its handler runs', async () => {
    handlerCalls = 0;
    const { url, logs } = await start(counted, { access: 'platform', callToken: TOKEN });
    for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789-abcdef' }, { authorization: 'Basic !!' }] as Array<Record<string, string>>) {
      const refused = await fetch(url, { method: 'POST', headers, body: '{"big":"body"}' });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Basic realm="dataplatform"');
      expect(await refused.json()).toEqual({ error: 'unauthorized', message: 'this function needs the platform call token (Authorization: Bearer <token>)' });
    }
    expect(handlerCalls).toBe(0);
    expect(logs.some((line) => JSON.stringify(line).includes('wrong-token'))).toBe(false);
    expect((await call(url, { method: 'POST', headers: bearer })).status).toBe(200);
    const basic = { authorization: `Basic ${Buffer.from(`anyone:${TOKEN}`).toString('base64')}` };
    expect((await call(url, { method: 'POST', headers: basic })).status).toBe(200);
    expect(handlerCalls).toBe(2);
  });

  it('lets a tick without a body through without the token, and nothing more', async () => {
    const { url } = await start(counted, { access: 'platform-or-tick', callToken: TOKEN });
    expect((await call(url, { method: 'POST' })).status).toBe(200);
    expect((await call(url, { method: 'POST', body: '{"force":true}' })).status).toBe(401);
    expect((await call(url, { method: 'POST', body: '{"force":true}', headers: bearer })).status).toBe(200);
  });

  it('refuses every call of a function that needs a token when none is configured, and says so in the log', async () => {
    const { url, logs } = await start(counted, { access: 'platform', callToken: null });
    const answer = await call(url, { method: 'POST', headers: bearer });
    expect(answer.status).toBe(500);
    expect(answer.body).toMatchObject({ error: 'configuration_error' });
    expect(logs.some((line) => line.msg === 'no call token: every call is refused (create the OpenFaaS secret and list it in stack.yml)')).toBe(true);
  });

  it('answers a public function without any token, and its health check always', async () => {
    const { url } = await start(counted, { access: 'public', callToken: null });
    expect((await call(url, { method: 'POST' })).status).toBe(200);
    const guarded = await start(counted, { access: 'platform', callToken: TOKEN });
    expect((await call(`${guarded.url}/_/health`)).status).toBe(200);
  });
});

describe('serve: production settings', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('refuses to start in production when a connection it was given is still the development URL, and logs why', async () => {
    vi.stubEnv('PLATFORM_ENV', 'production');
    vi.stubEnv('DATABASE_URL', 'postgres://dataplatform:dataplatform@10.62.0.1:55432/dataplatform');
    vi.stubEnv('DATABASE_URL_FILE', '');
    vi.stubEnv('SECRETS_DIR', '/nonexistent-secrets');
    const logs: Array<Record<string, unknown>> = [];
    const logger = createLogger({ function: 'test' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    await expect(serve(() => ({}), { port: 0, ownsProcess: false, logger })).rejects.toThrow(
      'DATABASE_URL must come from the OpenFaaS secret dataplatform-database-url',
    );
    expect(logs.map((line) => line.msg)).toEqual(['refusing to start: a production setting is missing']);
  });
});
