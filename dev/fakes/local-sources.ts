/**
 * The fake sources `npm start` runs beside the platform (docs/operate.md, "The example systems"), so NSC01 and BNQ01
 * go landing → gold on this machine: the fake Nightscout and bunq of dev/fakes with live data (a CGM reading every
 * 5 minutes, a payment every 6 hours), in one background process (serve-local-sources.ts) that outlives `npm start`
 * as the platform does; `npm run services -- down` stops it (dev/services/local-sources.sh). They listen on 127.0.0.1;
 * functions reach them at 10.62.0.1, this machine on the function network. NSC01 and BNQ01 are pointed at them by a
 * metadata overlay (`.local/metadata-overlay/systems.json`), so metadata/systems.json keeps the real URLs.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { functionSideUrl, LOCAL_DIR, ROOT, RUN_DIR } from '../openfaas/local-stack.ts';

/** The two fakes: the system each stands in for, its port, and the secret whose value it accepts. */
export const LOCAL_SOURCES = {
  nightscout: { system_id: 'NSC01', port: 1337, secret: 'nightscout/api_secret', path: '' },
  bunq: { system_id: 'BNQ01', port: 1338, secret: 'bunq/api_key', path: '/v1' },
} as const;

/** The overlay `npm start` deploys metadata/ with (`dataplatform metadata deploy --overlay`). */
export const OVERLAY_DIR = path.join(LOCAL_DIR, 'metadata-overlay');
const PID_FILE = path.join(RUN_DIR, 'local-sources.pid'); // named in the command line: dev/services/lib.sh's pid_alive checks
export const FAKE_SOURCES_LOG = path.join(LOCAL_DIR, 'log', 'fake-sources.log');
const ENTRY = path.join(ROOT, 'dev/fakes/serve-local-sources.ts');

/** The credentials the fakes accept: the values the platform's secrets hold, handed over in the environment. */
export interface LocalSourceCredentials {
  readonly nightscoutApiSecret: string;
  readonly bunqApiKey: string;
}

/** A fake's URL on this machine, and as a function sees it (what the overlay gives the system). */
export function localSourceUrl(source: keyof typeof LOCAL_SOURCES): { here: string; forFunctions: string } {
  const { port, path: apiPath } = LOCAL_SOURCES[source];
  const here = `http://127.0.0.1:${port}${apiPath}`;
  return { here, forFunctions: functionSideUrl(here) };
}

/**
 * Writes `.local/metadata-overlay/systems.json` pointing NSC01 and BNQ01 at the fakes, unless the file is there: it
 * is yours to change then (remove an entry to deploy that system's real URL). Returns whether it wrote the file.
 */
export async function ensureLocalSourcesOverlay(): Promise<boolean> {
  const file = path.join(OVERLAY_DIR, 'systems.json');
  if (await stat(file).then(() => true, () => false)) return false;
  const patches = (['nightscout', 'bunq'] as const).map((source) => ({
    id: LOCAL_SOURCES[source].system_id,
    connection: { base_url: localSourceUrl(source).forFunctions },
  }));
  await mkdir(OVERLAY_DIR, { recursive: true });
  await writeFile(file, `${JSON.stringify(patches, null, 2)}\n`);
  return true;
}

/**
 * Starts the fakes in the background with `credentials`, after stopping those a previous start left (so they take
 * the secrets as they are now); resolves once both answer, and fails with the end of their log otherwise.
 */
export async function startLocalSources(credentials: LocalSourceCredentials): Promise<{ readonly pid: number }> {
  await stopLocalSources();
  for (const source of ['nightscout', 'bunq'] as const) {
    if (await answers(localSourceUrl(source).here)) {
      throw new Error(`fake sources: port ${LOCAL_SOURCES[source].port} on 127.0.0.1 is taken by another process (not the fake ${source})`);
    }
  }
  await mkdir(path.dirname(FAKE_SOURCES_LOG), { recursive: true });
  await mkdir(RUN_DIR, { recursive: true });
  const log = openSync(FAKE_SOURCES_LOG, 'a');
  let exited: number | null = null;
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...process.env, FAKE_NIGHTSCOUT_API_SECRET: credentials.nightscoutApiSecret, FAKE_BUNQ_API_KEY: credentials.bunqApiKey },
    });
    child.once('exit', (code) => {
      exited = code ?? 1;
    });
    child.unref();
    if (child.pid === undefined) throw new Error('fake sources: the process did not start');
    await writeFile(PID_FILE, `${child.pid}\n`);
    const deadline = Date.now() + 30_000;
    while (!(await answers(localSourceUrl('nightscout').here)) || !(await answers(localSourceUrl('bunq').here))) {
      if (exited !== null || Date.now() > deadline) {
        const tail = (await readFile(FAKE_SOURCES_LOG, 'utf8').catch(() => '')).trim().split('\n').slice(-10).join('\n');
        throw new Error(`fake sources ${exited === null ? 'did not answer within 30 s' : `exited (${exited})`}; end of ${FAKE_SOURCES_LOG}:\n${tail}`);
      }
      await sleep(200);
    }
    return { pid: child.pid };
  } finally {
    closeSync(log);
  }
}

/** Stops the fakes a previous start left running (by the pid file; a pid that is no longer theirs is left alone). */
export async function stopLocalSources(): Promise<void> {
  const pid = Number((await readFile(PID_FILE, 'utf8').catch(() => '')).trim());
  if (Number.isInteger(pid) && pid > 0 && (await isFakeSources(pid))) {
    process.kill(pid, 'SIGTERM');
    for (let waited = 0; waited < 5000 && (await isFakeSources(pid)); waited += 100) await sleep(100);
    if (await isFakeSources(pid)) process.kill(pid, 'SIGKILL');
  }
  await rm(PID_FILE, { force: true });
}

async function isFakeSources(pid: number): Promise<boolean> {
  const commandLine = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return commandLine.includes('serve-local-sources');
}

/** Whether anything answers HTTP there (any status: the fakes answer 401/404 to a bare GET). */
async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}
