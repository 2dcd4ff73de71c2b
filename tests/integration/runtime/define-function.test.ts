import { describe, expect, it } from 'vitest';
import type * as z from 'zod';
import { readMigrationFiles } from '../../../shared/adapters/postgres/migrate.ts';
import { DataRejectedError, NotFoundError } from '../../../shared/errors.ts';
import { defineFunction, type FunctionDefinition } from '../../../shared/runtime/define-function.ts';
import { createFunctionDeps, type FunctionDeps } from '../../../shared/runtime/function-deps.ts';
import { BronzeRequest, SchedulerRequest } from '../../../shared/runtime/payloads.ts';
import { useTestDatabase } from '../postgres/test-database.ts';
import { TEST_CALL_AUTH, TEST_CALL_TOKEN } from '../../fixtures/call-token.ts';
import { useServedHandlers, type ServedHandler } from '../../fixtures/served-handler.ts';

const BATCH_ID = '0190f1f6-3c4e-7a7b-8c9d-0123456789ab';

const serveHandler = useServedHandlers();

/** Serves a function built with `defineFunction` through the template's server, in process, on a free port. */
function start<Schema extends z.ZodType>(definition: FunctionDefinition<Schema>, deps: FunctionDeps, name?: string): Promise<ServedHandler> {
  return serveHandler(defineFunction(definition, { deps }), { bindings: name === undefined ? {} : { function: name }, callToken: TEST_CALL_TOKEN });
}

async function post(url: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, { method: 'POST', headers: { ...TEST_CALL_AUTH, ...headers }, ...(body === undefined ? {} : { body }) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const json = { 'content-type': 'application/json' };

/** A bronze-like function that reports what it was asked, or fails as the payload's entity says. */
const bronzeLike: FunctionDefinition<typeof BronzeRequest> = {
  name: 'bronze',
  layer: 'bronze',
  request: BronzeRequest,
  run(request, call) {
    call.log.info('working');
    if (request.entity_id === 'rejected') {
      return { status: 'failed', error: new DataRejectedError('entity rejected: 3 rows fail not_null(name)'), run_id: 'run-1' };
    }
    if (request.entity_id === 'missing') throw new NotFoundError('unknown entity "missing"');
    if (request.force === false && request.entity_id === 'done') return { status: 'skipped', reason: 'already_succeeded' };
    return { status: 'succeeded', entity_id: request.entity_id, force: request.force, call_id: call.callId ?? null };
  },
};

describe('defineFunction through the template server', () => {
  const deps = createFunctionDeps({ name: 'test' });

  it('answers 400 with every issue path when the payload does not match its schema', async () => {
    const { url } = await start(bronzeLike, deps);
    const answer = await post(url, JSON.stringify({ batch_id: 'nope', system_id: 'nsc01', extra: 1 }), json);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_payload');
    expect(answer.body.issues).toEqual([
      'batch_id: Invalid UUID',
      'system_id: expected a system id like NSC01 (three capital letters, two digits), got "nsc01"',
      'entity_id: Invalid input: expected string, received undefined',
      '(root): Unrecognized key: "extra"',
    ]);
  });

  it('names the missing fields of an empty body', async () => {
    const { url } = await start(bronzeLike, deps);
    const answer = await post(url);
    expect(answer.status).toBe(400);
    expect(answer.body.issues).toEqual([
      'batch_id: Invalid input: expected string, received undefined',
      'system_id: Invalid input: expected string, received undefined',
      'entity_id: Invalid input: expected string, received undefined',
    ]);
  });

  it('accepts a cron call: no body and no content type', async () => {
    const tick: FunctionDefinition<typeof SchedulerRequest> = { name: 'scheduler', request: SchedulerRequest, run: () => ({ status: 'succeeded', ticked: true }) };
    const { url } = await start(tick, deps);
    const response = await fetch(url, { method: 'POST', headers: { 'x-topic': 'cron-function', 'x-connector': 'cron-connector', ...TEST_CALL_AUTH } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'succeeded', ticked: true });
  });

  it('reads a JSON payload sent as text/plain (faas-cli invoke’s default)', async () => {
    const { url } = await start(bronzeLike, deps);
    const body = JSON.stringify({ batch_id: BATCH_ID, system_id: 'TST01', entity_id: 'test_customer', force: true });
    const answer = await post(url, body, { 'content-type': 'text/plain' });
    expect(answer).toEqual({ status: 200, body: { status: 'succeeded', entity_id: 'test_customer', force: true, call_id: null } });
  });

  it('refuses a text body that is not JSON with 400', async () => {
    const { url } = await start(bronzeLike, deps);
    const answer = await post(url, 'batch please', { 'content-type': 'text/plain' });
    expect(answer.status).toBe(400);
    expect(answer.body.message).toMatch(/^request body is not JSON \(send it with Content-Type: application\/json\)/);
  });

  it('answers succeeded and skipped with 200', async () => {
    const { url } = await start(bronzeLike, deps);
    const base = { batch_id: BATCH_ID, system_id: 'TST01' };
    expect(await post(url, JSON.stringify({ ...base, entity_id: 'done' }), json)).toEqual({
      status: 200,
      body: { status: 'skipped', reason: 'already_succeeded' },
    });
    const succeeded = await post(url, JSON.stringify({ ...base, entity_id: 'fresh' }), { ...json, 'x-call-id': 'call-7' });
    expect(succeeded).toEqual({ status: 200, body: { status: 'succeeded', entity_id: 'fresh', force: false, call_id: 'call-7' } });
  });

  it('answers a failed outcome with its error’s status, code and message, and the facts', async () => {
    const { url } = await start(bronzeLike, deps);
    const answer = await post(url, JSON.stringify({ batch_id: BATCH_ID, system_id: 'TST01', entity_id: 'rejected' }), json);
    expect(answer).toEqual({
      status: 422,
      body: { status: 'failed', error: 'data_rejected', message: 'entity rejected: 3 rows fail not_null(name)', run_id: 'run-1' },
    });
  });

  it('leaves a thrown error to the template, which answers its status', async () => {
    const { url } = await start(bronzeLike, deps);
    const answer = await post(url, JSON.stringify({ batch_id: BATCH_ID, system_id: 'TST01', entity_id: 'missing' }), json);
    expect(answer).toEqual({ status: 404, body: { error: 'not_found', message: 'unknown entity "missing"' } });
  });

  it('binds the function, call id, layer and the payload’s references to every log line of the call', async () => {
    const { url, logs } = await start(bronzeLike, deps);
    await post(url, JSON.stringify({ batch_id: BATCH_ID, system_id: 'TST01', entity_id: 'fresh' }), { ...json, 'x-call-id': 'call-9' });
    const working = logs.find((line) => line.msg === 'working');
    expect(working).toMatchObject({ function: 'bronze', call_id: 'call-9', layer: 'bronze', batch_id: BATCH_ID, system_id: 'TST01', entity_id: 'fresh' });
    expect(logs.find((line) => line.msg === 'function work finished')).toMatchObject({ call_id: 'call-9', status: 'succeeded' });
  });

  it('does not bind the function name twice when the server already did', async () => {
    const { url, logs } = await start(bronzeLike, deps, 'bronze');
    await post(url, JSON.stringify({ batch_id: BATCH_ID, system_id: 'TST01', entity_id: 'fresh' }), json);
    const working = logs.find((line) => line.msg === 'working');
    expect(working?.function).toBe('bronze');
    expect(Object.keys(working ?? {}).filter((key) => key === 'function')).toHaveLength(1);
  });
});

describe('function deps', () => {
  const db = useTestDatabase({ migrate: false });

  it('migrates the database on first use, once, and hands every call the same pool', async () => {
    const deps = createFunctionDeps({ name: 'test', pool: db.pool, now: () => new Date('2025-01-01T00:00:00Z') });
    const seen = new Set<unknown>();
    const counter: FunctionDefinition<typeof SchedulerRequest> = {
      name: 'counter',
      request: SchedulerRequest,
      async run(_request, call) {
        seen.add(await call.deps.pool());
        return { status: 'succeeded', now: call.deps.now().toISOString() };
      },
    };
    const { url } = await start(counter, deps);
    const answers = await Promise.all([post(url), post(url), post(url)]);
    expect(answers.map((answer) => answer.body)).toEqual(Array(3).fill({ status: 'succeeded', now: '2025-01-01T00:00:00.000Z' }));
    expect([...seen]).toEqual([db.pool]);
    const applied = await db.pool.query<{ version: string }>('select version from public.schema_migration order by version');
    const files = await readMigrationFiles();
    expect(applied.rows.map((row) => row.version)).toEqual(files.map((file) => file.version));
    expect(applied.rows.map((row) => row.version)).toContain('0002');
  });
});
