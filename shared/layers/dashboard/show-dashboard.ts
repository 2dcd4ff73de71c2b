import type { Db } from '../../adapters/postgres/transaction.ts';
import { NotFoundError, isPlatformError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import type { LoadedMetadata } from '../../metadata/metadata-loader.ts';
import { readDashboardOverview, type DashboardOverview, type OverviewMetadata } from './dashboard-overview.ts';
import type { DashboardQuery } from './dashboard-request.ts';
import { dashboardScript } from './dashboard-script.ts';
import { readLineageView, type LineageView, type LogAccess } from './lineage-view.ts';
import { CONTENT_SECURITY_POLICY } from './page-parts.ts';
import { renderDashboardPage } from './render-dashboard.ts';
import { renderLineagePage } from './render-lineage.ts';

/** What the dashboard needs: the audit database, the active metadata, and the way to the function logs. */
export interface DashboardDeps {
  readonly db: Db;
  readonly metadata: () => Promise<LoadedMetadata>;
  readonly log: Logger;
  readonly logs: LogAccess;
  readonly now: () => Date;
}

/** A page or the page's script (with the headers it is served with), or an overview or lineage as data. */
export type DashboardAnswer =
  | { readonly format: 'text'; readonly headers: Readonly<Record<string, string>>; readonly body: string }
  | { readonly format: 'json'; readonly body: DashboardOverview | LineageView };

/** The content type of the pages. */
export const HTML_CONTENT_TYPE = 'text/html; charset=utf-8';

const PAGE_HEADERS = {
  'content-type': HTML_CONTENT_TYPE,
  'cache-control': 'no-store',
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/**
 * Answers one request: the page's script (`asset`), one batch's lineage (`batch_id`) or the overview, as HTML or
 * JSON. Metadata that cannot be read (none deployed yet, MongoDB down) does not hide the audit: the page says why
 * and shows what PostgreSQL knows. A PostgreSQL failure is thrown, and the template answers it (503 when down).
 */
export async function showDashboard(request: DashboardQuery, deps: DashboardDeps): Promise<DashboardAnswer> {
  if (request.asset !== undefined) return scriptAnswer(request.asset);
  const metadata = await activeMetadata(deps);
  if (request.batch_id !== undefined) {
    const view = await readLineageView(deps.db, request.batch_id, {
      systems: 'error' in metadata ? [] : metadata.systems,
      logs: deps.logs,
      now: deps.now(),
    });
    if (request.format === 'json') return { format: 'json', body: view };
    return { format: 'text', headers: PAGE_HEADERS, body: renderLineagePage(view) };
  }
  const overview = await readDashboardOverview(deps.db, metadata, {
    systemId: request.system_id,
    batches: request.batches,
  });
  if (request.format === 'json') return { format: 'json', body: overview };
  const page = renderDashboardPage(overview, { refreshSeconds: request.refresh, script: dashboardScript()?.name ?? null });
  return { format: 'text', headers: PAGE_HEADERS, body: page };
}

/** The page's script under its hashed name, kept by browsers for good; any other name is not found. */
function scriptAnswer(name: string): DashboardAnswer {
  const script = dashboardScript();
  if (script === null || script.name !== name) throw new NotFoundError(`the dashboard serves no asset ${name}`);
  return {
    format: 'text',
    headers: {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'private, max-age=31536000, immutable',
      'x-content-type-options': 'nosniff',
    },
    body: script.text,
  };
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
