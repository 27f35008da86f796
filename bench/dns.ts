// Cluster DNS under load, measured with Debian's dnsperf: `kubets dns` as its own process (as one coredns replica)
// watching a local `kubets server` with many Services, asked over UDP on loopback for (1) cluster names, answered
// from the watch-fed store, (2) outside names held in the cache, (3) outside names never asked before, each forwarded
// to a fake upstream on loopback, then (4) cluster names again at a fixed rate below saturation, whose latencies are the
// p99 figure (at saturation they measure dnsperf's queue). Prints queries/s, latency percentiles and the CPU the DNS
// process used; asserts nothing. Run: node dist/bench/dns.js [--seconds 8] [--services 200] [--clients 4]
// [--rate 2000] [--json]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { Resources } from '../api/resources.js';
import type { Service } from '../api/types.js';
import { FakeUpstream } from '../addons/dns/fakeupstream.js';
import { reservePorts } from '../test/ports.js';
import { spawnOwned, stopOwned, type OwnedProcess } from '../test/processes.js';
import { cliPath, startServer, type TestServer } from '../test/server-fixture.js';
import { until } from '../test/until.js';
import { benchArgs, cpuSeconds, percentile, skip } from './timing.js';
import { commandExists } from './tools.js';

const { values } = benchArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    services: { type: 'string', default: '200' },
    clients: { type: 'string', default: '4' },
    rate: { type: 'string', default: '2000' },
    json: { type: 'boolean', default: false },
  },
});
const SECONDS = Number(values.seconds);
const SERVICES = Number(values.services);
const CLIENTS = Number(values.clients);
const RATE = Number(values.rate);
const NS = 'bench-dns';

interface Phase {
  name: string;
  qps: number;
  completed: number;
  lost: number;
  p50: number;
  p99: number;
  cpu: number;
  qpsPerCore: number;
}

/** One dnsperf run over a query file; latencies from its per-query (-v) lines. */
async function phase(name: string, file: string, dnsPort: number, dns: OwnedProcess, rate?: number): Promise<Phase> {
  const cpu0 = cpuSeconds(dns.proc.pid!);
  const t0 = performance.now();
  // Saturated (100 queries outstanding per client) unless a rate is given: latency at a load the server keeps up with.
  const load = rate ? ['-c', '1', '-q', '100', '-Q', String(rate)] : ['-c', String(CLIENTS), '-q', '100'];
  const r = await execa('dnsperf', ['-s', '127.0.0.1', '-p', String(dnsPort), '-d', file, '-l', String(SECONDS), ...load, '-t', '2', '-v'], { reject: false, maxBuffer: 1 << 30 });
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(dns.proc.pid!) - cpu0;
  const out = String(r.stdout);
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);
  const latencies: number[] = [];
  for (const line of out.split('\n')) {
    // "> NOERROR name A 0.000123"
    const m = /^> \S+ \S+ \S+ ([\d.]+)$/.exec(line);
    if (m) latencies.push(Number(m[1]) * 1000);
  }
  latencies.sort((a, b) => a - b);
  const qps = num(/Queries per second:\s+([\d.]+)/);
  return {
    name,
    qps,
    completed: num(/Queries completed:\s+(\d+)/),
    lost: num(/Queries lost:\s+(\d+)/),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    cpu: cpu / elapsed,
    qpsPerCore: cpu > 0 ? num(/Queries completed:\s+(\d+)/) / cpu : NaN,
  };
}

async function startDNSProcess(srv: TestServer, upstreamPort: number, log: string): Promise<{ proc: OwnedProcess; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const reserved = await reservePorts(4);
    const [dnsPort, metrics, health, ready] = reserved.ports;
    await reserved.release();
    const out = fs.openSync(log, 'a');
    const proc = spawnOwned(process.execPath, [cliPath, 'dns', '--kubeconfig', srv.kubeconfig, '--listen', `127.0.0.1:${dnsPort}`, '--upstream', `127.0.0.1:${upstreamPort}`, '--metrics-port', String(metrics), '--health-port', String(health), '--ready-port', String(ready)], {
      stdio: ['ignore', out, out],
      env: { ...process.env, KUBETS_LOG_LEVEL: 'warn' },
    });
    fs.closeSync(out);
    const state = await until('kubets dns ready', async () => {
      if (!proc.running()) return 'exited';
      return (await fetch(`http://127.0.0.1:${ready}/ready`)).status === 200 ? 'ready' : undefined;
    }, 60_000, 100);
    if (state === 'ready') return { proc, port: dnsPort };
    if (attempt >= 3) throw new Error(`kubets dns exited: ${fs.readFileSync(log, 'utf8').slice(-2000)}`);
  }
}

async function main(): Promise<void> {
  for (const tool of ['dnsperf', 'dig']) if (!(await commandExists(tool))) skip(`no ${tool} on PATH (Debian: apt-get install dnsperf bind9-dnsutils)`, values.json);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-bench-dns-'));
  const srv = await startServer({ args: ['--disable-controllers'] });
  const upstream = new FakeUpstream();
  let dns: OwnedProcess | undefined;
  try {
    const upstreamPort = await upstream.listen();
    await srv.client.create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    for (let i = 0; i < SERVICES; i += 20) {
      await Promise.all(
        Array.from({ length: Math.min(20, SERVICES - i) }, (_, j) =>
          srv.client.create<Service>(Resources.services, NS, { apiVersion: 'v1', kind: 'Service', metadata: { name: `svc${i + j}`, namespace: NS }, spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } }),
        ),
      );
    }
    for (let i = 0; i < SERVICES; i++) upstream.set(`ext${i}.example.com`, [{ type: 'A', data: `192.0.2.${i % 250}`, ttl: 300 }]);

    const started = await startDNSProcess(srv, upstreamPort, path.join(dir, 'dns.log'));
    dns = started.proc;
    const write = (file: string, lines: string[]) => {
      fs.writeFileSync(path.join(dir, file), `${lines.join('\n')}\n`);
      return path.join(dir, file);
    };
    const cluster = write('cluster.txt', Array.from({ length: SERVICES }, (_, i) => `svc${i}.${NS}.svc.cluster.local A`));
    const external = write('external.txt', Array.from({ length: SERVICES }, (_, i) => `ext${i}.example.com A`));
    // Enough distinct names that none repeats within the run: every one goes upstream.
    const fresh = write('uncached.txt', Array.from({ length: 400_000 }, (_, i) => `q${i}.miss.example A`));

    // The last Service is in the store, and every outside name in the cache, before anything is measured.
    await until('the last Service resolves', async () => {
      const r = await execa('dig', ['@127.0.0.1', '-p', String(started.port), '+short', `svc${SERVICES - 1}.${NS}.svc.cluster.local`], { reject: false });
      return String(r.stdout).trim() !== '';
    }, 30_000, 100);
    await execa('dnsperf', ['-s', '127.0.0.1', '-p', String(started.port), '-d', external, '-n', '1']);

    const phases = [
      await phase('cluster names (from the watch-fed store)', cluster, started.port, dns),
      await phase('outside names, cached', external, started.port, dns),
      await phase('outside names, uncached (forwarded)', fresh, started.port, dns),
      await phase(`cluster names at ${RATE} q/s (latency below saturation)`, cluster, started.port, dns, RATE),
    ];
    const ms = (n: number) => (Number.isNaN(n) ? '-' : n.toFixed(3));
    process.stdout.write(`kubets dns: ${SERVICES} Services, dnsperf over UDP on loopback, ${CLIENTS} clients with 100 queries outstanding (latencies at saturation, but for the last phase), ${SECONDS} s per phase, ${os.cpus().length} CPUs shared with dnsperf and the API server\n`);
    process.stdout.write(`${'phase'.padEnd(52)} ${'qps'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'lost'.padStart(6)} ${'dns CPU'.padStart(8)} ${'q/CPU-s'.padStart(9)}\n`);
    for (const p of phases) {
      process.stdout.write(`${p.name.padEnd(52)} ${p.qps.toFixed(0).padStart(8)} ${ms(p.p50).padStart(8)} ${ms(p.p99).padStart(8)} ${String(p.lost).padStart(6)} ${`${(p.cpu * 100).toFixed(0)}%`.padStart(8)} ${p.qpsPerCore.toFixed(0).padStart(9)}\n`);
    }
    if (values.json) {
      const [c, e, u, r] = phases;
      const round = (n: number, d = 3) => Number(n.toFixed(d));
      process.stdout.write(
        `${JSON.stringify({
          qps_per_core_cached: round(c.qpsPerCore, 0),
          p99_ms_cached: round(r.p99),
          p50_ms_cached_at_rate: round(r.p50),
          rate_qps: RATE,
          p99_ms_cached_saturated: round(c.p99),
          qps_cached: round(c.qps, 0),
          p50_ms_cached: round(c.p50),
          dns_cpu_cached: round(c.cpu, 2),
          qps_per_core_forward_cached: round(e.qpsPerCore, 0),
          p99_ms_forward_cached: round(e.p99),
          qps_per_core_uncached: round(u.qpsPerCore, 0),
          qps_uncached: round(u.qps, 0),
          p50_ms_uncached: round(u.p50),
          p99_ms_uncached: round(u.p99),
        })}\n`,
      );
    }
  } finally {
    if (dns) await stopOwned(dns, 'SIGTERM');
    await upstream.close();
    await srv.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench/dns: ${(e as Error).stack}\n`);
    process.exit(1);
  },
);
