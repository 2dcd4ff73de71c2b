import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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
/** A copy of metadata/ (models included) outside the checkout, as a new user makes one. */
let copyDir: string;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI as a user does, in the project directory (or `cwd`, where `node` runs the checkout's
 * bin/dataplatform.mjs by its path), and never throws on a non-zero exit.
 */
async function cli(command: 'npx' | 'node', args: string[], cwd = root): Promise<CliResult> {
  const argv = command === 'npx' ? ['--no-install', 'dataplatform', ...args] : [join(root, 'bin/dataplatform.mjs'), ...args];
  try {
    const { stdout, stderr } = await run(command, argv, { cwd, env: { ...process.env, METADATA_DB: database } });
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
  copyDir = await mkdtemp(join(tmpdir(), 'metadata-copy-'));
  await cp(join(root, 'metadata'), copyDir, { recursive: true });
});

afterAll(async () => {
  await rm(brokenDir, { recursive: true, force: true });
  await rm(copyDir, { recursive: true, force: true });
  await client.db(database).dropDatabase();
  await client.close();
});

// Each call starts node + tsx (several seconds on a busy machine).
describe('npx dataplatform metadata validate', { timeout: 90_000 }, () => {
  it("exits 0 on the project's metadata", async () => {
    const result = await cli('npx', ['metadata', 'validate', '--dir', 'metadata']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/metadata: valid \(3 systems, 18 entities, 5 actions, 18 models\)\nhash [0-9a-f]{64}\n$/);
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

  it("validates a copy of metadata/ outside the checkout, its own models included, as the project's", async () => {
    const project = await cli('node', ['metadata', 'validate']);
    const copy = await cli('node', ['metadata', 'validate', '--dir', copyDir], tmpdir());
    expect(copy.stderr).toBe('');
    expect(copy.code).toBe(0);
    expect(copy.stdout).toBe(project.stdout.replace(join(root, 'metadata'), copyDir));
  });

  it("loads the copy's own models: a model changed in the copy is what validation sees", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'metadata-own-model-'));
    try {
      await cp(copyDir, dir, { recursive: true });
      const model = join(dir, 'models', 'test-customer.ts');
      await writeFile(model, (await readFile(model, 'utf8')).replace("id: column.text({ key: true })", 'id: column.text()'));
      const result = await cli('node', ['metadata', 'validate', '--dir', dir], tmpdir());
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('models › test_customer: no business key');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names the model file and what models may import when a model does not load', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'metadata-bad-model-'));
    try {
      await cp(copyDir, dir, { recursive: true });
      const model = join(dir, 'models', 'test-product.ts');
      await writeFile(model, (await readFile(model, 'utf8')).replace('../../shared/metadata/model-dsl.ts', './model-dsl.ts'));
      const result = await cli('node', ['metadata', 'validate', '--dir', dir], tmpdir());
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`error: ${join(dir, 'models', 'index.ts')} failed to load (ERR_MODULE_NOT_FOUND: Cannot find module '${join(dir, 'models', 'model-dsl.ts')}'`);
      expect(result.stderr).toContain('model files import zod and the model DSL as metadata/models does');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a folder that does not exist or holds no metadata file, saying what a metadata folder holds', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'metadata-empty-'));
    try {
      const missing = await cli('node', ['metadata', 'validate', '--dir', join(empty, 'nothing')]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toBe(
        `error: ${join(empty, 'nothing')} does not exist; a metadata folder holds systems.json, entities.json and actions.json ` +
          "(JSON arrays of records, docs/metadata.md), and optionally models/index.ts exporting `models` (else the project's metadata/models are used)\n",
      );
      const none = await cli('node', ['metadata', 'validate', '--dir', empty]);
      expect(none.code).toBe(1);
      expect(none.stderr).toMatch(new RegExp(`^error: ${empty} holds none of systems.json, entities.json, actions.json; a metadata folder holds`));
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('lays an overlay over the folder: the merged records are validated, an unknown id is a problem', async () => {
    const overlay = await mkdtemp(join(tmpdir(), 'metadata-overlay-'));
    try {
      await writeFile(join(overlay, 'systems.json'), JSON.stringify([{ id: 'NSC01', connection: { base_url: 'http://10.62.0.1:1337' } }]));
      const plain = await cli('node', ['metadata', 'validate']);
      const laid = await cli('node', ['metadata', 'validate', '--overlay', overlay]);
      expect(laid.code).toBe(0);
      expect(laid.stdout).toMatch(new RegExp(`^${join(root, 'metadata')} with overlay ${overlay}: valid \\(3 systems`));
      expect(laid.stdout.split('\n')[1]).not.toBe(plain.stdout.split('\n')[1]); // another content, another hash

      await writeFile(join(overlay, 'systems.json'), JSON.stringify([{ id: 'NSC99', enabled: false }, { id: 'NSC01', schedule: 'often' }]));
      const wrong = await cli('node', ['metadata', 'validate', '--overlay', overlay]);
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toContain('overlay systems.json › NSC99: systems.json has no record with this id');
      expect(wrong.stderr).toMatch(/systems\.json › NSC01 › schedule: /);
    } finally {
      await rm(overlay, { recursive: true, force: true });
    }
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

  it('deploys a copy of metadata/ outside the checkout with the content of the project\'s', async () => {
    const result = await cli('node', ['metadata', 'deploy', '--dir', copyDir], tmpdir());
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    // The project's metadata was deployed just before: the copy has the same content.
    expect(result.stdout).toMatch(/^metadata unchanged \(hash [0-9a-f]{64}, generation [0-9a-f-]{36}\); nothing deployed/);
  });

  it('says so when the content is unchanged', async () => {
    const result = await cli('node', ['metadata', 'deploy', '--dir', 'metadata']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^metadata unchanged \(hash [0-9a-f]{64}, generation [0-9a-f-]{36}\); nothing deployed/);
  });
});
