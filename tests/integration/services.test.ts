import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import vault from 'node-vault';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { loadEnv } from '../../shared/config.ts';

// One real round trip per local service (`npm run services -- up`), reached through the URLs the platform
// itself reads, so a wrong default in shared/config.ts or a service that is up but unusable fails here first.
const env = loadEnv();
const unique = randomUUID().replaceAll('-', '').slice(0, 12);

/** Test documents use string ids (the platform's records do too), not ObjectIds. */
type Item = { _id: string } & Record<string, unknown>;

describe('PostgreSQL', () => {
  it('writes and reads rows through DATABASE_URL', async () => {
    const client = new pg.Client({ connectionString: env.DATABASE_URL });
    await client.connect();
    try {
      // A temporary table lives in this session only: nothing to clean up, no clash with parallel files.
      await client.query(
        'create temporary table services_check (id integer primary key, label text not null, doc jsonb)',
      );
      await client.query('insert into services_check (id, label, doc) values ($1, $2, $3), ($4, $5, $6)', [
        1, 'première', { tags: ['a', 'ß'] },
        2, '数据 🚀', null,
      ]);
      const result = await client.query<{ id: number; label: string; doc: unknown }>(
        'select id, label, doc from services_check order by id',
      );
      expect(result.rows).toEqual([
        { id: 1, label: 'première', doc: { tags: ['a', 'ß'] } },
        { id: 2, label: '数据 🚀', doc: null },
      ]);
      const settings = await client.query<{ server_version_num: string; max_connections: string }>(
        `select current_setting('server_version_num') as server_version_num,
                current_setting('max_connections') as max_connections`,
      );
      expect(Number(settings.rows[0]?.server_version_num)).toBeGreaterThanOrEqual(150000);
      expect(Number(settings.rows[0]?.max_connections)).toBeGreaterThanOrEqual(100);
    } finally {
      await client.end();
    }
  });
});

describe('FerretDB (MongoDB wire protocol)', () => {
  it('inserts and finds a nested unicode document in its own database, then drops it', async () => {
    const client = new MongoClient(env.MONGODB_URL, { serverSelectionTimeoutMS: 5_000 });
    await client.connect();
    const dbName = `services_${unique}`;
    const db = client.db(dbName);
    const items = db.collection<Item>('items');
    try {
      const document: Item = {
        _id: 'doc-1',
        name: 'Zoë Ångström — 東京 🚀',
        when: new Date('2024-02-29T12:34:56.789Z'),
        count: 42,
        ratio: 0.25,
        active: true,
        missing: null,
        // FerretDB v1 refuses an array directly inside an array; arrays inside objects inside arrays are fine.
        tracks: [
          { title: 'Ça va', artists: ['Ünal', 'Åsa'], plays: [1, 2, 3] },
          { title: 'Ничего', artists: [], plays: [] },
        ],
        nested: { deeper: { tags: ['ä', 'ö'], map: { 'ключ': 'значение' } } },
      };
      await items.insertOne(document);
      await items.insertMany([{ _id: 'doc-2', count: 1 }, { _id: 'doc-3', count: 100 }]);

      const found = await items.findOne({ _id: 'doc-1' });
      expect(found).toEqual(document);
      const byNestedField = await items
        .find({ 'tracks.artists': 'Åsa' }, { projection: { _id: 1 } })
        .toArray();
      expect(byNestedField).toEqual([{ _id: 'doc-1' }]);
      const counted = await items.find({ count: { $gte: 42 } }).sort({ count: 1 }).toArray();
      expect(counted.map((row) => row._id)).toEqual(['doc-1', 'doc-3']);
    } finally {
      await db.dropDatabase();
      const names = (await client.db('admin').admin().listDatabases()).databases.map((entry) => entry.name);
      expect(names).not.toContain(dbName);
      await client.close();
    }
  });
});

describe('OpenBao (Vault API)', () => {
  it('writes and reads a KV v2 secret under secret/data/, then deletes it', async () => {
    const client = vault({ apiVersion: 'v1', endpoint: env.VAULT_ADDR, token: env.VAULT_TOKEN });
    const path = `dataplatform-tests/services-${unique}`;
    const secret = { clientId: 'id-123', clientSecret: 'sécret-✓', scopes: ['read', 'write'] };
    try {
      const written = (await client.write(`secret/data/${path}`, { data: secret })) as { data: { version: number } };
      expect(written.data.version).toBe(1);
      type KvRead = { data: { data: unknown; metadata: { version: number } } };
      const read = (await client.read(`secret/data/${path}`)) as KvRead;
      expect(read.data.data).toEqual(secret);
      expect(read.data.metadata.version).toBe(1);
    } finally {
      await client.delete(`secret/metadata/${path}`);
    }
    await expect(client.read(`secret/data/${path}`)).rejects.toMatchObject({ response: { statusCode: 404 } });
  });
});
