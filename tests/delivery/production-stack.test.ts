/**
 * stack.yml in production, as the real faas-cli renders it: `faas-cli generate` writes the OpenFaaS Function resources
 * that OpenFaaS on Kubernetes deploys (faasd receives the same fields through `faas-cli deploy`). Each function must
 * list the OpenFaaS secret of every connection it is given, and no other connection's (a production function refuses
 * to start without them: shared/production-settings.ts); in development none, as the local stack creates none.
 */
import { loadAll } from 'js-yaml';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStack } from '../../dev/openfaas/stack-file.ts';
import { SECRET_SETTINGS } from '../../shared/production-settings.ts';
import { ROOT, runTool, tool } from './delivery-tools.ts';

interface FunctionResource {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { name: string; namespace: string };
  readonly spec: { name: string; image: string; secrets?: string[]; environment?: Record<string, string>; annotations?: Record<string, string> };
}

const CALL_TOKEN = 'dataplatform-call-token';

/** What a deployment's shell holds: the registry and tag, no connection (deploy/faasd/deploy.sh unsets them). */
function deployEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, REGISTRY: 'ghcr.io/example', TAG: 'v1.2.3', ...extra };
}

/** `faas-cli generate` of stack.yml: one Function resource per function. */
function generate(env: NodeJS.ProcessEnv): FunctionResource[] {
  const run = runTool(tool('faas-cli'), ['generate', '-f', 'stack.yml', '--api', 'openfaas.com/v1'], { env });
  if (run.status !== 0) throw new Error(`faas-cli generate failed:\n${run.output}`);
  return (loadAll(run.output) as Array<FunctionResource | null>).filter((doc): doc is FunctionResource => doc !== null);
}

/** The connection secrets a function needs for the connections its environment gives it (shared/production-settings.ts). */
function connectionSecrets(environment: Readonly<Record<string, string>>): string[] {
  const needed: string[] = [];
  for (const [setting, secret] of Object.entries(SECRET_SETTINGS)) {
    const given = setting === 'VAULT_TOKEN' ? environment.VAULT_ADDR !== undefined && (environment.SECRET_STORE ?? 'vault') === 'vault' : environment[setting] !== undefined;
    if (given) needed.push(environment[`${setting}_SECRET`] ?? secret);
  }
  return needed;
}

/** Whether a secret carries a connection (any function's): the development lists must hold none. */
function isConnectionSecret(name: string): boolean {
  return Object.values(SECRET_SETTINGS).some((secret) => name === secret) || /^dataplatform-.*database-url$/.test(name);
}

describe('stack.yml rendered by faas-cli generate', () => {
  it('in production: each function adds the secret of every connection it is given to its other secrets, and no other', async () => {
    const env = deployEnv({ PLATFORM_ENV: 'production' });
    const resources = generate(env);
    const stack = await loadStack(path.join(ROOT, 'stack.yml'), env);
    const development = await loadStack(path.join(ROOT, 'stack.yml'), deployEnv({}));
    expect(resources.map((resource) => resource.metadata.name).sort()).toEqual(stack.functions.map((fn) => fn.name).sort());
    for (const fn of stack.functions) {
      const others = development.functions.find((candidate) => candidate.name === fn.name)?.secrets ?? [];
      const expected = [...new Set([...others, ...connectionSecrets(fn.environment)])].sort();
      const resource = resources.find((candidate) => candidate.metadata.name === fn.name);
      expect({ name: fn.name, secrets: [...(resource?.spec.secrets ?? [])].sort() }).toEqual({ name: fn.name, secrets: expected });
      // faas-cli and the project's reader (npm run build, the local provider's images) agree.
      expect({ name: fn.name, secrets: [...fn.secrets].sort() }).toEqual({ name: fn.name, secrets: expected });
    }
  });

  it('in production: the images of the registry and tag, the default namespace, PLATFORM_ENV=production, the scheduler\'s cron', () => {
    for (const resource of generate(deployEnv({ PLATFORM_ENV: 'production' }))) {
      const name = resource.metadata.name;
      expect({ name, kind: resource.kind, namespace: resource.metadata.namespace, image: resource.spec.image, env: resource.spec.environment?.PLATFORM_ENV }).toEqual({
        name,
        kind: 'Function',
        namespace: 'openfaas-fn',
        image: `ghcr.io/example/dataplatform-${name}:v1.2.3`,
        env: 'production',
      });
    }
    const scheduler = generate(deployEnv({ PLATFORM_ENV: 'production' })).find((resource) => resource.metadata.name === 'scheduler');
    expect(scheduler?.spec.annotations).toMatchObject({ topic: 'cron-function', schedule: '* * * * *' });
  });

  it('in development: the call token and no connection secret (the local stack creates none)', () => {
    for (const resource of generate(deployEnv({}))) {
      const secrets = resource.spec.secrets ?? [];
      expect({ name: resource.metadata.name, call_token: secrets.includes(CALL_TOKEN), connections: secrets.filter(isConnectionSecret) }).toEqual({
        name: resource.metadata.name,
        call_token: true,
        connections: [],
      });
    }
  });

  it('an unknown PLATFORM_ENV fails the deploy loudly instead of picking a list', () => {
    const run = runTool(tool('faas-cli'), ['generate', '-f', 'stack.yml'], { env: deployEnv({ PLATFORM_ENV: 'staging' }) });
    expect(run.status).not.toBe(0);
    expect(run.output).toMatch(/unknown anchor|staging/);
  });
});
