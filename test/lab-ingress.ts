// Ingress in the lab, as ingress-nginx serves a kubeadm cluster: the ingress-controller DaemonSet ready on the three
// workers (not the tainted master), an Ingress `web` for host web.local in front of the demo app's web Service
// answering `curl -H 'Host: web.local' http://192.168.56.11/` from the host on every worker, a route to a Service that
// does not exist answering 503 while the others keep working, HTTPS for a host whose certificate the test puts in a
// kubernetes.io/tls Secret (chosen by SNI, verified against its CA), and status.loadBalancer listing the workers.
// Runs after workloadChecks (it needs examples/web.yaml's Deployment and Service).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';
import { execa } from 'execa';
import { createCA, issueCert } from '../api/pki.js';
import { labClient, until, type LabUnderTest } from './lab-e2e.js';

/** curl from the host (only to the lab's own addresses): the HTTP status and the body. */
async function curl(args: string[]): Promise<{ code: number; body: string; exitCode: number; stderr: string }> {
  const r = await execa('curl', ['-sS', '--max-time', '5', '-w', '\n%{http_code}', ...args], { reject: false, timeout: 15_000 });
  const out = String(r.stdout);
  const nl = out.lastIndexOf('\n');
  return { code: Number(out.slice(nl + 1)) || 0, body: out.slice(0, Math.max(nl, 0)), exitCode: r.exitCode ?? -1, stderr: String(r.stderr) };
}

export function ingressChecks(t: Test, lab: () => LabUnderTest): void {
  t.test('Ingress: the controller on every worker, web.local to the web pods, 503 for a missing Service, TLS by SNI, status', async (t) => {
    const { kubectl, json } = labClient(lab());
    const workers = Object.keys(lab().nodes).filter((n) => n !== 'master').sort();
    const workerIPs = workers.map((w) => lab().nodes[w]!).sort();

    // The DaemonSet, ready on the workers only.
    const pods = await until('the ingress-controller DaemonSet ready on every worker', async () => {
      const ds = await json(['get', 'ds', '-n', 'kube-system', 'ingress-controller']);
      if (ds.status?.desiredNumberScheduled !== workers.length || ds.status?.numberReady !== workers.length) return undefined;
      const items = (await json(['get', 'pods', '-n', 'kube-system', '-l', 'app.kubernetes.io/name=ingress-controller'])).items.filter((p: any) => !p.metadata.deletionTimestamp);
      return items.length === workers.length && items;
    }, 240_000);
    t.same(pods.map((p: any) => p.spec.nodeName).sort(), workers, 'one controller per worker, none on the master');
    t.match((await kubectl(['get', 'ingressclass'])).stdout, /^kubets\s+kubets\.io\/ingress-controller\s+<none>\s/m);

    // A certificate for secure.web.local, signed by a CA of the test's own.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-lab-ingress-'));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    const ca = await createCA('lab-ingress-test-ca');
    const cert = await issueCert(ca, { commonName: 'secure.web.local', dnsNames: ['secure.web.local'], server: true });
    for (const [name, pem] of [['ca.crt', ca.certPem], ['tls.crt', cert.certPem], ['tls.key', cert.keyPem]] as const) fs.writeFileSync(path.join(dir, name), pem);
    t.equal((await kubectl(['create', 'secret', 'tls', 'web-tls', `--cert=${path.join(dir, 'tls.crt')}`, `--key=${path.join(dir, 'tls.key')}`])).exitCode, 0);
    t.teardown(async () => void (await kubectl(['delete', 'ingress', 'web', 'web-tls', '--ignore-not-found'])));
    t.teardown(async () => void (await kubectl(['delete', 'secret', 'web-tls', '--ignore-not-found'])));

    // No class given: the default class kubets takes it.
    const ingresses = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  rules:
  - host: web.local
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
      - {path: /missing, pathType: Prefix, backend: {service: {name: no-such-service, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web-tls}
spec:
  tls:
  - {hosts: [secure.web.local], secretName: web-tls}
  rules:
  - host: secure.web.local
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
`;
    const applied = await kubectl(['apply', '-f', '-'], ingresses);
    t.equal(applied.exitCode, 0, applied.stderr);
    t.equal((await json(['get', 'ingress', 'web'])).spec.ingressClassName, 'kubets', 'the default class');

    // The check before this one scales web up and goes on once one pod answers: wait for all of them to be ready.
    await until('every web pod ready', async () => {
      const d = await json(['get', 'deployment', 'web']);
      return d.status?.readyReplicas === d.spec.replicas && d.status?.updatedReplicas === d.spec.replicas && d.status?.replicas === d.spec.replicas;
    }, 120_000);
    const ready = (p: any) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');
    const webPods = new Set<string>((await json(['get', 'pods', '-l', 'app=web'])).items.filter(ready).map((p: any) => p.metadata.name));
    // curl -H 'Host: web.local' http://192.168.56.11/ — and the same on every worker.
    for (const ip of workerIPs) {
      const first = await until(`web.local through ${ip}`, async () => {
        const r = await curl(['-H', 'Host: web.local', `http://${ip}/`]);
        return r.code === 200 && /hello from web-/.test(r.body) && r;
      });
      t.match(first.body, /hello from web-/, `curl -H 'Host: web.local' http://${ip}/ reaches a web pod`);
    }
    // A pod that has just become ready reaches the controller with its EndpointSlice: a batch may come before that.
    const seen = await until('12 requests spread over every web pod', async () => {
      const batch = new Set<string>();
      for (let i = 0; i < 12; i++) batch.add((await curl(['-H', 'Host: web.local', `http://${workerIPs[0]}/`])).body.trim().replace(/^hello from /, ''));
      return batch.size === Math.min(webPods.size, 12) && batch;
    }, 30_000).catch(() => new Set<string>(['(no batch reached every web pod)']));
    t.ok([...seen].every((n) => webPods.has(n)), `answers come from the web pods (${[...seen].join(', ')})`);
    t.equal(seen.size, Math.min(webPods.size, 12), 'spread over every web pod, round robin');

    const missing = await curl(['-H', 'Host: web.local', `http://${workerIPs[0]}/missing/page`]);
    t.equal(missing.code, 503, 'a route to a Service that does not exist: 503');
    t.match(missing.body, /no-such-service/);
    // The web pods serve only their index page: the route that still works is asked for that.
    const stillWorks = await curl(['-H', 'Host: web.local', `http://${workerIPs[0]}/`]);
    t.equal(stillWorks.code, 200, 'the other routes keep working');
    t.match(stillWorks.body, /hello from web-/);
    t.equal((await curl(['-H', 'Host: nobody.local', `http://${workerIPs[0]}/`])).code, 404, 'a host with no rule: 404');

    // HTTPS: the Secret's certificate by SNI, verified against the test's CA.
    const secure = await until('secure.web.local over TLS', async () => {
      const r = await curl(['--cacert', path.join(dir, 'ca.crt'), '--resolve', `secure.web.local:443:${workerIPs[1]}`, 'https://secure.web.local/']);
      return r.code === 200 && r;
    });
    t.match(secure.body, /hello from web-/, 'https://secure.web.local/ with the certificate of web-tls');
    const other = await curl(['--cacert', path.join(dir, 'ca.crt'), '--resolve', `web.local:443:${workerIPs[1]}`, 'https://web.local/']);
    t.not(other.exitCode, 0, 'a name no Secret covers gets the self-signed fallback, which the CA does not vouch for');

    // status.loadBalancer: the workers' addresses.
    const status = await until('status.loadBalancer filled', async () => {
      const ips = ((await json(['get', 'ingress', 'web'])).status?.loadBalancer?.ingress ?? []).map((i: any) => i.ip).sort();
      return ips.length === workerIPs.length && ips;
    });
    t.same(status, workerIPs, 'the Ingress is served on every worker');
    t.match((await kubectl(['get', 'ingress', 'web'])).stdout, new RegExp(`^web\\s+kubets\\s+web\\.local\\s+${workerIPs.join(',').replace(/\./g, '\\.')}\\s+80\\s`, 'm'));
  });
}
