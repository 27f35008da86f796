// What every benchmark shares: percentiles over sorted samples, a timed phase that runs one operation in
// `concurrency` loops for `ms` milliseconds (closed loop), a fixed-rate open loop, the figures table, the --json line,
// a process's CPU and memory from /proc, and the command line.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/**
 * The bench's command-line options (node:util's parseArgs). One it does not know, or a value missing, ends the run
 * with the message and the options it has, not a stack trace.
 */
export function benchArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (e) {
    const known = Object.entries(config.options ?? {}).map(([name, o]) => `--${name}${o.type === 'string' ? ' <value>' : ''}`);
    console.error(`${path.basename(process.argv[1] ?? 'bench')}: ${(e as Error).message}\noptions: ${known.join(' ')}`);
    process.exit(2);
  }
}

/** The p-th percentile of ascending samples (NaN when there are none). */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export interface PhaseResult {
  /** Per-call latencies in ms, ascending. */
  latencies: number[];
  elapsedMs: number;
}

export async function timedPhase(concurrency: number, ms: number, fn: (worker: number, i: number) => Promise<unknown>): Promise<PhaseResult> {
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const t0 = performance.now();
        await fn(w, i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), elapsedMs: performance.now() - started };
}

/** Prints a table: the first `textColumns` columns (names) left-aligned, the figures after them right-aligned. */
export function printTable(header: string[], rows: string[][], textColumns = 1): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i < textColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(fmt(header));
  for (const r of rows) console.log(fmt(r));
}

export interface OpenLoopResult extends PhaseResult {
  /** Calls that failed (counted, not timed). */
  errors: number;
  /** The rate actually offered (calls started per second). */
  offeredPerSec: number;
}

/**
 * Open-loop load: `rate` calls a second for `ms`, each started when it is due whether or not earlier ones have finished
 * (as clients of a real server do), so a slow server shows as latency and not as a lower rate. Latency counts from
 * the time a call was due, so a loaded generator cannot hide queueing (no coordinated omission).
 */
export async function openLoop(rate: number, ms: number, fn: (i: number) => Promise<unknown>): Promise<OpenLoopResult> {
  const total = Math.max(1, Math.floor((rate * ms) / 1000));
  const interval = 1000 / rate;
  const latencies: number[] = [];
  const inFlight: Promise<void>[] = [];
  let errors = 0;
  const started = performance.now();
  let issued = 0;
  while (issued < total) {
    const now = performance.now();
    for (; issued < total && started + issued * interval <= now; issued++) {
      const due = started + issued * interval;
      inFlight.push(
        fn(issued).then(
          () => void latencies.push(performance.now() - due),
          () => void errors++,
        ),
      );
    }
    if (issued < total) await new Promise((r) => setTimeout(r, Math.max(0, started + issued * interval - performance.now())));
  }
  const offeredPerSec = (total * 1000) / (performance.now() - started);
  await Promise.all(inFlight);
  return { latencies: latencies.sort((a, b) => a - b), elapsedMs: performance.now() - started, errors, offeredPerSec };
}

/** Milliseconds with a precision that suits their size ("-" for no figure). */
export const fmtMs = (n: number): string => (Number.isNaN(n) ? '-' : n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0));

/** A figure rounded for the JSON line (null when there is none). */
export const round = (n: number | undefined, digits = 2): number | null => (n === undefined || Number.isNaN(n) ? null : Number(n.toFixed(digits)));

/** What `--json` prints: one JSON object of the figures, as the last line of stdout. */
export function printJson(figures: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

/** utime + stime of a process in seconds (/proc/PID/stat fields 14 and 15, in clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident set size of a process in MB (VmRSS of /proc/PID/status). */
export function rssMb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * A bench that cannot run here says why on stdout and, with --json, as {"skipped": why} on its last line; the
 * runner shows it as skipped. Exits 0: a missing tool or privilege is not a failure of the bench.
 */
export function skip(why: string, json: boolean): never {
  console.log(`skipped: ${why}`);
  if (json) printJson({ skipped: why });
  process.exit(0);
}
