import type { Db } from '../../adapters/postgres/transaction.ts';
import { isPlatformError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import type { LoadedMetadata } from '../../metadata/metadata-loader.ts';
import { readDashboardOverview, type DashboardOverview, type OverviewMetadata } from './dashboard-overview.ts';
import type { DashboardQuery } from './dashboard-request.ts';
import { renderDashboardPage } from './render-dashboard.ts';

/** What the dashboard needs: the audit database and the active metadata. */
export interface DashboardDeps {
  readonly db: Db;
  readonly metadata: () => Promise<LoadedMetadata>;
  readonly log: Logger;
}

/** The page (`text/html`) or the overview as data (answered as JSON by the template). */
export type DashboardAnswer =
  | { readonly format: 'html'; readonly contentType: string; readonly body: string }
  | { readonly format: 'json'; readonly body: DashboardOverview };

/** The content type of the page. */
export const HTML_CONTENT_TYPE = 'text/html; charset=utf-8';

/**
 * Reads the overview and answers it in the asked format. Metadata that cannot be read (none deployed yet,
 * MongoDB down) does not hide the audit: the page says why and shows what PostgreSQL knows. A PostgreSQL
 * failure is thrown, and the template answers it (503 for an unreachable database).
 */
export async function showDashboard(request: DashboardQuery, deps: DashboardDeps): Promise<DashboardAnswer> {
  const overview = await readDashboardOverview(deps.db, await activeMetadata(deps), {
    systemId: request.system_id,
    batches: request.batches,
  });
  if (request.format === 'json') return { format: 'json', body: overview };
  return { format: 'html', contentType: HTML_CONTENT_TYPE, body: renderDashboardPage(overview, { refreshSeconds: request.refresh }) };
}

async function activeMetadata(deps: DashboardDeps): Promise<OverviewMetadata> {
  try {
    return await deps.metadata();
  } catch (error) {
    if (!isPlatformError(error)) throw error;
    deps.log.warn({ err: error }, 'dashboard without metadata');
    return { error: error.message };
  }
}
