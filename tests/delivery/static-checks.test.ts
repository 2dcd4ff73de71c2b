/**
 * Static checks of what ships beside the code: the GitHub Actions workflows (actionlint) and docker-compose.yml against
 * the Compose specification's JSON schema (the copy check-jsonschema carries, from PyPI). Each also shows its tool
 * refusing a broken file, so a check that silently passes everything would fail here.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runTool, tool } from './delivery-tools.ts';

describe('GitHub Actions workflows', () => {
  it('pass actionlint', async () => {
    const workflows = (await readdir(path.join(ROOT, '.github/workflows'))).filter((name) => /\.ya?ml$/.test(name));
    expect(workflows).toContain('delivery.yml');
    for (const name of workflows) {
      const run = runTool(tool('actionlint'), ['-no-color', path.join('.github/workflows', name)]);
      expect({ name, status: run.status, output: run.output }).toEqual({ name, status: 0, output: '' });
    }
  });

  it('actionlint refuses a broken workflow (an unknown context, a missing runs-on)', () => {
    const broken = 'on: push\njobs:\n  a:\n    steps:\n      - run: echo ${{ secret.X }}\n';
    const run = runTool(tool('actionlint'), ['-no-color', '-'], { input: broken });
    expect(run.status).not.toBe(0);
    expect(run.output).toMatch(/runs-on/);
    expect(run.output).toMatch(/undefined variable "secret"/);
  });
});

describe('docker-compose.yml', () => {
  it('is valid under the Compose specification', () => {
    const run = runTool(tool('check-jsonschema'), ['--builtin-schema', 'vendor.compose-spec', 'docker-compose.yml']);
    expect({ status: run.status, output: run.output.trim() }).toEqual({ status: 0, output: 'ok -- validation done' });
  });

  it('the schema refuses a misspelt service key', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'dp-compose-'));
    try {
      const file = path.join(dir, 'compose.yml');
      await writeFile(file, 'services:\n  db:\n    image: postgres:15\n    portz: ["5432:5432"]\n');
      const run = runTool(tool('check-jsonschema'), ['--builtin-schema', 'vendor.compose-spec', file]);
      expect(run.status).not.toBe(0);
      expect(run.output).toContain('portz');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
