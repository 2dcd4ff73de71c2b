/**
 * The background process of the fake sources `npm start` runs (dev/fakes/local-sources.ts): the fake Nightscout on
 * 127.0.0.1:1337 and the fake bunq on 127.0.0.1:1338 (API at /v1), with live data, accepting the credentials given
 * in FAKE_NIGHTSCOUT_API_SECRET and FAKE_BUNQ_API_KEY (never logged). Logs one JSON line per start and stop to
 * stdout (.local/log/fake-sources.log); stops on SIGTERM or SIGINT.
 */
import { startFakeBunq } from './bunq/fake-bunq.ts';
import { keepPaying, liveAccountData } from './bunq/live-account.ts';
import { LOCAL_SOURCES } from './local-sources.ts';
import { startFakeNightscout } from './nightscout/fake-nightscout.ts';
import { keepUploading, liveSiteData } from './nightscout/live-site.ts';

/** Days of CGM readings the site holds when it starts. */
const SITE_DAYS = 6;

function credential(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set: start the fake sources with npm start`);
  return value;
}

const started = Date.now();
const nightscout = await startFakeNightscout({
  port: LOCAL_SOURCES.nightscout.port,
  apiSecret: credential('FAKE_NIGHTSCOUT_API_SECRET'),
  data: liveSiteData(started, SITE_DAYS),
});
const bunq = await startFakeBunq({ port: LOCAL_SOURCES.bunq.port, apiKey: credential('FAKE_BUNQ_API_KEY'), ...liveAccountData(started) });
const uploading = keepUploading(nightscout, started);
const paying = keepPaying(bunq, started);
const say = (message: string, fields: Record<string, unknown> = {}): void =>
  void process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), pid: process.pid, message, ...fields })}\n`);
say('fake sources started', { nightscout: nightscout.url, bunq: bunq.apiUrl, entries: nightscout.data.entries.length, payments: bunq.payments.length });

const stop = (signal: string): void => {
  uploading.stop();
  paying.stop();
  void Promise.all([nightscout.close(), bunq.close()]).finally(() => {
    say('fake sources stopped', { signal });
    process.exit(0);
  });
};
process.once('SIGTERM', () => stop('SIGTERM'));
process.once('SIGINT', () => stop('SIGINT'));
