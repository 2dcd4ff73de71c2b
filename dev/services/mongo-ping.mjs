// Health check for dev/services.sh: a real MongoDB `ping` (FerretDB answers it only when its PostgreSQL
// backend is reachable). Exit 0 when it answers ok, 1 otherwise; usage: node mongo-ping.mjs URL
import { MongoClient } from 'mongodb';

const url = process.argv[2] ?? 'mongodb://127.0.0.1:27017/?directConnection=true';
const client = new MongoClient(url, { serverSelectionTimeoutMS: 1500, connectTimeoutMS: 1500 });
try {
  const answer = await client.db('admin').command({ ping: 1 });
  process.exitCode = answer.ok === 1 ? 0 : 1;
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
} finally {
  await client.close();
}
