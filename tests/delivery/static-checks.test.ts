/**
 * Static checks of what ships beside the code: the GitHub Actions workflows (actionlint) and docker-compose.yml against
 * the Compose specification's JSON schema (the copy check-jsonschema carries, from PyPI). Each also shows its tool
 * refusing a broken file, so a check that silently passes everything would fail here.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
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

  it('actionlint refuses a broken workflow (an unknown context, a missing runs-on, a run script ShellCheck faults)', () => {
    const broken = 'on: push\njobs:\n  a:\n    steps:\n      - run: echo ${{ secret.X }}\n      - run: rm -rf $DIR/\n';
    const run = runTool(tool('actionlint'), ['-no-color', '-'], { input: broken });
    expect(run.status).not.toBe(0);
    expect(run.output).toMatch(/runs-on/);
    expect(run.output).toMatch(/undefined variable "secret"/);
    // actionlint runs ShellCheck on `run:` scripts when it is installed (dev/services/delivery.sh installs it).
    expect(run.output).toMatch(/shellcheck reported issue.*SC2086/);
  });

});

describe('shell scripts of the delivery', () => {
  it('pass ShellCheck: the deploy script, the tools installer and PostgreSQL’s init script for MLflow', () => {
    const run = runTool('shellcheck', ['-x', 'deploy/faasd/deploy.sh', 'dev/services/delivery.sh', 'deploy/postgres/mlflow-database.sh']);
    expect({ status: run.status, output: run.output }).toEqual({ status: 0, output: '' });
  });
});

describe('the dev container and VS Code tasks', () => {
  /** JSON with comments, as VS Code writes it (only whole-line comments are used here). */
  async function readJsonc(file: string): Promise<unknown> {
    const text = await readFile(path.join(ROOT, file), 'utf8');
    return JSON.parse(text.split('\n').filter((line) => !line.trim().startsWith('//')).join('\n'));
  }

  it('runs the same services script as a laptop and CI', async () => {
    const container = (await readJsonc('.devcontainer/devcontainer.json')) as { postCreateCommand: string; postStartCommand: string; build: { dockerfile: string } };
    expect([container.postCreateCommand, container.postStartCommand]).toEqual(['bash dev/services.sh install', 'bash dev/services.sh up']);
    expect(container.build.dockerfile).toBe('Dockerfile');
  });

  it('has lint, test and start tasks, each an npm script that exists', async () => {
    const tasks = (await readJsonc('.vscode/tasks.json')) as { tasks: Array<{ label: string; command: string }> };
    const scripts = (JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    for (const label of ['lint', 'test', 'start']) expect(tasks.tasks.map((task) => task.label)).toContain(label);
    for (const task of tasks.tasks) {
      const script = /^npm (?:run )?([\w:-]+)/.exec(task.command)?.[1];
      if (script !== undefined) expect({ label: task.label, script, exists: script in scripts }).toEqual({ label: task.label, script, exists: true });
    }
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
