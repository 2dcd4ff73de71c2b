/**
 * Runs the fake Nightscout by hand with the recorded fixtures shifted to end now:
 * `npx tsx dev/fakes/nightscout/main.ts --port 1337 [--api-secret <12+ chars>] [--token <t>] [--denied]`.
 */
import { nightscoutDataset } from '../../../tests/fixtures/nightscout/dataset.ts';
import { closeOnSignal, readFakeArgs } from '../cli-args.ts';
import { startFakeNightscout } from './fake-nightscout.ts';

const args = readFakeArgs(process.argv.slice(2), {
  'api-secret': { type: 'string' },
  token: { type: 'string' },
  denied: { type: 'boolean' },
});
const apiSecret = args.flags['api-secret'];
const token = args.flags.token;
const fake = await startFakeNightscout({
  port: args.port,
  host: args.host,
  ...(typeof apiSecret === 'string' ? { apiSecret } : {}),
  ...(typeof token === 'string' ? { tokens: [token] } : {}),
  authDefaultRoles: args.flags.denied === true ? 'denied' : 'readable',
  data: nightscoutDataset(Math.floor(Date.now() / 300_000) * 300_000),
});
process.stdout.write(`${JSON.stringify({ fake: 'nightscout', url: fake.url, api: `${fake.url}/api/v1` })}\n`);
closeOnSignal(fake.close);
