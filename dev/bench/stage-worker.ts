/**
 * The process one benchmark task runs in: `node stage-worker.mjs <task JSON> <result file>`. It does the task,
 * then writes the result with its own peak RSS (`process.resourceUsage().maxRSS`), so each stage's memory is
 * measured alone. The orchestrator bundles this file with esbuild as the functions are bundled.
 */
import { writeFile } from 'node:fs/promises';
import { runBaselineCopy, runBaselineLanding, runBaselineSilver } from './baseline-tasks.ts';
import { BenchTask, type TaskResult, type TaskWork } from './bench-task.ts';
import { closeConnections, openConnections, runBronze, runLanding, runSilver, type TaskConnections } from './stage-tasks.ts';

function runTask(task: BenchTask, connections: TaskConnections): Promise<TaskWork> {
  switch (task.kind) {
    case 'landing':
      return runLanding(task, connections);
    case 'bronze':
      return runBronze(task, connections);
    case 'silver':
      return runSilver(task, connections);
    case 'baseline_copy':
      return runBaselineCopy(task, connections);
    case 'baseline_landing':
      return runBaselineLanding(task, connections);
    case 'baseline_silver':
      return runBaselineSilver(task, connections);
  }
}

async function main(argv: readonly string[]): Promise<void> {
  const [taskJson, resultFile] = argv;
  if (taskJson === undefined || resultFile === undefined) throw new Error('usage: stage-worker <task JSON> <result file>');
  const task = BenchTask.parse(JSON.parse(taskJson));
  const connections = await openConnections(task);
  let work: TaskWork;
  try {
    work = await runTask(task, connections);
  } finally {
    await closeConnections(connections);
  }
  // maxRSS is in KiB: the high-water mark of this process's resident memory over its whole life.
  const result: TaskResult = { ...work, peak_rss_mb: process.resourceUsage().maxRSS / 1024 };
  await writeFile(resultFile, JSON.stringify(result));
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
