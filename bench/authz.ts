// What authorization costs (kube-apiserver's Node,RBAC union over the RBAC authorizer's listers): decisions per second
// of the in-process authorizer with the bootstrap policy and N RoleBindings in the index, and the latency authz adds
// to `get` on a live server — a system:masters client (allowed before RBAC is consulted) against a user allowed by
// the last of N RoleBindings in the namespace. Prints figures; asserts nothing.
// Run: node dist/bench/authz.js [--bindings 1000] [--seconds 3] [--concurrency 8]
import fs from 'node:fs';
import path from 'node:path';
import { ApiClient } from '../api/client.js';
import { issueCert } from '../api/pki.js';
import { settledAggregation } from '../api/rbac.js';
import { Resources } from '../api/resources.js';
import type { Attributes, ClusterRole, KubeObject, Role, RoleBinding, UserInfo } from '../api/types.js';
import { ClusterAuthorizer } from '../control-plane/apiserver/authorization/index.js';
import { NodeGraph } from '../control-plane/apiserver/authorization/node/graph.js';
import { bootstrapClusterRoleBindings, bootstrapClusterRoles, user } from '../control-plane/apiserver/authorization/rbac/policy.js';
import type { RBACSource } from '../control-plane/apiserver/authorization/rbac/rules.js';
import { startServer } from '../test/server-fixture.js';
import { benchArgs, percentile, timedPhase } from './timing.js';

const { values } = benchArgs({
  options: {
    bindings: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '8' },
  },
});
const BINDINGS = Number(values.bindings);
const PHASE_MS = Number(values.seconds) * 1000;
const CONCURRENCY = Number(values.concurrency);
const NS = 'bench';

const ms = (n: number) => (Number.isNaN(n) ? '-' : n < 10 ? n.toFixed(3) : n.toFixed(1));
const role = (namespace: string, name: string): Role => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name, namespace }, rules: [{ apiGroups: [''], resources: ['configmaps', 'pods'], verbs: ['get', 'list'] }] });
const binding = (namespace: string, i: number): RoleBinding => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: `rb-${i}`, namespace }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' }, subjects: [user(`user-${i}`)] });

/** The RBAC authorizer's index held in maps, as the server's PolicyIndex holds it: bootstrap policy plus `bindings`. */
function index(namespaces: string[], bindings: RoleBinding[]): RBACSource {
  const clusterRoles = new Map(settledAggregation(bootstrapClusterRoles()).map((r) => [r.metadata.name!, r] as [string, ClusterRole]));
  const roles = new Map(namespaces.map((ns) => [ns, role(ns, 'reader')]));
  const byNamespace = new Map<string, RoleBinding[]>();
  for (const b of bindings) (byNamespace.get(b.metadata.namespace!) ?? byNamespace.set(b.metadata.namespace!, []).get(b.metadata.namespace!)!).push(b);
  const clusterBindings = bootstrapClusterRoleBindings();
  return {
    clusterRole: (n) => clusterRoles.get(n),
    role: (ns, n) => (n === 'reader' ? roles.get(ns) : undefined),
    clusterRoleBindings: () => clusterBindings,
    roleBindings: (ns) => byNamespace.get(ns) ?? [],
  };
}

function decisionsPerSecond(): void {
  const authenticated = (name: string): UserInfo => ({ name, groups: ['system:authenticated'] });
  const get = (u: UserInfo, namespace: string): Attributes => ({ user: u, verb: 'get', isResourceRequest: true, apiGroup: '', apiVersion: 'v1', resource: 'configmaps', namespace, name: 'cm' });
  const layouts = [
    { what: `${BINDINGS} in one namespace`, namespaces: [NS], of: (i: number) => NS },
    { what: `${BINDINGS} over ${Math.max(1, BINDINGS / 10)} namespaces`, namespaces: Array.from({ length: Math.max(1, BINDINGS / 10) }, (_, i) => `ns-${i}`), of: (i: number) => `ns-${Math.floor(i / 10)}` },
  ];
  console.log(`\nauthorization decisions per second, in process (bootstrap policy: ${bootstrapClusterRoleBindings().length} ClusterRoleBindings)`);
  console.log(['RoleBindings'.padEnd(30), 'case'.padEnd(40), 'decisions/s'.padStart(12), 'µs each'.padStart(9)].join(''));
  for (const l of layouts) {
    const authz = new ClusterAuthorizer(index(l.namespaces, Array.from({ length: BINDINGS }, (_, i) => binding(l.of(i), i))), new NodeGraph());
    const last = BINDINGS - 1;
    const cases: [string, Attributes, boolean][] = [
      ['system:masters', get({ name: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] }, l.of(last)), true],
      ['allowed by the last RoleBinding', get(authenticated(`user-${last}`), l.of(last)), true],
      ['allowed by the first RoleBinding', get(authenticated('user-0'), l.of(0)), true],
      ['denied (every binding looked at)', get(authenticated('nobody'), l.of(last)), false],
      ['discovery (a ClusterRoleBinding)', { user: authenticated('nobody'), verb: 'get', isResourceRequest: false, path: '/apis' }, true],
    ];
    for (const [what, attrs, want] of cases) {
      if (authz.authorize(attrs).allowed !== want) throw new Error(`${what}: expected ${want ? 'allowed' : 'denied'}`);
      let n = 0;
      const t0 = performance.now();
      const end = t0 + PHASE_MS / 3;
      while (performance.now() < end) for (let i = 0; i < 1000; i++, n++) authz.authorize(attrs);
      const perSec = (n * 1000) / (performance.now() - t0);
      console.log([l.what.padEnd(30), what.padEnd(40), perSec.toFixed(0).padStart(12), (1e6 / perSec).toFixed(2).padStart(9)].join(''));
    }
  }
}

async function getLatency(): Promise<void> {
  const srv = await startServer({ args: ['--disable-controllers'] });
  try {
    const admin = srv.client;
    await admin.create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await admin.create(Resources.roles, NS, role(NS, 'reader'));
    await admin.create(Resources.configmaps, NS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { k: 'v' } } as KubeObject);
    let next = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      for (let i = next++; i < BINDINGS; i = next++) await admin.create(Resources.rolebindings, NS, binding(NS, i));
    }));
    // The user of the last binding, with a client certificate like the admin's: both pay the same authentication.
    const pki = path.join(srv.dir, 'pki');
    const ca = { certPem: fs.readFileSync(path.join(pki, 'ca.crt'), 'utf8'), keyPem: fs.readFileSync(path.join(pki, 'ca.key'), 'utf8') };
    const kp = await issueCert(ca, { commonName: `user-${BINDINGS - 1}`, client: true });
    const reader = new ApiClient({ server: admin.config.server, ca: ca.certPem, cert: kp.certPem, key: kp.keyPem });
    // The binding reaches the authorizer through its cache.
    for (let tries = 0; ; tries++) {
      try {
        await reader.get(Resources.configmaps, NS, 'cm');
        break;
      } catch (e) {
        if (tries > 100) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    console.log(`\nGET of one ConfigMap over HTTPS with ${BINDINGS} RoleBindings in its namespace, concurrency ${CONCURRENCY}, ${PHASE_MS / 1000} s each`);
    console.log(['client'.padEnd(40), 'gets'.padStart(8), 'gets/s'.padStart(9), 'p50 ms'.padStart(9), 'p99 ms'.padStart(9)].join(''));
    const rows: { p50: number; p99: number }[] = [];
    for (const [what, client] of [['system:masters (authz short-cut)', admin], [`user-${BINDINGS - 1} (last RoleBinding)`, reader], ['system:masters again', admin], [`user-${BINDINGS - 1} again`, reader]] as [string, ApiClient][]) {
      await timedPhase(CONCURRENCY, 500, () => client.get(Resources.configmaps, NS, 'cm')); // warm up
      const { latencies, elapsedMs } = await timedPhase(CONCURRENCY, PHASE_MS, () => client.get(Resources.configmaps, NS, 'cm'));
      const p50 = percentile(latencies, 50);
      const p99 = percentile(latencies, 99);
      rows.push({ p50, p99 });
      console.log([what.padEnd(40), String(latencies.length).padStart(8), ((latencies.length * 1000) / elapsedMs).toFixed(0).padStart(9), ms(p50).padStart(9), ms(p99).padStart(9)].join(''));
    }
    const masters = [rows[0], rows[2]];
    const users = [rows[1], rows[3]];
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    console.log(`added by RBAC over ${BINDINGS} RoleBindings: p50 ${ms(avg(users.map((r) => r.p50)) - avg(masters.map((r) => r.p50)))} ms, p99 ${ms(avg(users.map((r) => r.p99)) - avg(masters.map((r) => r.p99)))} ms (mean of two runs each; noise is of the same order)`);
    reader.close();
  } finally {
    await srv.destroy();
  }
}

decisionsPerSecond();
await getLatency();
