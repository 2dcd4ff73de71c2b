/**
 * The page's script (client/dashboard-charts.ts with Chart.js), which the build bakes into the dashboard's bundle
 * (dev/build.ts, `BROWSER_SCRIPTS`) and the function serves itself at `?asset=<name>`: no CDN, no network. Its name
 * carries a hash of its content, so a browser may keep it for good and a new build is fetched under a new name.
 */
import { createHash } from 'node:crypto';

/** The script as served: its content-hashed file name and its text. */
export interface DashboardScript {
  readonly name: string;
  readonly text: string;
}

let script: DashboardScript | null | undefined;

/** The bundled script, or null when the code runs unbundled (tests, tsx): the page then shows no charts. */
export function dashboardScript(): DashboardScript | null {
  if (script === undefined) {
    const text = process.env.DATAPLATFORM_DASHBOARD_SCRIPT;
    script = text ? { name: `dashboard-charts.${createHash('sha256').update(text).digest('hex').slice(0, 16)}.js`, text } : null;
  }
  return script;
}
