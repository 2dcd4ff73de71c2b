import type { Handler } from '../../shared/handler.ts';
import { DashboardQuery } from '../../shared/layers/dashboard/dashboard-request.ts';
import { showDashboard } from '../../shared/layers/dashboard/show-dashboard.ts';
import { createFunctionDeps, type FunctionDeps } from '../../shared/runtime/function-deps.ts';

/**
 * The audit overview as a web page: `GET /function/dashboard` answers HTML (latest runs per system, stuck work,
 * failed work with errors, counts per batch, gold tables, actions); `?format=json` the same as data;
 * `?system_id=TST01`, `?batches=50`, `?refresh=0` narrow it. Read-only: it connects as a role that can only read
 * (`DATABASE_URL` of the dashboard in stack.yml; docs/security.md), so it applies no migrations. See docs/operate.md.
 */
let deps: FunctionDeps | undefined;

export const handler: Handler = async (event, context) => {
  const request = context.parse(DashboardQuery, event.query, 'query');
  const shared = (deps ??= createFunctionDeps({ name: 'dashboard', log: context.log, migrate: false }));
  const answer = await showDashboard(request, { db: await shared.pool(), metadata: () => shared.metadata(), log: context.log });
  if (answer.format === 'json') {
    context.headers({ 'cache-control': 'no-store' });
    return answer.body;
  }
  context.headers({ 'content-type': answer.contentType, 'cache-control': 'no-store' });
  return answer.body;
};
