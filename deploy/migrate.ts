/**
 * One-shot migrations for a deployment (deploy/faasd/deploy.sh, the CI/CD workflow): applies the pending audit
 * migrations before new functions start, so a failing migration stops the deploy instead of the first call. The
 * functions apply them too on first use; this makes the deploy say so up front. DATABASE_URL (or DATABASE_URL_FILE) is
 * the platform's own login.
 */
import { runMigrations } from '../shared/adapters/postgres/migrate.ts';
import { createPool } from '../shared/adapters/postgres/pool.ts';
import { loadEnv } from '../shared/config.ts';

const pool = createPool({ connectionString: loadEnv().DATABASE_URL, applicationName: 'dataplatform-deploy' });
try {
  const report = await runMigrations(pool);
  console.log(`migrations: ${report.applied.length === 0 ? 'none pending' : `applied ${report.applied.join(', ')}`}`);
} finally {
  await pool.end();
}
