import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { createHttpClient, type HttpClientOptions } from '../../../../shared/adapters/http/http-client.ts';
import { ConfigurationError, UpstreamError, UpstreamUnavailableError } from '../../../../shared/errors.ts';
import { answerJson, captureLog, fakeClock, startTestServer, type TestServer } from './http-test-kit.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function client(url: string, extra: Partial<HttpClientOptions> = {}) {
  const clock = fakeClock();
  const capture = captureLog();
  const http = createHttpClient({ source: 'fake', baseUrl: `${url}/api/v1`, log: capture.log, clock, random: () => 0.5, timeoutMs: 2_000, ...extra });
  return { http, clock, ...capture };
}

describe('createHttpClient', () => {
  it('joins the base path, the request path and the query', async () => {
    server = await startTestServer((_request, response) => answerJson(response, 200, { ok: true }));
    const { http } = client(server.url);
    const answer = await http.request({ path: '/entries.json?x=1', query: { count: 10, type: ['sgv', 'mbg'], skip: undefined } });
    expect(answer.data).toEqual({ ok: true });
    expect(server.requests[0]?.url).toBe('/api/v1/entries.json?x=1&count=10&type=sgv&type=mbg');
  });

  it('waits as long as a 429 Retry-After in seconds asks, then succeeds', async () => {
    server = await startTestServer((_request, response, index) =>
      index === 0 ? answerJson(response, 429, { Error: [{ error_description: 'Too many requests.' }] }, { 'retry-after': '3' }) : answerJson(response, 200, [1]),
    );
    const { http, clock } = client(server.url);
    expect((await http.request({ path: 'payment' })).data).toEqual([1]);
    expect(clock.waits).toEqual([3_000]);
    expect(server.requests).toHaveLength(2);
  });

  it('reads a Retry-After given as an HTTP date against its clock', async () => {
    const clock = fakeClock();
    const retryAt = new Date(clock.current() + 5_000).toUTCString();
    server = await startTestServer((_request, response, index) =>
      index === 0 ? answerJson(response, 503, {}, { 'retry-after': retryAt }) : answerJson(response, 200, {}),
    );
    const { http } = client(server.url, { clock });
    await http.request({ path: 'x' });
    expect(clock.waits).toEqual([5_000]);
  });

  it('fails at once when Retry-After asks for longer than it may wait', async () => {
    server = await startTestServer((_request, response) => answerJson(response, 429, {}, { 'retry-after': '600' }));
    const { http, clock } = client(server.url);
    const error = await http.request({ path: 'x' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect((error as Error).message).toBe('fake GET /api/v1/x answered 429 (rate limited); the source asks to wait 600 s, longer than 60 s');
    expect(clock.waits).toEqual([]);
  });

  it('retries a 500 with backoff and returns the 200 that follows', async () => {
    server = await startTestServer((_request, response, index) => (index === 0 ? answerJson(response, 500, {}) : answerJson(response, 200, { page: 1 })));
    const { http, clock, lines } = client(server.url);
    expect((await http.request({ path: 'x' })).data).toEqual({ page: 1 });
    // full jitter with random() = 0.5: half of the 500 ms ceiling
    expect(clock.waits).toEqual([250]);
    expect(lines.map((line) => [line.msg, line.status, line.attempt])).toEqual([
      ['http request failed', 500, 1],
      ['http request', 200, 2],
    ]);
  });

  it('retries a body cut short, then gets the whole one', async () => {
    server = await startTestServer((_request, response, index) => {
      if (index > 0) return answerJson(response, 200, { whole: true });
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      response.write('{"whole": tr');
      setTimeout(() => response.socket?.destroy(), 20);
    });
    const { http, lines } = client(server.url);
    expect((await http.request({ path: 'x' })).data).toEqual({ whole: true });
    expect(lines[0]).toMatchObject({ msg: 'http request failed', error: 'cut_short', retry_in_ms: 250 });
  });

  it('retries a 200 whose body is not JSON, and names it when it keeps happening', async () => {
    server = await startTestServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"entries": [1, 2');
    });
    const { http } = client(server.url, { retry: { maxAttempts: 2 } });
    await expect(http.request({ path: 'x' })).rejects.toThrow(
      'fake GET /api/v1/x answered 200 with a body that is not JSON (cut short?); gave up after 2 attempts',
    );
    expect(server.requests).toHaveLength(2);
  });

  it('gives up on a connection that is refused, with a retryable error', async () => {
    const closed = await startTestServer(() => undefined);
    const url = closed.url;
    await closed.close();
    const { http, clock } = client(url, { retry: { maxAttempts: 3 } });
    const error = await http.request({ path: 'x', method: 'POST', json: { a: 1 } }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect((error as UpstreamUnavailableError).retryable).toBe(true);
    expect((error as Error).message).toBe('fake POST /api/v1/x gave no whole answer (ECONNREFUSED); gave up after 3 attempts');
    // a refused connection carried nothing, so even a POST is tried again
    expect(clock.waits).toEqual([250, 500]);
  });

  it('retries a connection reset by the server', async () => {
    server = await startTestServer((request, response, index) => (index === 0 ? response.socket?.destroy() : answerJson(response, 200, { ok: 1 })));
    const { http, lines } = client(server.url);
    expect((await http.request({ path: 'x' })).data).toEqual({ ok: 1 });
    expect(lines[0]).toMatchObject({ msg: 'http request failed', error: 'ECONNRESET' });
  });

  it('treats an attempt past its deadline as lost and tries again', async () => {
    server = await startTestServer((_request, response, index) => (index === 0 ? undefined : answerJson(response, 200, { late: false })));
    const { http, lines } = client(server.url, { timeoutMs: 200 });
    expect((await http.request({ path: 'x' })).data).toEqual({ late: false });
    expect(lines[0]).toMatchObject({ error: 'timeout' });
  });

  it('counts the body in the deadline: an answer that stalls half way is lost', async () => {
    server = await startTestServer((_request, response, index) => {
      if (index > 0) return answerJson(response, 200, { whole: true });
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      response.write('{"whole": tr');
    });
    const { http, lines } = client(server.url, { timeoutMs: 200 });
    expect((await http.request({ path: 'x' })).data).toEqual({ whole: true });
    expect(lines[0]).toMatchObject({ msg: 'http request failed', error: 'timeout' });
  });

  it('refuses an answer larger than its limit, without retrying', async () => {
    server = await startTestServer((_request, response) => answerJson(response, 200, { items: 'x'.repeat(2_000) }));
    const { http } = client(server.url, { maxBodyBytes: 1_000 });
    const error = await http.request({ path: 'x' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as Error).message).toBe('fake GET /api/v1/x: the answer is larger than 1000 bytes');
    expect(server.requests).toHaveLength(1);
  });

  it('decompresses a gzip answer', async () => {
    server = await startTestServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      response.end(gzipSync('{"packed":true}'));
    });
    const { http } = client(server.url);
    const answer = await http.request({ path: 'x' });
    expect(answer.data).toEqual({ packed: true });
    expect(answer.body.toString('utf8')).toBe('{"packed":true}');
  });

  it('sends a body byte for byte, with the content type the caller set or none', async () => {
    server = await startTestServer((_request, response) => answerJson(response, 200, {}));
    const { http } = client(server.url);
    await http.request({ path: 'x', method: 'POST', body: '{"é": 1}', headers: { 'content-type': 'application/json' } });
    await http.request({ path: 'x', method: 'PUT', body: 'plain' });
    await http.request({ path: 'x', method: 'POST', json: { a: 1 } });
    expect(server.requests.map((request) => [request.body, request.headers['content-type']])).toEqual([
      ['{"é": 1}', 'application/json'],
      ['plain', undefined],
      ['{"a":1}', 'application/json'],
    ]);
  });

  it('sends its own accept and user-agent, which the client and the request may replace whatever their case', async () => {
    server = await startTestServer((_request, response) => answerJson(response, 200, {}));
    const { http } = client(server.url, { headers: { 'X-Api-Key': 'client' } });
    await http.request({ path: 'x' });
    await http.request({ path: 'x', headers: { Accept: 'text/csv', 'x-api-key': 'request' } });
    expect(server.requests.map(({ headers }) => [headers.accept, headers['user-agent'], headers['x-api-key']])).toEqual([
      ['application/json, text/plain, */*', 'dataplatform', 'client'],
      ['text/csv', 'dataplatform', 'request'],
    ]);
  });

  it('names a header HTTP cannot carry, never its value', async () => {
    server = await startTestServer((_request, response) => answerJson(response, 200, {}));
    const { http, text } = client(server.url, { headers: { authorization: 'Bearer secret-value\nX-Injected: 1' } });
    const error = await http.request({ path: 'x' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toBe('fake GET /api/v1/x: header "authorization" has a name or value that HTTP cannot carry');
    expect(text()).not.toContain('secret-value');
    expect(server.requests).toHaveLength(0);
  });

  it('does not send a POST again after a 500: it may have taken effect', async () => {
    server = await startTestServer((_request, response) => answerJson(response, 500, {}));
    const { http } = client(server.url);
    await expect(http.request({ path: 'x', method: 'POST', json: {} })).rejects.toThrow('not retried: the request is not idempotent');
    expect(server.requests).toHaveLength(1);
  });

  it('sends a POST again after a 429: the source did nothing', async () => {
    server = await startTestServer((_request, response, index) => (index === 0 ? answerJson(response, 429, {}) : answerJson(response, 200, {})));
    const { http } = client(server.url);
    await http.request({ path: 'session-server', method: 'POST', body: '{"secret":"x"}', headers: { 'content-type': 'application/json' } });
    expect(server.requests.map((request) => request.body)).toEqual(['{"secret":"x"}', '{"secret":"x"}']);
  });

  it('does not retry a 404 and says who answered it', async () => {
    server = await startTestServer((_request, response) => answerJson(response, 404, { Error: [] }));
    const { http } = client(server.url);
    const error = await http.request({ path: 'user/1' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ upstreamStatus: 404, status: 502, message: 'fake GET /api/v1/user/1 answered 404' });
    expect(server.requests).toHaveLength(1);
  });

  it('does not follow a redirect, so its headers never go elsewhere', async () => {
    server = await startTestServer((_request, response) => {
      response.writeHead(302, { location: 'http://198.51.100.1/steal' });
      response.end();
    });
    const { http } = client(server.url, { headers: { 'api-secret': 'abc' } });
    await expect(http.request({ path: 'x' })).rejects.toThrow('answered 302 (a redirect: set the base URL to the address it points to)');
    expect(server.requests).toHaveLength(1);
  });

  it('refuses an absolute URL on another origin', async () => {
    server = await startTestServer((_request, response) => answerJson(response, 200, {}));
    const { http } = client(server.url);
    await expect(http.request({ path: 'http://198.51.100.1/api/v1/x' })).rejects.toThrow('refusing to send a request to another origin');
    expect(server.requests).toHaveLength(0);
  });

  it('logs method, path, status and duration, but no header and no secret query value', async () => {
    server = await startTestServer((_request, response) => answerJson(response, 200, {}));
    const { http, lines, text } = client(server.url, {
      headers: { 'api-secret': 'header-secret-value' },
      secretQueryParams: ['token'],
    });
    await http.request({ path: 'entries.json', query: { token: 'query-secret-value', count: 5 }, headers: { authorization: 'Bearer xyz' } });
    expect(server.requests[0]?.headers['api-secret']).toBe('header-secret-value');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: 'http request', source: 'fake', method: 'GET', path: '/api/v1/entries.json?token=[redacted]&count=5', status: 200, attempt: 1 });
    expect(typeof lines[0]?.ms).toBe('number');
    expect(text()).not.toMatch(/secret-value|Bearer|xyz/);
  });

  it('never logs or quotes a secret held in the path (a token exchanged in the URL)', async () => {
    server = await startTestServer((_request, response) => answerJson(response, 401, {}));
    const { http, lines, text } = client(server.url, { secretPathValues: ['reader-0123456789abcdef'] });
    const error = await http.request({ path: 'authorization/request/reader-0123456789abcdef' }).catch((caught: unknown) => caught);
    expect((error as Error).message).toBe('fake GET /api/v1/authorization/request/[redacted] answered 401');
    expect(lines[0]).toMatchObject({ path: '/api/v1/authorization/request/[redacted]', status: 401 });
    expect(text()).not.toContain('0123456789abcdef');
  });

  it('parses an answer with a schema and names the paths that do not fit', async () => {
    server = await startTestServer((_request, response) => answerJson(response, 200, { Response: [{ id: 'one' }] }));
    const { http } = client(server.url);
    const schema = z.looseObject({ Response: z.array(z.looseObject({ id: z.number() })) });
    await expect(http.requestJson({ path: 'x' }, schema)).rejects.toThrow(
      'fake GET /api/v1/x: the answer does not match what the connector expects: Response.0.id: Invalid input: expected number, received string',
    );
  });

  it('keeps the exact bytes of the answer', async () => {
    server = await startTestServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"image":"image\\/png"}');
    });
    const { http } = client(server.url);
    const answer = await http.request({ path: 'x' });
    expect(answer.body.toString('utf8')).toBe('{"image":"image\\/png"}');
    expect(answer.data).toEqual({ image: 'image/png' });
  });

  it('stops when the caller aborts, also while waiting to retry', async () => {
    server = await startTestServer((_request, response) => answerJson(response, 503, {}));
    const controller = new AbortController();
    const http = createHttpClient({
      source: 'fake',
      baseUrl: server.url,
      log: captureLog().log,
      clock: { now: Date.now, sleep: () => new Promise(() => controller.abort(new Error('function is shutting down'))) },
    });
    await expect(http.request({ path: 'x', signal: controller.signal })).rejects.toThrow('function is shutting down');
  });
});

describe('paginate', () => {
  it('yields page after page until the next-page rule says stop', async () => {
    server = await startTestServer((request, response) => {
      const page = Number(new URL(request.url, 'http://x').searchParams.get('page') ?? '1');
      answerJson(response, 200, { items: [page * 10, page * 10 + 1], next: page < 3 ? `/api/v1/items?page=${page + 1}` : null });
    });
    const { http } = client(server.url);
    const items: unknown[] = [];
    for await (const page of http.paginate({ path: 'items' }, (answer) => {
      const next = (answer.data as { next: string | null }).next;
      return next === null ? undefined : { path: `${server?.url ?? ''}${next}` };
    })) {
      items.push(...(page.data as { items: number[] }).items);
    }
    expect(items).toEqual([10, 11, 20, 21, 30, 31]);
  });

  it('fetches a page only when the caller asks for it', async () => {
    server = await startTestServer((_request, response, index) => answerJson(response, 200, { index }));
    const { http } = client(server.url);
    const pages = http.paginate({ path: 'items', query: { page: 0 } }, (_answer, request) => ({ ...request, query: { page: Number(request.query?.page) + 1 } }));
    await pages.next();
    await pages.next();
    await pages.return();
    expect(server.requests).toHaveLength(2);
  });

  it('stops when a source sends it back to a page it has read', async () => {
    server = await startTestServer((_request, response) => answerJson(response, 200, {}));
    const { http } = client(server.url);
    const pages = http.paginate({ path: 'items' }, (_answer, request) => request);
    await expect(async () => {
      for await (const _page of pages) {
        // read on
      }
    }).rejects.toThrow('fake: pagination returned to /api/v1/items; stopping');
  });
});
