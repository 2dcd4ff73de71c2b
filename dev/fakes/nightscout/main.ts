/**
 * Runs the fake Nightscout by hand: realistic CGM readings of the last `--days` (default 14; cgm-simulator.ts: a daily
 * rhythm, meals, noise, enough to train the glucose forecast) ending now, beside the recorded treatments, device
 * status and profiles:
 * `npx tsx dev/fakes/nightscout/main.ts --port 1337 [--days 14] [--api-secret <12+ chars>] [--token <t>] [--denied] [--v1-only]`
 * (`--v1-only`: a site without API v3). The token also opens API v3 (exchanged for a JWT).
 */
import { devicestatus, profiles, treatments } from '../../../tests/fixtures/nightscout/dataset.ts';
import { closeOnSignal, readFakeArgs } from '../cli-args.ts';
import { cgmEntries } from './cgm-simulator.ts';
import { startFakeNightscout } from './fake-nightscout.ts';

const args = readFakeArgs(process.argv.slice(2), {
  'api-secret': { type: 'string' },
  token: { type: 'string' },
  denied: { type: 'boolean' },
  'v1-only': { type: 'boolean' },
  days: { type: 'string' },
});
const days = Number(args.flags.days ?? '14');
if (!Number.isInteger(days) || days < 1 || days > 366) throw new Error(`--days: expected 1…366, got ${String(args.flags.days)}`);
const apiSecret = args.flags['api-secret'];
const token = args.flags.token;
const fake = await startFakeNightscout({
  port: args.port,
  host: args.host,
  ...(typeof apiSecret === 'string' ? { apiSecret } : {}),
  ...(typeof token === 'string' ? { tokens: [token] } : {}),
  authDefaultRoles: args.flags.denied === true ? 'denied' : 'readable',
  v3: args.flags['v1-only'] !== true,
  data: { entries: cgmEntries({ end: Math.floor(Date.now() / 300_000) * 300_000, days }), treatments: treatments(), devicestatus: devicestatus(), profile: profiles() },
});
process.stdout.write(`${JSON.stringify({ fake: 'nightscout', url: fake.url, api: `${fake.url}/api/v1`, ...(args.flags['v1-only'] === true ? {} : { api_v3: `${fake.url}/api/v3` }) })}\n`);
closeOnSignal(fake.close);
