// A real etcd cluster for tests and benches: three members of Debian's /usr/bin/etcd on loopback ports reserved
// together (test/ports.ts), each with its own data dir under one temp dir. Members keep fsync on (durability is what
// they are there to show); short heartbeat/election settings keep start-up and failover quick. Members can be stopped
// and restarted one at a time. Clients reach them over TLS with client certificates from a CA made for the cluster,
// as a production etcd is run (peers talk plain HTTP on loopback).
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { createCA, issueCert, type KeyPair } from '../api/pki.js';
import { bindConflict, reservePorts } from './ports.js';
import { logSince, logSize, spawnOwned, stopOwned, type OwnedProcess } from './processes.js';
import { until } from './until.js';

export const ETCD_BIN = process.env.KUBETS_ETCD_BIN ?? '/usr/bin/etcd';

export interface EtcdCluster {
  dir: string;
  /** host:port of each member's client URL, in member order. */
  endpoints: string[];
  /** The value for `kubets server --datastore` (https:// endpoints). */
  datastore: string;
  /** A client's TLS material (PEM): the CA of the members' certificates, a client certificate and key. */
  tls: { ca: string; cert: string; key: string };
  /** `kubets server` flags that reach this cluster: --datastore and the --etcd-* TLS files. */
  serverArgs: string[];
  /** Stops member i (SIGTERM, or SIGKILL when asked) and waits for it to exit. */
  stopMember(i: number, signal?: NodeJS.Signals): Promise<void>;
  /** Starts member i again on its data dir and waits until it is healthy. */
  startMember(i: number): Promise<void>;
  /** Stops every member (SIGKILL when asked) without removing anything. */
  stopAll(signal?: NodeJS.Signals): Promise<void>;
  /** Starts every stopped member and waits until the cluster is healthy. */
  startAll(): Promise<void>;
  /** Stops every member and removes the temp dir. Idempotent. */
  close(): Promise<void>;
}

interface MemberState {
  name: string;
  clientPort: number;
  peerPort: number;
  log: string;
  child?: OwnedProcess;
  /** Where this start's output begins in the member's log. */
  logFrom: number;
}

/** A member that could not bind one of its ports because another process took it. */
class BindConflict extends Error {}

/** Start-ups of a new cluster that lost a port to another process, tried again on other ports. */
const BIND_ATTEMPTS = 5;

function health(port: number, tls: EtcdCluster['tls']): Promise<boolean> {
  return new Promise((resolve) => {
    const req = https.get({ host: '127.0.0.1', port, path: '/health', timeout: 2_000, ca: tls.ca, cert: tls.cert, key: tls.key }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(res.statusCode === 200 && /"health"\s*:\s*"true"/.test(body)));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

export async function startEtcdCluster(opts: { members?: number } = {}): Promise<EtcdCluster> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await tryStartEtcdCluster(opts.members ?? 3);
    } catch (e) {
      if (!(e instanceof BindConflict) || attempt >= BIND_ATTEMPTS) throw e;
    }
  }
}

async function tryStartEtcdCluster(n: number): Promise<EtcdCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-etcd-'));
  const token = `kubets-test-${process.pid}-${Date.now()}`;
  // Every port of the cluster at once, each distinct, held until the members are about to bind them.
  const reserved = await reservePorts(2 * n);
  const members: MemberState[] = Array.from({ length: n }, (_, i) => ({
    name: `m${i}`,
    clientPort: reserved.ports[2 * i],
    peerPort: reserved.ports[2 * i + 1],
    log: path.join(dir, `m${i}.log`),
    logFrom: 0,
  }));
  const initialCluster = members.map((m) => `${m.name}=http://127.0.0.1:${m.peerPort}`).join(',');
  const ca = await createCA('kubets-test-etcd-ca');
  const serving = await issueCert(ca, { commonName: 'etcd', ips: ['127.0.0.1'], dnsNames: ['localhost'], server: true, client: true });
  const client: KeyPair = await issueCert(ca, { commonName: 'kube-apiserver-etcd-client', client: true });
  const files = { ca: path.join(dir, 'ca.crt'), cert: path.join(dir, 'server.crt'), key: path.join(dir, 'server.key'), clientCert: path.join(dir, 'client.crt'), clientKey: path.join(dir, 'client.key') };
  fs.writeFileSync(files.ca, ca.certPem);
  fs.writeFileSync(files.cert, serving.certPem);
  fs.writeFileSync(files.key, serving.keyPem, { mode: 0o600 });
  fs.writeFileSync(files.clientCert, client.certPem);
  fs.writeFileSync(files.clientKey, client.keyPem, { mode: 0o600 });
  const tls = { ca: ca.certPem, cert: client.certPem, key: client.keyPem };

  const launch = (i: number) => {
    const m = members[i];
    m.logFrom = logSize(m.log);
    const log = fs.openSync(m.log, 'a');
    m.child = spawnOwned(
      ETCD_BIN,
      [
        '--name', m.name,
        '--data-dir', path.join(dir, m.name),
        '--listen-client-urls', `https://127.0.0.1:${m.clientPort}`,
        '--advertise-client-urls', `https://127.0.0.1:${m.clientPort}`,
        '--cert-file', files.cert,
        '--key-file', files.key,
        '--trusted-ca-file', files.ca,
        '--client-cert-auth',
        '--listen-peer-urls', `http://127.0.0.1:${m.peerPort}`,
        '--initial-advertise-peer-urls', `http://127.0.0.1:${m.peerPort}`,
        '--initial-cluster', initialCluster,
        '--initial-cluster-token', token,
        '--initial-cluster-state', 'new',
        '--heartbeat-interval', '50',
        '--election-timeout', '500',
        '--snapshot-count', '10000',
        '--logger', 'zap',
        '--log-outputs', 'stderr',
        '--log-level', 'warn',
      ],
      { stdio: ['ignore', log, log] },
    );
    fs.closeSync(log);
  };

  /**
   * Waits until the given members answer /health. A member that exits fails the wait — unless it lost a port to
   * another process: a new cluster then starts over on other ports, and a restarted member (whose ports are part of
   * the cluster's membership) is started again on the same ones once they are free.
   */
  const waitHealthy = async (which: number[], restart: boolean) => {
    const names = which.map((i) => members[i].name).join(',');
    const outcome = await until(`etcd members ${names} in ${dir} healthy`, async () => {
      for (const i of which) {
        const m = members[i];
        if (m.child!.running()) continue;
        const output = m.child!.spawnError?.message ?? logSince(m.log, m.logFrom);
        if (!bindConflict(output)) return { failed: new Error(`etcd member ${m.name} exited: ${output.slice(-2000)}`) };
        if (!restart) return { failed: new BindConflict(`etcd member ${m.name}: ${output.slice(-500)}`) };
        launch(i);
        return undefined;
      }
      const ok = await Promise.all(which.map((i) => health(members[i].clientPort, tls)));
      return ok.every(Boolean) && { failed: undefined };
    }, 60_000, 100);
    if (outcome.failed) throw outcome.failed;
  };

  const stopMember = async (i: number, signal: NodeJS.Signals = 'SIGTERM') => {
    const m = members[i];
    if (!m.child) return;
    await stopOwned(m.child, signal, 10_000);
    m.child = undefined;
  };

  const isUp = (i: number) => members[i].child !== undefined;
  let closed = false;
  const cluster: EtcdCluster = {
    dir,
    endpoints: members.map((m) => `127.0.0.1:${m.clientPort}`),
    datastore: members.map((m) => `https://127.0.0.1:${m.clientPort}`).join(','),
    tls,
    serverArgs: ['--datastore', members.map((m) => `https://127.0.0.1:${m.clientPort}`).join(','), '--etcd-cafile', files.ca, '--etcd-certfile', files.clientCert, '--etcd-keyfile', files.clientKey],
    stopMember,
    async startMember(i) {
      if (isUp(i)) return;
      launch(i);
      await waitHealthy([i], true);
    },
    async stopAll(signal) {
      await Promise.all(members.map((_, i) => stopMember(i, signal)));
    },
    async startAll() {
      const down = members.map((_, i) => i).filter((i) => !isUp(i));
      for (const i of down) launch(i);
      await waitHealthy(members.map((_, i) => i), true);
    },
    async close() {
      if (closed) return;
      closed = true;
      // Everything goes away, so no need for a graceful stop (a leader stopping with SIGTERM while its peers stop
      // too waits for a leadership transfer that cannot happen).
      await cluster.stopAll('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await reserved.release();
    for (let i = 0; i < n; i++) launch(i);
    await waitHealthy(members.map((_, i) => i), false);
  } catch (e) {
    await cluster.close();
    throw e;
  }
  return cluster;
}
