import type { Handler } from '../../shared/handler.ts';
import { loadEnv } from '../../shared/config.ts';
import { GATEWAY_USER, readGatewayPassword } from '../../shared/layers/dashboard/call-logs.ts';
import { DashboardQuery } from '../../shared/layers/dashboard/dashboard-request.ts';
import type { LogAccess } from '../../shared/layers/dashboard/lineage-view.ts';
import { showDashboard } from '../../shared/layers/dashboard/show-dashboard.ts';
import { createFunctionDeps, type FunctionDeps } from '../../shared/runtime/function-deps.ts';

/**
 * The audit overview as a web page: `GET /function/dashboard` answers HTML (systems with freshness, charts, stuck
 * work, failed work with the command that reruns it, counts per batch, gold tables, actions); `?batch_id=…` one
 * batch from landing to gold with its checks and each call's logs; `?format=json` either as data; `?asset=…` the
 * page's script. Read-only: it connects as a role that can only read (`DATABASE_URL` of the dashboard in stack.yml;
 * docs/security.md), so it applies no migrations, and reads logs with the gateway password when it is given one.
 * See docs/operate.md.
 */
let deps: FunctionDeps | undefined;
let logs: LogAccess | undefined;

export const handler: Handler = async (event, context) => {
  const request = context.parse(DashboardQuery, event.query, 'query');
  const shared = (deps ??= createFunctionDeps({ name: 'dashboard', log: context.log, migrate: false }));
  logs ??= logAccess();
  const answer = await showDashboard(request, { db: await shared.pool(), metadata: () => shared.metadata(), log: context.log, logs, now: shared.now });
  if (answer.format === 'json') {
    context.headers({ 'cache-control': 'no-store' });
    return answer.body;
  }
  context.headers(answer.headers);
  return answer.body;
};

/** The gateway's `/system/logs` with its admin password (the OpenFaaS secret), or no logs without it. */
function logAccess(): LogAccess {
  const password = readGatewayPassword();
  if (password === undefined) return { admin: undefined, namespace: '' };
  const env = loadEnv();
  return { admin: { baseUrl: env.GATEWAY_URL, user: GATEWAY_USER, password }, namespace: env.FUNCTION_NAMESPACE };
}
