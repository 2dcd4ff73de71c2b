/**
 * The machine a run measured on: cores, memory, and the load average sampled through the run (the numbers only
 * mean something next to how busy the machine was).
 */
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';

/** What the report says about the machine. */
export interface MachineFacts {
  readonly nproc: number;
  readonly cpu_model: string;
  readonly memory_mb: number;
  readonly node: string;
  readonly postgres: string;
  /** 1-minute load average: at start, at end, and the mean and max of samples taken during the run. */
  readonly load_average: { readonly start: number; readonly end: number; readonly mean: number; readonly max: number; readonly samples: number };
}

/** Samples the 1-minute load average every `intervalMs` until stopped. */
export function startLoadSampler(intervalMs = 5_000): { stop(): { start: number; end: number; mean: number; max: number; samples: number } } {
  const first = loadavg()[0] ?? 0;
  const samples: number[] = [first];
  const timer = setInterval(() => samples.push(loadavg()[0] ?? 0), intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      const end = loadavg()[0] ?? 0;
      samples.push(end);
      const mean = samples.reduce((sum, value) => sum + value, 0) / samples.length;
      const round = (value: number): number => Math.round(value * 100) / 100;
      return { start: round(first), end: round(end), mean: round(mean), max: round(Math.max(...samples)), samples: samples.length };
    },
  };
}

/** Cores, memory and versions; `postgres` is `select version()` of the server used. */
export function machineFacts(postgres: string, load: MachineFacts['load_average']): MachineFacts {
  return {
    nproc: availableParallelism(),
    cpu_model: cpus()[0]?.model ?? 'unknown',
    memory_mb: Math.round(totalmem() / 1024 / 1024),
    node: process.version,
    postgres,
    load_average: load,
  };
}
