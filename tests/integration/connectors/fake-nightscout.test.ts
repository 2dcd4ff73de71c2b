/**
 * The fake Nightscout's API v3, as the connector relies on it and as cgm-remote-monitor answers: the token
 * exchanged for a JWT, the change feed with its cursor, order, limit, headers and tombstones, and the documents
 * written through API v1 that the feed never shows (nightscout/cgm-remote-monitor#8244).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeNightscout, type FakeNightscout } from '../../../dev/fakes/nightscout/fake-nightscout.ts';
import { sgvEntry, treatments } from '../../fixtures/nightscout/dataset.ts';

const TOKEN = 'reader-0123456789abcdef';
const T0 = Date.parse('2026-03-18T18:00:00.000Z');
let clock = T0;
let fake: FakeNightscout;

async function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: { status: number; message?: string; result?: Record<string, unknown>[] } & Record<string, unknown>; headers: Headers }> {
  const response = await fetch(`${fake.url}${path}`, { headers });
  return { status: response.status, body: (await response.json()) as never, headers: response.headers };
}

async function jwt(): Promise<string> {
  const answer = await get(`/api/v2/authorization/request/${TOKEN}`);
  expect(answer.status).toBe(200);
  return answer.body.token as string;
}

beforeAll(async () => {
  fake = await startFakeNightscout({ tokens: [TOKEN], authDefaultRoles: 'denied', now: () => clock, jwtLifetimeSeconds: 3600 });
});
afterAll(() => fake.close());

describe('the fake Nightscout speaks API v3', () => {
  it('exchanges an access token for a JWT that expires, and refuses a wrong token with 401', async () => {
    const answer = await get(`/api/v2/authorization/request/${TOKEN}`);
    expect(answer.body).toMatchObject({ sub: 'reader', iat: Math.floor(T0 / 1000), exp: Math.floor(T0 / 1000) + 3600 });
    expect(String(answer.body.token).split('.')).toHaveLength(3);
    expect((await get('/api/v2/authorization/request/reader-fedcba9876543210')).status).toBe(401);
  });

  it('answers the feed only with a valid JWT: 401 without one, with a forged one, and once it expired', async () => {
    const token = await jwt();
    expect(await get('/api/v3/entries/history/0')).toMatchObject({ status: 401, body: { message: 'Missing or bad access token or JWT' } });
    const [header, payload] = token.split('.');
    const forged = `${header}.${payload}.${'A'.repeat(43)}`;
    expect(await get('/api/v3/entries/history/0', { authorization: `Bearer ${forged}` })).toMatchObject({ status: 401, body: { message: 'Bad access token or JWT' } });
    expect((await get('/api/v3/entries/history/0', { authorization: `Bearer ${token}` })).status).toBe(200);
    clock += 3600_000;
    try {
      expect((await get('/api/v3/entries/history/0', { authorization: `Bearer ${token}` })).status).toBe(401);
    } finally {
      clock = T0;
    }
  });

  it('lists changes after the cursor, oldest first, edits and deletions included, with Last-Modified and ETag', async () => {
    const auth = { authorization: `Bearer ${await jwt()}` };
    const [bolus, carbs] = treatments();
    clock = T0 + 1000;
    fake.insert('treatments', [{ ...bolus!, _id: 'aaaaaaaaaaaaaaaaaaaaaaa1' }], { via: 'v3' });
    clock = T0 + 2000;
    fake.insert('treatments', [{ ...carbs!, _id: 'aaaaaaaaaaaaaaaaaaaaaaa2' }], { via: 'v3' });
    clock = T0 + 3000;
    fake.update('treatments', 'aaaaaaaaaaaaaaaaaaaaaaa1', { insulin: 2.5 }, { via: 'v3' });
    clock = T0 + 4000;
    fake.remove('treatments', 'aaaaaaaaaaaaaaaaaaaaaaa2', { via: 'v3' });
    clock = T0;

    const all = await get(`/api/v3/treatments/history/${T0}`, auth);
    expect(all.body.result?.map((doc) => [doc.srvModified, doc.insulin ?? null, doc.isValid ?? null])).toEqual([
      [T0 + 3000, 2.5, null],
      [T0 + 4000, 1.2, false], // a tombstone keeps the document as it was
    ]);
    expect(all.body.result?.every((doc) => typeof doc.identifier === 'string' && !('_id' in doc))).toBe(true);
    expect(all.headers.get('etag')).toBe(`W/"${T0 + 4000}"`);
    expect(all.headers.get('last-modified')).toBe(new Date(T0 + 4000).toUTCString());

    const after = await get(`/api/v3/treatments/history/${T0 + 3000}?limit=1`, auth);
    expect(after.body.result?.map((doc) => doc.srvModified)).toEqual([T0 + 4000]);
    const empty = await get(`/api/v3/treatments/history/${T0 + 4000}`, auth);
    expect(empty.body).toEqual({ status: 200, result: [] });
    expect(empty.headers.get('etag')).toBeNull();
    // the header form: >= the Last-Modified date, floored to seconds
    const byHeader = await get('/api/v3/treatments/history', { ...auth, 'last-modified': new Date(T0 + 3500).toUTCString() });
    expect(byHeader.body.result?.map((doc) => doc.srvModified)).toEqual([T0 + 3000, T0 + 4000]);
  });

  it('never shows documents written through API v1, which carry no srvModified, while v1 lists them', async () => {
    const auth = { authorization: `Bearer ${await jwt()}` };
    const v1 = sgvEntry(T0 - 86_400_000, 120, 77);
    fake.insert('entries', [v1]);
    expect((await get('/api/v3/entries/history/0', auth)).body.result?.some((doc) => doc.identifier === v1._id)).toBe(false);
    const listed = await get(`/api/v1/entries.json?token=${TOKEN}&find[date][$gte]=${v1.date}&find[date][$lte]=${v1.date}`);
    expect(listed.body).toEqual([v1]);
  });

  it('refuses a limit above 1000 and an unreadable cursor with 400, and answers 404 on a site without API v3', async () => {
    const auth = { authorization: `Bearer ${await jwt()}` };
    expect(await get('/api/v3/entries/history/0?limit=1001', auth)).toMatchObject({ status: 400, body: { message: 'Parameter limit out of tolerance' } });
    expect(await get('/api/v3/entries/history/yesterday', auth)).toMatchObject({ status: 400, body: { message: 'Bad or missing Last-Modified header/parameter' } });
    expect((await get('/api/v3/version')).body).toMatchObject({ status: 200, result: { apiVersion: expect.any(String) } });
    const old = await startFakeNightscout({ v3: false });
    try {
      expect((await fetch(`${old.url}/api/v3/version`)).status).toBe(404);
    } finally {
      await old.close();
    }
  });
});
