import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../../dev/openfaas/local-stack.ts';
import { startPythonFunction, type PythonFunction } from './python-function.ts';

// templates/dataplatform-python3 keeps dataplatform-node20's contract: JSON answers with the error's status, 5xx
// answers that say only the code and the call id, the call token, the open health route, JSON log lines without
// secrets. Served with the system's python3: the template uses the standard library only.

let fn: PythonFunction;

beforeAll(async () => {
  fn = await startPythonFunction({ handlerPath: path.join(ROOT, 'tests/fixtures/functions/python-echo/handler.py'), env: { FUNCTION_NAME: 'python-echo', MAX_BODY_BYTES: '1000' } });
});

afterAll(async () => {
  await fn?.stop();
});

describe('the Python template', () => {
  it('answers the handler result as JSON, the body parsed whatever its content type, an empty body as {}', async () => {
    const answer = await fn.call('{"system_id":"TST01"}', { 'content-type': 'text/plain', 'x-call-id': 'call-42' });
    expect(answer).toEqual({
      status: 200,
      body: { function: 'python-echo', call_id: 'call-42', body: { system_id: 'TST01' }, method: 'POST', query: {} },
    });
    expect((await fn.call('')).body).toMatchObject({ body: {} });
    expect((await fn.call({ status: 422 })).status).toBe(422);
  });

  it('reads a chunked body, as of-watchdog forwards a call, and refuses one over MAX_BODY_BYTES with 413', async () => {
    const post = (chunks: string[]) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const request = http.request(fn.url, { method: 'POST', headers: { 'transfer-encoding': 'chunked', authorization: 'Bearer test-call-token-0123456789abcdefghij' } }, (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        });
        request.on('error', reject);
        for (const chunk of chunks) request.write(chunk);
        request.end();
      });
    const answer = await post(['{"action_id":', '"train_glucose_forecast"}']);
    expect({ status: answer.status, body: JSON.parse(answer.body) as unknown }).toMatchObject({ status: 200, body: { body: { action_id: 'train_glucose_forecast' } } });
    expect((await post(['{"padding":"', 'x'.repeat(600), 'x'.repeat(600), '"}'])).status).toBe(413);
  });

  it('refuses a call without the call token (401, WWW-Authenticate) and answers /_/health without one', async () => {
    const refused = await fetch(fn.url, { method: 'POST', body: '{}' });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Basic realm="dataplatform"');
    // the body is left unread, so the connection closes, and the answer says so (a kept socket would fail the next call)
    expect(refused.headers.get('connection')).toBe('close');
    expect(await refused.json()).toEqual({ error: 'unauthorized', message: 'this function needs the platform call token' });
    const basic = `Basic ${Buffer.from('admin:test-call-token-0123456789abcdefghij').toString('base64')}`;
    expect((await fn.call({}, { authorization: basic })).status).toBe(200);
    expect((await fn.call({}, { authorization: 'Bearer someone-else-0123456789abcdef' })).status).toBe(401);
    expect((await fetch(`${fn.url}/_/health`)).status).toBe(200);
  });

  it('keeps an error status and code; a 5xx and a bug say only the code and the call id', async () => {
    expect(await fn.call({ fail: 'not_found' })).toEqual({ status: 404, body: { error: 'not_found', message: 'unknown system "ZZZ99"' } });
    expect(await fn.call({ fail: 'unavailable' }, { 'x-call-id': 'call-503' })).toEqual({
      status: 503,
      body: { error: 'upstream_unavailable', message: 'the function failed (upstream_unavailable); its log has the details under call id call-503' },
    });
    expect(await fn.call({ fail: 'bug' }, { 'x-call-id': 'call-500' })).toEqual({
      status: 500,
      body: { error: 'internal_error', message: 'the function failed (internal_error); its log has the details under call id call-500' },
    });
    expect(await fn.call('{"not json')).toMatchObject({ status: 400, body: { error: 'invalid_payload' } });
  });

  it('logs JSON lines with the function and call id, secrets censored', async () => {
    await fn.call({ fail: 'bug' }, { 'x-call-id': 'call-log' });
    const ofCall = fn.lines.filter((line) => line.call_id === 'call-log');
    expect(ofCall.map((line) => [line.level, line.msg])).toEqual([
      ['info', 'echo called'],
      ['error', 'call failed'],
    ]);
    expect(ofCall[0]).toMatchObject({ function: 'python-echo', api_secret: '[redacted]' });
    expect(typeof ofCall[0]?.time).toBe('string');
    expect(JSON.stringify(ofCall)).not.toContain('s3cret');
    expect(JSON.stringify(ofCall)).not.toContain('hunter2');
  });
});
