/**
 * Runs the fake bunq by hand with the recorded fixtures:
 * `npx tsx dev/fakes/bunq/main.ts --port 1338 [--api-key <key>] [--rate-limit]`. The API is at `<url>/v1`.
 */
import { bunqDataset } from '../../../tests/fixtures/bunq/dataset.ts';
import { closeOnSignal, readFakeArgs } from '../cli-args.ts';
import { startFakeBunq } from './fake-bunq.ts';

const args = readFakeArgs(process.argv.slice(2), { 'api-key': { type: 'string' }, 'rate-limit': { type: 'boolean' } });
const apiKey = args.flags['api-key'];
const dataset = bunqDataset();
const fake = await startFakeBunq({
  port: args.port,
  host: args.host,
  apiKey: typeof apiKey === 'string' ? apiKey : 'sandbox_fake_api_key',
  ...dataset,
  rateLimits: args.flags['rate-limit'] === true ? 'bunq' : false,
});
process.stdout.write(`${JSON.stringify({ fake: 'bunq', url: fake.url, api: fake.apiUrl })}\n`);
closeOnSignal(fake.close);
