import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTestMongo, snapshotDatabase, uniqueDatabaseName } from './metadata-test-env.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..', '..');
const database = uniqueDatabaseName('cli');
let client: MongoClient;
let brokenDir: string;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as a user does, in the project directory, and never throws on a non-zero exit. */
async function cli(command: 'npx' | 'node', args: string[]): Promise<CliResult> {
  const argv = command === 'npx' ? ['--no-install', 'dataplatform', ...args] : ['bin/dataplatform.mjs', ...args];
  try {
    const { stdout, stderr } = await run(command, argv, { cwd: root, env: { ...process.env, METADATA_DB: database } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

beforeAll(async () => {
  client = await connectTestMongo();
  brokenDir = await mkdtemp(join(tmpdir(), 'metadata-broken-'));
  await cp(join(root, 'metadata', 'entities.json'), join(brokenDir, 'entities.json'));
  await writeFile(
    join(brokenDir, 'systems.json'),
    JSON.stringify([
      { id: 'NSC01', name: 'Nightscout', type: 'nightscout', schedule: '61 * * * *', connection: { base_url: 'https://ns.example' } },
      { id: 'bnq1', name: 'bunq', type: 'bunq', connection: { api_key: 'inline' } },
      { id: 'TST01', name: 'Test', type: 'jsonfile', timezone: 'Nowhere/City', connection: { path: 'x' } },
    ]),
  );
  await writeFile(join(brokenDir, 'actions.json'), '[{"id": "log_all", "type": "log",}]');
});

afterAll(async () => {
  await rm(brokenDir, { recursive: true, force: true });
  await client.db(database).dropDatabase();
  await client.close();
});

// Each call starts node + tsx (several seconds on a busy machine).
describe('npx dataplatform metadata validate', { timeout: 90_000 }, () => {
  it("exits 0 on the project's metadata", async () => {
    const result = await cli('npx', ['metadata', 'validate', '--dir', 'metadata']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/metadata: valid \(3 systems, 17 entities, 3 actions, 17 models\)\nhash [0-9a-f]{64}\n$/);
  });

  it('prints every problem with its file, record and path, and exits non-zero', async () => {
    const result = await cli('npx', ['metadata', 'validate', '--dir', brokenDir]);
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'systems.json › NSC01 › schedule: invalid cron expression "61 * * * *": Constraint error, got value 61 expected range 0-59',
        'systems.json › bnq1 › id: expected a system id like NSC01 (three capital letters, two digits), got "bnq1"',
        'systems.json › TST01 › timezone: expected an IANA time zone like "Europe/Amsterdam", got "Nowhere/City"',
        'actions.json: invalid JSON at line 1, column 34: Expected double-quoted property name',
      ]),
    );
    // entities of the invalid BNQ01 record are not reported again; BNQ01 itself is unknown now.
    expect(lines).toContain('entities.json › bunq_payment › system_id: unknown system "BNQ01"');
    expect(lines.at(-1)).toBe(`${brokenDir}: ${lines.length - 1} problems; nothing deployed`);
  });

  it('explains wrong usage with exit code 2', async () => {
    const result = await cli('node', ['metadata', 'publish']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^unknown metadata command "publish"\n\nusage: dataplatform <command>/);
  });
});

describe('dataplatform metadata deploy', { timeout: 90_000 }, () => {
  it('deploys the project metadata to the configured database', async () => {
    const result = await cli('node', ['metadata', 'deploy']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`to MongoDB database "${database}" as generation [0-9a-f-]{36}\\nhash [0-9a-f]{64}\\n$`));
    const pointer = await client.db(database).collection<{ _id: string }>('deploys').findOne({ _id: 'active' });
    expect(pointer).not.toBeNull();
  });

  it('deploys nothing from a directory with problems', async () => {
    const before = await snapshotDatabase(client, database);
    const result = await cli('node', ['metadata', 'deploy', '--dir', brokenDir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('nothing deployed');
    expect(await snapshotDatabase(client, database)).toEqual(before);
  });

  it('says so when the content is unchanged', async () => {
    const result = await cli('node', ['metadata', 'deploy', '--dir', 'metadata']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^metadata unchanged \(hash [0-9a-f]{64}, generation [0-9a-f-]{36}\); nothing deployed/);
  });
});
