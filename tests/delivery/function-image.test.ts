/**
 * The function images, without a Docker engine: hadolint on every Dockerfile, the final stage's shape, and the build
 * contexts `faas-cli build --shrinkwrap` makes from stack.yml and the project's template (what `docker buildx build`
 * receives in CI). Needs `npm run build` first (npm test does it).
 */
import { createRequire, isBuiltin } from 'node:module';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPTIONAL_DEPENDENCIES } from '../../dev/build.ts';
import { loadStack, type Stack } from '../../dev/openfaas/stack-file.ts';
import { ROOT, runTool, tool } from './delivery-tools.ts';

const TEMPLATE = path.join(ROOT, 'templates/dataplatform-node20');
/** The Python functions' template (the train action): a staged folder and a pip layer instead of a bundle. */
const PYTHON_LANG = 'dataplatform-python3';

/** Every Dockerfile of the project (templates, the dev container and the home server's own images under deploy/). */
async function dockerfiles(): Promise<string[]> {
  const found: string[] = [];
  for (const folder of ['templates', '.devcontainer', 'deploy']) {
    const entries = await readdir(path.join(ROOT, folder), { recursive: true, withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (entry.isFile() && /^Dockerfile(\..+)?$/.test(entry.name)) found.push(path.relative(ROOT, path.join(entry.parentPath, entry.name)));
    }
  }
  return found.sort();
}

/** The instructions of a Dockerfile's last stage, continuation lines joined. */
function finalStage(text: string): string[] {
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  return lines.slice(lines.map((line) => /^FROM\s/i.test(line)).lastIndexOf(true));
}

describe('Dockerfiles', () => {
  it('pass hadolint', async () => {
    const files = await dockerfiles();
    expect(files).toEqual(expect.arrayContaining(['templates/dataplatform-node20/Dockerfile', 'deploy/mlflow/Dockerfile', 'deploy/mlserver/Dockerfile']));
    for (const file of files) {
      const run = runTool(tool('hadolint'), ['--no-color', file]);
      expect({ file, status: run.status, output: run.output }).toEqual({ file, status: 0, output: '' });
    }
  });

  it('hadolint refuses what it should (the check is not a no-op)', () => {
    const run = runTool(tool('hadolint'), ['--no-color', '-'], { input: 'FROM node:latest\nRUN cd /tmp && npm install\n' });
    expect(run.status).not.toBe(0);
    expect(run.output).toContain('DL3007'); // :latest
  });

  it('builds the template image in stages and ships Node.js as an unprivileged user, installing nothing', async () => {
    const text = await readFile(path.join(TEMPLATE, 'Dockerfile'), 'utf8');
    expect(text.match(/^FROM\s/gim)?.length).toBeGreaterThanOrEqual(2);
    const ship = finalStage(text);
    const user = ship.filter((line) => /^USER\s/i.test(line)).at(-1);
    expect(user).toMatch(/^USER\s+[1-9]\d*(:[1-9]\d*)?$/);
    expect(ship.filter((line) => /^(RUN|ADD)\s/i.test(line))).toEqual([]);
    // The code cache comes from a stage of the runtime image, made by the very node binary the image ships.
    expect(text).toMatch(/^FROM\s+runtime\s+AS\s+code-cache\n(?:.*\n)*?RUN \["node", "index\.cjs", "--write-code-cache"\]$/m);
    expect(ship).toContain('COPY --chown=10001:10001 --from=code-cache /home/app/function.cjs.cache ./');
    // npm and yarn are removed from the runtime stage whose file system the final stage copies.
    expect(text).toMatch(/rm -rf [^\n]*\/usr\/local\/lib\/node_modules[^\n]*\/usr\/local\/bin\/npm/);
  });
});

describe('faas-cli build --shrinkwrap -f stack.yml', () => {
  let work: string;
  let stack: Stack;

  beforeAll(async () => {
    // A folder of its own, so faas-cli's build/<fn>/ never touches the checkout's build/ (other runs use it).
    work = await mkdtemp(path.join(tmpdir(), 'dp-shrinkwrap-'));
    await cp(path.join(ROOT, 'templates'), path.join(work, 'template'), { recursive: true });
    await cp(path.join(ROOT, 'stack.yml'), path.join(work, 'stack.yml'));
    await mkdir(path.join(work, 'build'));
    await symlink(path.join(ROOT, 'build/functions'), path.join(work, 'build/functions'));
    stack = await loadStack(path.join(ROOT, 'stack.yml'), {});
    for (const fn of stack.functions) {
      const bundle = await stat(path.join(fn.handlerDir, fn.lang === PYTHON_LANG ? 'index.py' : 'index.cjs')).catch(() => undefined);
      if (!bundle) throw new Error(`no bundle for ${fn.name}: run npm run build first`);
    }
    const run = runTool(tool('faas-cli'), ['build', '--shrinkwrap', '-f', 'stack.yml'], { cwd: work });
    if (run.status !== 0) throw new Error(`faas-cli build --shrinkwrap failed:\n${run.output}`);
  });

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  /** The files of a context that docker sends to the builder: .dockerignore applied (its `*` then `!path` form). */
  async function contextFiles(context: string): Promise<string[]> {
    const rules = (await readFile(path.join(context, '.dockerignore'), 'utf8'))
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    const pattern = (glob: string): RegExp => new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/.*)?$`);
    const sent = (file: string): boolean => {
      let included = true;
      for (const rule of rules) {
        const negated = rule.startsWith('!');
        if (pattern(negated ? rule.slice(1) : rule).test(file)) included = negated;
      }
      return included;
    };
    const files = await readdir(context, { recursive: true, withFileTypes: true });
    return files
      .filter((entry) => !entry.isDirectory())
      .map((entry) => path.relative(context, path.join(entry.parentPath, entry.name)))
      .filter(sent)
      .sort();
  }

  it('makes one context per function, holding exactly what its image needs', async () => {
    const migrations = (await readdir(path.join(ROOT, 'migrations'))).filter((name) => name.endsWith('.sql')).map((name) => `function/migrations/${name}`);
    const expected = ['Dockerfile', 'function/function.cjs', 'function/function.cjs.map', 'function/index.cjs', ...migrations].sort();
    for (const fn of stack.functions) {
      // A Python function: its staged modules (the template's server beside its own) and requirements.txt, no tests.
      const staged = fn.lang === PYTHON_LANG ? (await readdir(fn.handlerDir)).filter((name) => name.endsWith('.py') || name === 'requirements.txt') : [];
      const wanted = fn.lang === PYTHON_LANG ? ['Dockerfile', ...staged.map((name) => `function/${name}`)].sort() : expected;
      expect({ name: fn.name, files: await contextFiles(path.join(work, 'build', fn.name)) }).toEqual({ name: fn.name, files: wanted });
    }
  });

  it('has every file the Dockerfile copies from the context', async () => {
    const copies = finalStage(await readFile(path.join(TEMPLATE, 'Dockerfile'), 'utf8'))
      .filter((line) => /^COPY\s/i.test(line) && !/--from=/.test(line))
      .flatMap((line) => line.split(/\s+/).slice(1).filter((word) => !word.startsWith('--')).slice(0, -1));
    expect(copies.length).toBeGreaterThan(0);
    for (const fn of stack.functions.filter((each) => each.lang !== PYTHON_LANG)) {
      const files = await contextFiles(path.join(work, 'build', fn.name));
      for (const source of copies) expect({ name: fn.name, source, sent: files.some((file) => file === source || file.startsWith(`${source}/`)) }).toEqual({ name: fn.name, source, sent: true });
    }
  });

  it('needs nothing from node_modules: each bundle holds the template server and imports only Node.js built-ins', async () => {
    // What esbuild left external must not come from node_modules in the image: a built-in, one of the drivers'
    // optional dependencies (required inside try/catch, dev/build.ts), or a package this checkout does not have either,
    // so the local runs already do without it. A package left external that resolves here would work locally (Node
    // looks up the checkout's node_modules) and fail in the image.
    const isInstalled = (name: string, importer: string): boolean => {
      try {
        createRequire(path.join(ROOT, importer)).resolve(name);
        return true;
      } catch {
        return false;
      }
    };
    for (const fn of stack.functions.filter((each) => each.lang !== PYTHON_LANG)) {
      const context = path.join(work, 'build', fn.name);
      const all = await readdir(context, { recursive: true });
      expect({ name: fn.name, node_modules: all.filter((file) => file.split(path.sep).includes('node_modules')) }).toEqual({ name: fn.name, node_modules: [] });
      const meta = JSON.parse(await readFile(path.join(context, 'function/meta.json'), 'utf8')) as {
        inputs: Record<string, { imports: Array<{ path: string; external?: boolean }> }>;
      };
      expect(Object.keys(meta.inputs)).toContain('templates/dataplatform-node20/server.ts');
      const needed = Object.entries(meta.inputs).flatMap(([importer, input]) =>
        input.imports
          .filter((entry) => entry.external && !isBuiltin(entry.path) && !OPTIONAL_DEPENDENCIES.includes(entry.path))
          .filter((entry) => isInstalled(entry.path, importer))
          .map((entry) => `${importer} → ${entry.path}`),
      );
      expect({ name: fn.name, needed }).toEqual({ name: fn.name, needed: [] });
    }
  });
});
