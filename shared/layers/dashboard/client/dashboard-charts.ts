/**
 * The dashboard page's only script: draws each chart of the page's JSON island (`<script type="application/json"
 * id="dashboard-charts">`, a list of `ChartSpec`) on its canvas (`chart-<id>`) with Chart.js. It decides nothing:
 * chart-series.ts chose the labels, series and colours on the server. Bundled for the browser with Chart.js by the
 * build (dev/build.ts) and served by the dashboard function itself (`?asset=…`), so the page needs no network.
 */
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip, type ChartConfiguration } from 'chart.js';
import type { ChartSpec } from '../chart-series.ts';

/**
 * The few DOM members this script touches, declared here: the project type-checks for Node, and the DOM library
 * would change Node's types (fetch bodies, timers) for every other file.
 */
declare const document: { getElementById(id: string): PageElement | null };
interface PageElement {
  readonly tagName: string;
  readonly textContent: string | null;
  readonly dataset: Record<string, string | undefined>;
}

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Legend, Tooltip);
Chart.defaults.font.family = 'system-ui, sans-serif';
Chart.defaults.color = '#424a53';

function chartConfig(spec: ChartSpec): ChartConfiguration {
  const valueAxis = spec.horizontal ? 'x' : 'y';
  const labelAxis = spec.horizontal ? 'y' : 'x';
  const dense = spec.labels.length > 40;
  return {
    type: spec.type,
    data: {
      labels: [...spec.labels],
      datasets: spec.series.map((series) => ({
        label: series.label,
        data: [...series.data],
        ...(series.type ? { type: series.type } : {}),
        backgroundColor: series.color as string,
        borderColor: series.color as string,
        borderWidth: spec.type === 'line' ? 2 : 0,
        pointRadius: dense ? 0 : 2,
        spanGaps: true,
      })),
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      indexAxis: labelAxis,
      interaction: { mode: 'index', intersect: false },
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
      scales: {
        [labelAxis]: { stacked: spec.stacked ?? false, ticks: { autoSkip: true, maxRotation: 0 }, grid: { display: false } },
        [valueAxis]: { stacked: spec.stacked ?? false, beginAtZero: spec.type === 'bar', title: { display: true, text: spec.unit } },
      },
    },
  } as ChartConfiguration;
}

const island = document.getElementById('dashboard-charts');
const specs = JSON.parse(island?.textContent ?? '[]') as ChartSpec[];
for (const spec of specs) {
  const canvas = document.getElementById(`chart-${spec.id}`);
  if (canvas?.tagName !== 'CANVAS') continue;
  new Chart(canvas as unknown as ConstructorParameters<typeof Chart>[0], chartConfig(spec));
  canvas.dataset.rendered = 'true';
}
