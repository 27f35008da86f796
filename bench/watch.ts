// The API server under load, through HTTPS like any client: watch fan-out (N concurrent watches on one resource,
// then one write: how long until every watcher has the event) and create/get/list/update throughput and latency at a
// fixed concurrency on the SQLite store. Prints figures; asserts nothing.
// Run: node dist/bench/watch.js [--watchers 1000] [--rounds 5] [--seconds 3] [--concurrency 16]
import type { ClientRequest } from 'node:http';
import https from 'node:https';
import { Resources } from '../api/resources.js';
import type { KubeObject } from '../api/types.js';
import { startServer, type TestServer } from '../test/server-fixture.js';
import { benchArgs, percentile } from './timing.js';
import { apiLoad, printRows } from './workload.js';

const { values } = benchArgs({
  options: {
    watchers: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '16' },
  },
});
const WATCHERS = Number(values.watchers);
const ROUNDS = Number(values.rounds);
const PHASE_MS = Number(values.seconds) * 1000;
const CONCURRENCY = Number(values.concurrency);
const NS = 'bench';


const ms = (n: number) => (Number.isNaN(n) ? '-' : n < 10 ? n.toFixed(2) : n.toFixed(1));

interface Watcher {
  req: ClientRequest;
  /** Resolves with the arrival time of the first event about `name`. */
  waitFor(name: string): Promise<number>;
}

/** One raw watch stream (newline-delimited JSON events), from a known resourceVersion. */
function openWatch(srv: TestServer, agent: https.Agent, rv: string): Promise<Watcher> {
  return new Promise((resolve, reject) => {
    const waiting = new Map<string, (t: number) => void>();
    const arrived = new Map<string, number>();
    let buf = '';
    const req = https.request(
      { host: '127.0.0.1', port: srv.port, path: `/api/v1/namespaces/${NS}/configmaps?watch=true&resourceVersion=${rv}&timeoutSeconds=3600`, agent, headers: { accept: 'application/json' } },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`watch: HTTP ${res.statusCode}`));
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const now = performance.now();
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (!line.trim()) continue;
            const name = (JSON.parse(line) as { object: KubeObject }).object.metadata.name!;
            arrived.set(name, now);
            waiting.get(name)?.(now);
          }
        });
        resolve({
          req,
          waitFor: (name) => {
            const t = arrived.get(name);
            return t !== undefined ? Promise.resolve(t) : new Promise((r) => waiting.set(name, r));
          },
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function fanOut(srv: TestServer): Promise<void> {
  const cfg = srv.client.config;
  // Keep-alive agents sized for the streams: each watch holds one socket for its whole life.
  const agents = Array.from({ length: Math.ceil(WATCHERS / 250) }, () => new https.Agent({ ca: cfg.ca, cert: cfg.cert, key: cfg.key, keepAlive: true, maxSockets: 250 }));
  const rv = (await srv.client.list(Resources.configmaps, NS)).metadata.resourceVersion!;
  const t0 = performance.now();
  const watchers: Watcher[] = [];
  // Open in batches: 1000 TLS handshakes at once only measure the handshake queue.
  for (let i = 0; i < WATCHERS; i += 50) watchers.push(...(await Promise.all(Array.from({ length: Math.min(50, WATCHERS - i) }, (_, j) => openWatch(srv, agents[Math.floor((i + j) / 250)], rv)))));
  console.log(`${WATCHERS} watches open in ${ms(performance.now() - t0)} ms`);
  console.log('\nwatch fan-out: one write, time until every watcher has the event (ms)');
  console.log(['round', 'p50', 'p99', 'max'].map((h) => h.padStart(8)).join(''));
  const all: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const name = `fan-${round}`;
    const arrivals = Promise.all(watchers.map((w) => w.waitFor(name)));
    const start = performance.now();
    await srv.client.create(Resources.configmaps, NS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { round: String(round) } } as KubeObject);
    const lat = (await arrivals).map((t) => t - start).sort((a, b) => a - b);
    all.push(...lat);
    console.log([String(round + 1), ms(percentile(lat, 50)), ms(percentile(lat, 99)), ms(lat[lat.length - 1])].map((c) => c.padStart(8)).join(''));
    await new Promise((r) => setTimeout(r, 200));
  }
  all.sort((a, b) => a - b);
  console.log([`all`, ms(percentile(all, 50)), ms(percentile(all, 99)), ms(all[all.length - 1])].map((c) => c.padStart(8)).join(''));
  for (const w of watchers) w.req.destroy();
  for (const a of agents) a.destroy();
}

async function throughput(srv: TestServer): Promise<void> {
  console.log(`\nAPI throughput over HTTPS, SQLite store, concurrency ${CONCURRENCY}, ${PHASE_MS / 1000} s per op (update = unconditional PUT)`);
  printRows(await apiLoad('api (sqlite)', srv.client, `${NS}-tp`, { concurrency: CONCURRENCY, phaseMs: PHASE_MS }));
}

const srv = await startServer({ args: ['--disable-controllers'] });
try {
  await srv.kubectl(['create', 'namespace', NS]);
  await fanOut(srv);
  await throughput(srv);
} finally {
  await srv.destroy();
}
