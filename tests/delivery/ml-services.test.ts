/**
 * The home server's MLflow and MLServer (docker-compose.yml, deploy/mlflow, deploy/mlserver, deploy/postgres), without a
 * Docker engine: the compose file as Compose reads it with deploy/server.env.example's values, the images' versions
 * against the training's, the model repository against the code that trains and reads the model, PostgreSQL's init
 * script run for real on a scratch server (a socket, no TCP port), and MLServer's start script around a stand-in server.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, chown, cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../dev/free-port.ts';
import { loadStack } from '../../dev/openfaas/stack-file.ts';
import { ROOT, runTool, type ToolRun } from './delivery-tools.ts';

interface ComposeService {
  image?: string;
  build?: string | { context: string };
  restart?: string;
  network_mode?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: unknown[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  deploy?: { resources?: { limits?: { cpus?: string; memory?: string } } };
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
}

const read = (file: string): Promise<string> => readFile(path.join(ROOT, file), 'utf8');

/** docker-compose.yml as written: `${…}` left as they are. */
async function rawCompose(): Promise<ComposeFile> {
  return load(await read('docker-compose.yml')) as ComposeFile;
}

/** The values of deploy/server.env.example, the .env a server starts from. */
async function serverEnv(): Promise<Record<string, string>> {
  const entries = (await read('deploy/server.env.example'))
    .split('\n')
    .map((line) => /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim()))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => [match[1] as string, match[2] as string]);
  return Object.fromEntries(entries);
}

/** Compose's interpolation of one value: `$$`, `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`. */
function interpolate(text: string, env: Readonly<Record<string, string>>): string {
  return text.replace(/\$(?:(\$)|\{([A-Za-z_]\w*)(?:(:?)([-?])([^}]*))?\}|([A-Za-z_]\w*))/g, (...groups: Array<string | undefined>) => {
    const [, dollar, name, colon, operator, argument, bare] = groups;
    if (dollar !== undefined) return '$';
    const key = (name ?? bare) as string;
    const value = env[key];
    const missing = value === undefined || (colon === ':' && value === '');
    if (operator === '-') return missing ? (argument ?? '') : (value as string);
    if (operator === '?' && missing) throw new Error(`compose: ${key} is required: ${argument ?? ''}`);
    return value ?? '';
  });
}

function interpolateAll<T>(value: T, env: Readonly<Record<string, string>>): T {
  if (typeof value === 'string') return interpolate(value, env) as T;
  if (Array.isArray(value)) return value.map((each: unknown) => interpolateAll(each, env)) as T;
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, each]) => [key, interpolateAll(each, env)])) as T;
  return value;
}

/** docker-compose.yml as a server with deploy/server.env.example's values runs it. */
async function serverCompose(): Promise<ComposeFile> {
  return interpolateAll(await rawCompose(), await serverEnv());
}

/** `host_ip:published:target` of a port in the short syntax (the only one the file uses). */
function portParts(port: unknown): { host: string; published: string; target: string } {
  if (typeof port !== 'string') throw new Error(`a port in the long syntax: ${JSON.stringify(port)}`);
  const parts = /^(.+):([^:]+):([^:]+)$/.exec(port);
  if (!parts) throw new Error(`a port without its host address: ${port}`);
  return { host: parts[1] as string, published: parts[2] as string, target: parts[3] as string };
}

function service(compose: ComposeFile, name: string): ComposeService {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

/** The one published port of a service. */
function onlyPort(compose: ComposeFile, name: string): { host: string; published: string; target: string } {
  const ports = service(compose, name).ports ?? [];
  expect({ name, ports: ports.length }).toEqual({ name, ports: 1 });
  return portParts(ports[0]);
}

/** `--name=value` of a command. */
function option(command: readonly string[] | undefined, name: string): string | undefined {
  return command?.find((word) => word.startsWith(`--${name}=`))?.slice(name.length + 3);
}

/** `name==version` pins of a requirements file or of a Dockerfile's pip install, by lower-case name. */
function pins(text: string): Map<string, string> {
  return new Map([...text.replace(/#.*$/gm, '').matchAll(/(?:^|\s)([A-Za-z0-9][\w.-]*)==([\w.+-]+)/g)].map((match) => [(match[1] as string).toLowerCase(), match[2] as string]));
}

/** The instructions of a Dockerfile, continuation lines joined, comments dropped. */
function instructions(text: string): string[] {
  return text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** The image of a Dockerfile's last FROM, without `--platform=…` and `AS name`. */
function baseImage(text: string): string {
  const from = instructions(text).filter((line) => /^FROM\s/i.test(line)).at(-1) ?? '';
  return from.split(/\s+/).slice(1).filter((word) => !word.startsWith('--'))[0] ?? '';
}

describe('docker-compose.yml: the services beside faasd', () => {
  it('publishes every port on BIND_ADDRESS (loopback unless set; faasd’s bridge on a server), Portainer’s alone on the LAN', async () => {
    const raw = await rawCompose();
    const server = await serverCompose();
    const env = await serverEnv();
    const published: string[] = [];
    for (const [name, each] of Object.entries(raw.services)) {
      for (const [index, port] of (each.ports ?? []).entries()) {
        const address = name === 'portainer' ? '${LAN_ADDRESS:?set LAN_ADDRESS in .env}:' : '${BIND_ADDRESS:-127.0.0.1}:';
        expect({ name, port, bound: typeof port === 'string' && port.startsWith(address) }).toEqual({ name, port, bound: true });
        expect({ name, host: portParts(service(server, name).ports?.[index]).host }).toEqual({ name, host: name === 'portainer' ? env.LAN_ADDRESS : '10.62.0.1' });
        published.push(name);
      }
      // The host's network would bypass every published address: Caddy alone, whose Caddyfile binds its sites.
      if (each.network_mode !== undefined) expect({ name, network_mode: each.network_mode }).toEqual({ name: 'caddy', network_mode: 'host' });
    }
    expect(published).toEqual(expect.arrayContaining(['postgres', 'mongo', 'openbao', 'mlflow', 'mlserver']));
  });

  it('runs MLflow and MLServer as it runs the databases: restarted, health-checked, limited (overridable in .env), data in named volumes', async () => {
    const raw = await rawCompose();
    for (const name of ['mlflow', 'mlserver']) {
      const each = service(raw, name);
      const prefix = name.toUpperCase();
      expect({ name, restart: each.restart }).toEqual({ name, restart: 'unless-stopped' });
      expect({ name, test: each.healthcheck?.test[0] }).toEqual({ name, test: 'CMD' });
      expect({ name, limits: each.deploy?.resources?.limits }).toEqual({ name, limits: { cpus: `\${${prefix}_CPUS:-1}`, memory: `\${${prefix}_MEMORY:-1g}` } });
      // Built from the project's own small Dockerfile (deploy/<name>/), from pinned images: nothing is installed at start.
      expect({ name, build: each.build, image: each.image }).toEqual({ name, build: `./deploy/${name}`, image: undefined });
    }
    expect(service(raw, 'mlflow').volumes).toEqual(['mlflow-artifacts:/mlflow/artifacts']);
    expect(Object.keys(raw.volumes)).toContain('mlflow-artifacts');
  });

  it('keeps MLflow’s backend store in the postgres service’s database `mlflow`, as the login its init script makes', async () => {
    const server = await serverCompose();
    const env = await serverEnv();
    const mlflow = service(server, 'mlflow');
    const postgres = service(server, 'postgres');
    const store = new URL(mlflow.environment?.MLFLOW_BACKEND_STORE_URI ?? '');
    expect({ protocol: store.protocol, user: store.username, host: store.hostname, database: store.pathname }).toEqual({
      protocol: 'postgresql+psycopg2:',
      user: 'mlflow',
      host: 'postgres',
      database: '/mlflow',
    });
    // postgres:5432 is the service's own port on the compose network (whatever POSTGRES_PORT publishes).
    expect(store.port).toBe(onlyPort(server, 'postgres').target);
    expect(decodeURIComponent(store.password)).toBe(env.MLFLOW_DB_PASSWORD);
    expect(postgres.environment?.MLFLOW_DB_PASSWORD).toBe(env.MLFLOW_DB_PASSWORD);
    expect(postgres.volumes).toContain('./deploy/postgres/mlflow-database.sh:/docker-entrypoint-initdb.d/10-mlflow-database.sh:ro');
    expect(mlflow.depends_on?.postgres).toEqual({ condition: 'service_healthy' });
    // The password in the environment, not on the command line (the host's `ps` shows commands).
    expect(JSON.stringify(mlflow.command)).not.toContain(env.MLFLOW_DB_PASSWORD);
    // The artifacts stored in the volume and served by MLflow: the training and MLServer need no disk of them.
    expect(mlflow.command).toContain('--serve-artifacts');
    expect(option(mlflow.command, 'artifacts-destination')).toBe('/mlflow/artifacts');
    expect(option(mlflow.command, 'port')).toBe(onlyPort(server, 'mlflow').target);
  });

  it('is where stack.yml’s functions look for MLflow and MLServer, and MLflow answers the Host each client sends', async () => {
    const server = await serverCompose();
    const env = await serverEnv();
    expect(env.BIND_ADDRESS).toBe('10.62.0.1');
    const stack = await loadStack(path.join(ROOT, 'stack.yml'), { PLATFORM_ENV: 'production' });
    const mlflowPort = onlyPort(server, 'mlflow');
    const mlserverPort = onlyPort(server, 'mlserver');
    const allowedHosts = (option(service(server, 'mlflow').command, 'allowed-hosts') ?? '').split(',');
    const users = stack.functions.filter((fn) => fn.environment.MLFLOW_TRACKING_URI !== undefined || fn.environment.MLSERVER_URL !== undefined);
    expect(users.map((fn) => fn.name)).toEqual(expect.arrayContaining(['action-train', 'gold']));
    for (const fn of users) {
      const tracking = new URL(fn.environment.MLFLOW_TRACKING_URI ?? '');
      const serving = new URL(fn.environment.MLSERVER_URL ?? '');
      expect({ fn: fn.name, mlflow: tracking.host, mlserver: serving.host }).toEqual({
        fn: fn.name,
        mlflow: `${mlflowPort.host}:${mlflowPort.published}`,
        mlserver: `${mlserverPort.host}:${mlserverPort.published}`,
      });
      expect(allowedHosts).toContain(tracking.host);
    }
    // MLServer reads the models from MLflow on the compose network.
    const fromMlserver = new URL(service(server, 'mlserver').environment?.MLFLOW_TRACKING_URI ?? '');
    expect(fromMlserver.host).toBe(`mlflow:${mlflowPort.target}`);
    expect(allowedHosts).toContain(fromMlserver.host);
    expect(service(server, 'mlserver').depends_on?.mlflow).toEqual({ condition: 'service_healthy' });
  });

  it('serves, from a read-only model repository, the champion the training moves and the forecast gold reads', async () => {
    const server = await serverCompose();
    const mlserver = service(server, 'mlserver');
    expect(mlserver.volumes).toEqual(['./deploy/mlserver/models:/models:ro']);
    const settings = JSON.parse(await read('deploy/mlserver/models/settings.json')) as Record<string, unknown>;
    expect(settings).toMatchObject({ host: '0.0.0.0', http_port: Number(onlyPort(server, 'mlserver').target), load_models_at_startup: false });

    // The model the train action registers and the gold entity reads (metadata), and the alias the training moves.
    const actions = JSON.parse(await read('metadata/actions.json')) as Array<{ type: string; settings: { model?: string } }>;
    const trained = actions.filter((action) => action.type === 'train').map((action) => action.settings.model);
    const entities = JSON.parse(await read('metadata/entities.json')) as Array<{ processor?: { name: string; options?: { model?: string } } }>;
    const readByGold = entities.filter((entity) => entity.processor?.name === 'glucose_forecast').map((entity) => entity.processor?.options?.model);
    expect(trained.length).toBeGreaterThan(0);
    expect(new Set([...trained, ...readByGold]).size).toBe(1);
    const champion = /^CHAMPION = "(\w+)"$/m.exec(await read('functions/action-train/train.py'))?.[1];
    expect(champion).toBeDefined();
    expect(await read('shared/adapters/ml/mlflow-registry.ts')).toContain(`alias = '${champion}'`);

    const repository = path.join(ROOT, 'deploy/mlserver/models');
    const files = (await readdir(repository, { recursive: true })).filter((file) => path.basename(file) === 'model-settings.json');
    const models = await Promise.all(files.map(async (file) => JSON.parse(await readFile(path.join(repository, file), 'utf8')) as Record<string, unknown>));
    expect(models).toEqual([
      { name: trained[0], implementation: 'mlserver_mlflow.MLflowRuntime', parameters: { uri: `models:/${trained[0]}@${champion}` } },
    ]);
  });
});

describe('the MLflow and MLServer images', () => {
  const trainingPins = async (): Promise<Map<string, string>> => pins(await read('functions/action-train/requirements.txt'));

  it('MLflow: the official image of the training’s MLflow version, with its PostgreSQL driver, run by an unprivileged user', async () => {
    const text = await read('deploy/mlflow/Dockerfile');
    const training = await trainingPins();
    expect(baseImage(text)).toBe(`ghcr.io/mlflow/mlflow:v${training.get('mlflow')}`);
    expect(pins(text)).toEqual(new Map([['psycopg2-binary', training.get('psycopg2-binary')]]));
    expect(instructions(text).filter((line) => /^USER\s/i.test(line)).at(-1)).toMatch(/^USER\s+[1-9]\d*(:[1-9]\d*)?$/);
  });

  it('MLServer: the training image’s Python and exactly the packages local development serves with, the model libraries the training’s', async () => {
    const text = await read('deploy/mlserver/Dockerfile');
    const served = pins(text);
    expect(served).toEqual(pins(await read('dev/services/mlserver-requirements.txt')));
    for (const [name, version] of await trainingPins()) {
      if (['mlflow', 'scikit-learn', 'numpy', 'pandas'].includes(name)) expect({ name, version: served.get(name) }).toEqual({ name, version });
    }
    expect(served.get('mlserver')).toBeDefined();
    expect(served.get('mlserver')).toBe(served.get('mlserver-mlflow'));
    expect(baseImage(text)).toBe(baseImage(await read('templates/dataplatform-python3/Dockerfile')));
    expect(instructions(text).filter((line) => /^USER\s/i.test(line)).at(-1)).toMatch(/^USER\s+[1-9]\d*(:[1-9]\d*)?$/);
    // Its build context sends the start script only; the model repository is mounted.
    expect(instructions(await read('deploy/mlserver/.dockerignore'))).toEqual(['*', '!start.py']);
  });

  it('the reverse proxy passes to the gateway only: neither MLflow nor MLServer (no login of their own) is behind Caddy', async () => {
    const caddyfile = instructions(await read('deploy/caddy/Caddyfile'));
    const upstreams = caddyfile.filter((line) => line.startsWith('reverse_proxy')).map((line) => line.split(/\s+/).slice(1).join(' '));
    expect(upstreams.length).toBeGreaterThan(0);
    expect(new Set(upstreams)).toEqual(new Set(['{$GATEWAY_UPSTREAM}']));
    expect(caddyfile.join('\n')).not.toMatch(/:5000\b|:8085\b|mlflow|mlserver/i);
  });
});

/** Where the Debian package puts PostgreSQL 15 (dev/services/postgres.sh installs it; the image is postgres:15 too). */
const PG_BIN = '/usr/lib/postgresql/15/bin';
const isRoot = process.getuid?.() === 0;

describe('deploy/postgres/mlflow-database.sh, on a scratch PostgreSQL 15 (a socket in a folder of its own, no TCP port)', () => {
  let work: string;
  const socket = (): string => path.join(work, 'socket');

  /** As the postgres user when root (PostgreSQL refuses to run as root), from / so any checkout path works. */
  function asPostgres(command: string, args: readonly string[], options: { env?: Record<string, string>; input?: string } = {}): ToolRun {
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env };
    return isRoot ? runTool('runuser', ['-u', 'postgres', '--', command, ...args], { cwd: '/', env, input: options.input }) : runTool(command, args, { cwd: '/', env, input: options.input });
  }

  /** The script as the image runs it: an executable, with the container's environment (POSTGRES_USER, the password). */
  async function runScript(password: string): Promise<ToolRun> {
    return asPostgres('bash', ['-s'], {
      env: { POSTGRES_USER: 'dataplatform', MLFLOW_DB_PASSWORD: password, PGHOST: socket() },
      input: await read('deploy/postgres/mlflow-database.sh'),
    });
  }

  function psql(user: string, database: string, sql: string, password?: string): ToolRun {
    return asPostgres(path.join(PG_BIN, 'psql'), ['-X', '-At', '-h', socket(), '-U', user, '-d', database, '-c', sql], { env: password === undefined ? {} : { PGPASSWORD: password } });
  }

  beforeAll(async () => {
    const initdb = await stat(path.join(PG_BIN, 'initdb')).catch(() => undefined);
    if (!initdb) throw new Error(`no PostgreSQL 15 in ${PG_BIN}: run npm run services -- install`);
    work = await mkdtemp(path.join(tmpdir(), 'dp-pg-mlflow-'));
    await chmod(work, 0o700);
    if (isRoot) {
      const owner = asPostgres('id', ['-u']);
      const group = asPostgres('id', ['-g']);
      await chown(work, Number(owner.output.trim()), Number(group.output.trim()));
    }
    asPostgres('mkdir', [socket()]);
    // As the image's initdb: the superuser is POSTGRES_USER, local connections trusted. One line more, first: the
    // mlflow login must give its password, so the test sees the one the script set.
    const init = asPostgres(path.join(PG_BIN, 'initdb'), ['-D', path.join(work, 'data'), '-U', 'dataplatform', '-E', 'UTF8', '--auth-local=trust', '--auth-host=scram-sha-256']);
    if (init.status !== 0) throw new Error(`initdb failed:\n${init.output}`);
    const hba = path.join(work, 'data/pg_hba.conf');
    const prepend = asPostgres('bash', ['-c', `printf 'local all mlflow scram-sha-256\\n' | cat - "$1" > "$1.new" && mv "$1.new" "$1"`, 'prepend', hba]);
    if (prepend.status !== 0) throw new Error(prepend.output);
    const start = asPostgres(path.join(PG_BIN, 'pg_ctl'), ['-D', path.join(work, 'data'), '-l', path.join(work, 'log'), '-w', '-o', `-c listen_addresses='' -k ${socket()}`, 'start']);
    if (start.status !== 0) throw new Error(`pg_ctl start failed:\n${start.output}`);
  });

  afterAll(async () => {
    if (!work) return;
    asPostgres(path.join(PG_BIN, 'pg_ctl'), ['-D', path.join(work, 'data'), '-m', 'immediate', 'stop']);
    await rm(work, { recursive: true, force: true });
  });

  it('is executable, so the image runs it rather than sourcing it into its own entrypoint', async () => {
    expect((await stat(path.join(ROOT, 'deploy/postgres/mlflow-database.sh'))).mode & 0o111).toBe(0o111);
  });

  it('makes the login and the database it owns, which no other login may connect to', async () => {
    const run = await runScript('firstPassword1');
    expect({ status: run.status, output: run.output.trim() }).toEqual({ status: 0, output: 'mlflow-database: role mlflow and database mlflow ready' });
    expect(psql('mlflow', 'mlflow', 'select current_user, current_database()', 'firstPassword1')).toEqual({ status: 0, output: 'mlflow|mlflow\n' });
    expect(psql('dataplatform', 'postgres', "select rolsuper, rolcreatedb, rolcreaterole, pg_get_userbyid(datdba) from pg_roles, pg_database where rolname = 'mlflow' and datname = 'mlflow'")).toEqual({
      status: 0,
      output: 'f|f|f|mlflow\n',
    });
    expect(psql('dataplatform', 'postgres', 'create role platform login').status).toBe(0);
    const other = psql('platform', 'mlflow', 'select 1');
    expect(other.status).not.toBe(0);
    expect(other.output).toContain('permission denied for database "mlflow"');
  });

  it('runs again without harm (an existing installation), setting the password .env now holds', async () => {
    const run = await runScript('secondPassword2');
    expect(run.status).toBe(0);
    expect(psql('mlflow', 'mlflow', 'select current_user', 'secondPassword2')).toEqual({ status: 0, output: 'mlflow\n' });
    const old = psql('mlflow', 'mlflow', 'select 1', 'firstPassword1');
    expect(old.status).not.toBe(0);
    expect(old.output).toContain('password authentication failed');
  });

  it('refuses to run without the password', async () => {
    const run = asPostgres('bash', ['-s'], { env: { POSTGRES_USER: 'dataplatform', PGHOST: socket() }, input: await read('deploy/postgres/mlflow-database.sh') });
    expect(run.status).not.toBe(0);
    expect(run.output).toContain('set MLFLOW_DB_PASSWORD in .env');
  });
});

/** A stand-in for `mlserver start <repository>`: answers health on the repository's http_port, logs each load. */
const FAKE_MLSERVER = `#!/usr/bin/env python3
import json, os, signal, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
repository, log = sys.argv[2], os.environ["FAKE_LOG"]
port = json.load(open(os.path.join(repository, "settings.json")))["http_port"]
def note(line):
    with open(log, "a") as out: out.write(line + "\\n")
def stop(signum, frame):
    note(f"signal {signum}")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args): pass
    def do_GET(self):
        self.send_response(200 if self.path in ("/v2/health/live", "/health") else 404)
        self.end_headers()
    def do_POST(self):
        note(f"{sys.argv[1]} {repository} POST {self.path}")
        status = int(os.environ["FAKE_LOAD_STATUS"])
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"{}" if status == 200 else b'{"error": "Registered model alias champion not found."}')
HTTPServer(("127.0.0.1", port), Handler).serve_forever()
`;

describe('deploy/mlserver/start.py, around a stand-in MLServer', () => {
  let work: string;
  let repository: string;
  let port: number;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'dp-mlserver-start-'));
    await writeFile(path.join(work, 'mlserver'), FAKE_MLSERVER, { mode: 0o755 });
    // The real repository, on another port.
    repository = path.join(work, 'models');
    await cp(path.join(ROOT, 'deploy/mlserver/models'), repository, { recursive: true });
    port = await freePort();
    const settings = JSON.parse(await readFile(path.join(repository, 'settings.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(path.join(repository, 'settings.json'), JSON.stringify({ ...settings, http_port: port }));
  });

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  /** Runs the start script in the repository (the image's WORKDIR) until `until` is in its output, then SIGTERM. */
  async function startThenStop(loadStatus: number, until: string): Promise<{ code: number | null; output: string; log: string; aliveAfterLoad: boolean }> {
    const log = path.join(work, `log-${loadStatus}`);
    const child: ChildProcess = spawn('python3', [path.join(ROOT, 'deploy/mlserver/start.py')], {
      cwd: repository,
      env: { PATH: `${work}:${process.env.PATH ?? ''}`, FAKE_LOG: log, FAKE_LOAD_STATUS: String(loadStatus), MLFLOW_TRACKING_URI: `http://127.0.0.1:${port}/` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 20_000;
    while (!output.includes(until) && child.exitCode === null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    const aliveAfterLoad = child.exitCode === null;
    child.kill('SIGTERM');
    const code = await exited;
    return { code, output, log: await readFile(log, 'utf8').catch(() => ''), aliveAfterLoad };
  }

  it('starts MLServer on the repository, loads the champion once MLServer and MLflow answer, passes SIGTERM on and exits as MLServer did', async () => {
    const run = await startThenStop(200, 'serving glucose_forecast');
    expect(run.output).toContain('start.py: serving glucose_forecast');
    expect(run.aliveAfterLoad).toBe(true);
    expect(run.log.trim().split('\n')).toEqual([`start ${repository} POST /v2/repository/models/glucose_forecast/load`, 'signal 15']);
    expect(run.code).toBe(0);
  });

  it('keeps serving when there is no champion yet, saying why nothing is loaded', async () => {
    const run = await startThenStop(400, 'not loaded');
    expect(run.output).toContain('start.py: glucose_forecast not loaded (HTTP 400: {"error": "Registered model alias champion not found."})');
    expect(run.aliveAfterLoad).toBe(true);
    expect(run.code).toBe(0);
  });
});
