// Cluster logging figures: the pipeline's throughput from one node to searchable (lines already in a node's
// /var/log/pods tree, read by the collector, shipped over HTTP to the store, committed to SQLite with FTS5) and search
// latency over the stored lines (GET /search for a word of a few lines and for a common word, limit 100). Prints
// figures; asserts nothing.
// Run: node dist/bench/logs.js [--lines 1000000] [--pods 20] [--searches 200] [--json]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LogCollector } from '../addons/logging/collector.js';
import { collectorDefaults, storeDefaults } from '../addons/logging/config.js';
import { shipToStore, startLogStore } from '../addons/logging/index.js';
import { until } from '../test/until.js';
import { benchArgs, fmtMs, percentile, printJson, round } from './timing.js';

const { values } = benchArgs({
  options: {
    lines: { type: 'string', default: '1000000' },
    pods: { type: 'string', default: '20' },
    searches: { type: 'string', default: '200' },
    json: { type: 'boolean', default: false },
  },
});
const LINES = Number(values.lines);
const PODS = Number(values.pods);
const SEARCHES = Number(values.searches);

/** An access-log-like line: a rare word (req-N), a word shared by 1 line in 1000 (user-N) and common words. */
const line = (i: number) => `10.244.1.${i % 250} - user-${i % 1000} "GET /api/v${i % 7}/items/${i} HTTP/1.1" 200 ${i % 5000} req-${i}`;

async function writeTree(root: string): Promise<void> {
  // A millisecond apart, ending now: within the store's age limit, which would drop older lines as they arrive.
  const t0 = Date.now() - LINES;
  for (let p = 0; p < PODS; p++) {
    const dir = path.join(root, `bench_web-${p}_uid-${p}`, 'web');
    fs.mkdirSync(dir, { recursive: true });
    const fd = fs.openSync(path.join(dir, '0.log'), 'w');
    let buf = '';
    for (let i = p; i < LINES; i += PODS) {
      buf += `${new Date(t0 + i).toISOString()} stdout F ${line(i)}\n`;
      if (buf.length > 1 << 20) {
        fs.writeSync(fd, buf);
        buf = '';
      }
    }
    fs.writeSync(fd, buf);
    fs.closeSync(fd);
  }
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-bench-logs-'));
  const store = await startLogStore({ ...storeDefaults, listen: '127.0.0.1:0', dataDir: path.join(dir, 'store'), maxBytes: 64 * 1024 ** 3 });
  const url = `http://127.0.0.1:${store.port()}`;
  const collector = new LogCollector(
    { ...collectorDefaults, nodeName: 'bench', podLogDir: path.join(dir, 'pods'), positionFile: path.join(dir, 'positions.json'), pollMs: 20 },
    { labels: async () => ({ app: 'web' }), ship: (r) => shipToStore(url, r) },
  );
  try {
    console.log(`logs bench: ${LINES} lines in ${PODS} pods' files on one node, ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(1)}`);
    await writeTree(path.join(dir, 'pods'));
    const t0 = performance.now();
    await collector.start();
    await until('every line searchable', () => collector.shippedLines >= LINES, 3_600_000, 20);
    const pipelineS = (performance.now() - t0) / 1000;
    const linesPerS = LINES / pipelineS;
    const stored = store.store.count();
    console.log(`pipeline: ${LINES} lines searchable in ${pipelineS.toFixed(1)} s: ${linesPerS.toFixed(0)} lines/s (store ${stored} lines, ${(store.store.size() / 1024 ** 2).toFixed(0)} MB)`);
    // The searches are over every line or the figures are not the ones named.
    if (stored !== LINES) throw new Error(`the store holds ${stored} lines, not ${LINES}`);

    const timed = async (q: (i: number) => string) => {
      const ms: number[] = [];
      for (let i = 0; i < SEARCHES; i++) {
        const s = performance.now();
        const res = await fetch(`${url}/search?${q(i)}&limit=100`);
        await res.text();
        if (res.status !== 200) throw new Error(`search: HTTP ${res.status}`);
        ms.push(performance.now() - s);
      }
      return ms.sort((a, b) => a - b);
    };
    const rare = await timed((i) => `q=req-${(i * 7919) % LINES}`);
    const one = (await (await fetch(`${url}/search?q=req-${LINES - 1}`)).text()).trim().split('\n');
    if (one.length !== 1 || !one[0]!.includes(`req-${LINES - 1}"`)) throw new Error(`a rare word found ${one.length} lines: ${one[0]?.slice(0, 200)}`);
    const common = await timed((i) => `q=user-${i % 1000}+GET`);
    const filtered = await timed((i) => `q=items&pod=web-${i % PODS}`);
    for (const [name, ms] of [['rare word', rare], ['word in 1/1000 lines', common], ['common word, one pod', filtered]] as const) {
      console.log(`search ${name.padEnd(22)} p50 ${fmtMs(percentile(ms, 50))} ms  p99 ${fmtMs(percentile(ms, 99))} ms`);
    }
    if (values.json) {
      printJson({
        lines: LINES,
        pipeline_lines_per_s: round(linesPerS, 0),
        search_rare_p50_ms: round(percentile(rare, 50)),
        search_rare_p99_ms: round(percentile(rare, 99)),
        search_common_p50_ms: round(percentile(common, 50)),
        search_common_p99_ms: round(percentile(common, 99)),
        search_filtered_p99_ms: round(percentile(filtered, 99)),
      });
    }
  } finally {
    await collector.close();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
