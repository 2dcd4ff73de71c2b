/**
 * Runs the fake Nightscout by hand with the recorded fixtures shifted to end now:
 * `npx tsx dev/fakes/nightscout/main.ts --port 1337 [--api-secret <12+ chars>] [--token <t>] [--denied] [--v1-only]`
 * (`--v1-only`: a site without API v3). The token also opens API v3 (exchanged for a JWT).
 */
import { nightscoutDataset } from '../../../tests/fixtures/nightscout/dataset.ts';
import { closeOnSignal, readFakeArgs } from '../cli-args.ts';
import { startFakeNightscout } from './fake-nightscout.ts';

const args = readFakeArgs(process.argv.slice(2), {
  'api-secret': { type: 'string' },
  token: { type: 'string' },
  denied: { type: 'boolean' },
  'v1-only': { type: 'boolean' },
});
const apiSecret = args.flags['api-secret'];
const token = args.flags.token;
const fake = await startFakeNightscout({
  port: args.port,
  host: args.host,
  ...(typeof apiSecret === 'string' ? { apiSecret } : {}),
  ...(typeof token === 'string' ? { tokens: [token] } : {}),
  authDefaultRoles: args.flags.denied === true ? 'denied' : 'readable',
  v3: args.flags['v1-only'] !== true,
  data: nightscoutDataset(Math.floor(Date.now() / 300_000) * 300_000),
});
process.stdout.write(`${JSON.stringify({ fake: 'nightscout', url: fake.url, api: `${fake.url}/api/v1`, ...(args.flags['v1-only'] === true ? {} : { api_v3: `${fake.url}/api/v3` }) })}\n`);
closeOnSignal(fake.close);
