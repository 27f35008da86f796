// Lab benchmark (prints figures, asserts nothing): pod start-up latency for 30 pods, creation → Running as observed
// by a watch, and the time from `kubectl apply` of a NodePort app to its first answer on a node.
// Run as root: `npm run bench:lab` (brings a lab up unless one is already up, and leaves it as it found it).
import { execa } from 'execa';
import fs from 'node:fs';
import http from 'node:http';
import { ApiClient } from '../api/client.js';
import { Resources } from '../api/resources.js';
import type { Pod } from '../api/types.js';
import { labDown, labKubeconfigPath, labUp } from '../lab/index.js';
import { until } from '../test/until.js';
import { percentile } from './timing.js';

const PODS = 30;


function get(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 1000, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

async function podStartup(client: ApiClient): Promise<void> {
  const ns = 'bench';
  await client.create(Resources.namespaces, undefined, { metadata: { name: ns } }).catch(() => {});
  const created = new Map<string, number>();
  const running = new Map<string, number>();
  const abort = new AbortController();
  const list = await client.list(Resources.pods, ns);
  const watching = client.watch<Pod>(Resources.pods, ns, { resourceVersion: list.metadata.resourceVersion }, (e) => {
    const name = e.object.metadata.name!;
    if (e.type !== 'DELETED' && (e.object as Pod).status?.phase === 'Running' && !running.has(name)) {
      running.set(name, performance.now());
      if (running.size === PODS) abort.abort();
    }
  }, abort.signal);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: PODS }, async (_, i) => {
      const name = `start-${i}`;
      created.set(name, performance.now());
      await client.create(Resources.pods, ns, { metadata: { name }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox:1.35', command: ['sleep', '3600'] }] } } as Pod);
    }),
  );
  const timeout = setTimeout(() => abort.abort(), 300_000);
  await watching;
  clearTimeout(timeout);
  const lat = [...running].map(([n, t]) => t - created.get(n)!).sort((a, b) => a - b);
  console.log(`pod start-up (${PODS} pods created at once, creation -> Running by watch): ${lat.length}/${PODS} running in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  if (lat.length) console.log(`  p50 ${(percentile(lat, 50) / 1000).toFixed(2)} s   p99 ${(percentile(lat, 99) / 1000).toFixed(2)} s   max ${(lat[lat.length - 1] / 1000).toFixed(2)} s`);
  await client.delete(Resources.namespaces, undefined, ns).catch(() => {});
}

async function applyToAnswer(kubeconfig: string): Promise<void> {
  const manifest = `apiVersion: apps/v1
kind: Deployment
metadata: {name: bench-web, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: bench-web}}
  template:
    metadata: {labels: {app: bench-web}}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - {name: httpd, image: "busybox:1.35", command: ["httpd", "-f", "-p", "80", "-h", "/etc"], ports: [{containerPort: 80}], readinessProbe: {tcpSocket: {port: 80}, periodSeconds: 1}}
---
apiVersion: v1
kind: Service
metadata: {name: bench-web, namespace: default}
spec: {type: NodePort, selector: {app: bench-web}, ports: [{port: 80, nodePort: 31999}]}
`;
  const env = { KUBECONFIG: kubeconfig };
  const t0 = performance.now();
  await execa('kubectl', ['apply', '-f', '-'], { input: manifest, env });
  const answered = await until('the NodePort to answer', () => get('http://192.168.56.11:31999/passwd'), 180_000, 100).then(() => true, () => false);
  console.log(`kubectl apply -> NodePort answering on worker1: ${answered ? `${((performance.now() - t0) / 1000).toFixed(2)} s` : 'no answer in 180 s'}`);
  await execa('kubectl', ['delete', '-f', '-', '--wait=false'], { input: manifest, env, reject: false });
}

async function main(): Promise<void> {
  const wasUp = fs.existsSync(labKubeconfigPath());
  if (!wasUp) {
    const t0 = performance.now();
    await labUp({ onProgress: (m) => console.log(`  ${m}`) });
    console.log(`lab up: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const client = ApiClient.fromKubeconfig(labKubeconfigPath());
  try {
    await applyToAnswer(labKubeconfigPath());
    await podStartup(client);
  } finally {
    client.close();
    if (!wasUp) await labDown();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
