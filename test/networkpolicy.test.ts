// NetworkPolicy through the API server: kubectl apply/get/describe/delete with kube's columns and defaults, the
// `netpol` short name, 422s for bad CIDRs, ports and policyTypes in kube-apiserver's words; and a node's credentials
// (system:node:<name>, group system:nodes) letting the agent's enforcement list and watch what it needs — through the
// Node authorizer and RBAC together — so its sync follows policy changes (nft documents recorded, no kernel here).
import path from 'node:path';
import t from 'tap';
import { StatusError } from '../api/errors.js';
import { ensureCA, issueCert } from '../api/pki.js';
import { Resources } from '../api/resources.js';
import type { NetworkPolicy, Pod } from '../api/types.js';
import { startNetworkPolicy } from '../agent/networkpolicy/index.js';
import type { Exec } from '../agent/proxy/types.js';
import { clientFor, kubectlWith } from './identities.js';
import { ensureServiceAccount, startServer, type TestServer } from './server-fixture.js';
import { until } from './until.js';

let srv: TestServer;
t.before(async () => {
  srv = await startServer({ args: ['--disable-controllers'] });
});
t.teardown(() => srv?.destroy());

const policyYaml = (name: string, cidr: string) => `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: ${name}
  namespace: np
spec:
  podSelector:
    matchLabels:
      app: web
  ingress:
  - from:
    - ipBlock:
        cidr: ${cidr}
        except: [10.0.1.0/24]
    - podSelector:
        matchLabels:
          role: client
    ports:
    - port: 80
      protocol: TCP
    - port: http
      protocol: TCP
  egress:
  - to:
    - namespaceSelector: {}
`;

t.test('kubectl: apply, get with kube\'s columns and short name, defaults, describe, delete', async (t) => {
  const kubectl = kubectlWith(srv);
  await kubectl.ok(['create', 'namespace', 'np']);
  const resources = await kubectl.ok(['api-resources', '--api-group', 'networking.k8s.io']);
  t.match(resources, /^networkpolicies\s+netpol\s+networking\.k8s\.io\/v1\s+true\s+NetworkPolicy$/m);
  t.equal(await kubectl.ok(['apply', '-f', '-'], policyYaml('web', '10.0.0.0/16')), 'networkpolicy.networking.k8s.io/web created');
  t.match(await kubectl.ok(['get', 'netpol', '-n', 'np']), /^NAME\s+POD-SELECTOR\s+AGE\nweb\s+app=web\s+\d+s$/);
  const stored = JSON.parse(await kubectl.ok(['get', 'networkpolicy', 'web', '-n', 'np', '-o', 'json'])) as NetworkPolicy;
  t.same(stored.spec.policyTypes, ['Ingress', 'Egress'], 'egress rules: both types');
  const described = await kubectl.ok(['describe', 'netpol', 'web', '-n', 'np']);
  t.match(described, /PodSelector:\s+app=web/);
  t.match(described, /IPBlock:\s*\n\s+CIDR: 10\.0\.0\.0\/16\s*\n\s+Except: 10\.0\.1\.0\/24/);
  t.match(described, /Policy Types: Ingress, Egress/);
  t.equal(await kubectl.ok(['apply', '-f', '-'], policyYaml('web', '10.0.0.0/16')), 'networkpolicy.networking.k8s.io/web unchanged', 're-applying changes nothing');
  t.equal(await kubectl.ok(['delete', 'netpol', 'web', '-n', 'np']), 'networkpolicy.networking.k8s.io "web" deleted');
});

t.test('invalid policies are refused with 422 in kube-apiserver\'s words', async (t) => {
  const kubectl = kubectlWith(srv);
  const err = await kubectl.fails(['apply', '-f', '-'], policyYaml('bad', '10.0.0.0/33'));
  t.match(err, 'The NetworkPolicy "bad" is invalid: spec.ingress[0].from[0].ipBlock.cidr: Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)');
  const outside = await kubectl.fails(['apply', '-f', '-'], policyYaml('bad', '10.2.0.0/16'));
  t.match(outside, 'spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: "10.0.1.0/24": must be a strict subset of `cidr`');
  const e = await srv.client
    .create(Resources.networkpolicies, 'np', { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'bad' }, spec: { podSelector: {}, policyTypes: ['Sideways'], ingress: [{ ports: [{ protocol: 'ICMP', port: 70000 }] }] } } as unknown as NetworkPolicy)
    .catch((x: unknown) => x);
  t.ok(e instanceof StatusError);
  t.equal((e as StatusError).code, 422);
  t.same((e as StatusError).details?.causes?.map((c) => `${c.field}: ${c.message}`), [
    'spec.ingress[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"',
    'spec.ingress[0].ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
    'spec.policyTypes[0]: Unsupported value: "Sideways": supported values: "Ingress", "Egress"',
  ]);
});

t.test('a node may list and watch what enforcement needs, and its sync follows the policies', async (t) => {
  const ca = await ensureCA(path.join(srv.dir, 'pki'));
  const creds = await issueCert(ca, { commonName: 'system:node:np1', organizations: ['system:nodes'], client: true });
  const node = clientFor(srv, creds);
  t.teardown(() => node.close());
  for (const [ref, what] of [[Resources.networkpolicies, 'networkpolicies'], [Resources.namespaces, 'namespaces'], [Resources.pods, 'pods']] as const) t.ok(await node.list(ref), `lists ${what} in every namespace`);
  const denied = await node.create(Resources.networkpolicies, 'np', { metadata: { name: 'mine' }, spec: { podSelector: {} } } as NetworkPolicy).catch((x: unknown) => x);
  t.equal((denied as StatusError).code, 403, 'but writes none');

  await ensureServiceAccount(srv.client, 'np');
  const pod = await srv.client.create<Pod>(Resources.pods, 'np', { metadata: { name: 'web', labels: { app: 'web' } }, spec: { nodeName: 'np1', containers: [{ name: 'c', image: 'busybox:1.35' }] } } as Pod);
  await srv.client.updateStatus(Resources.pods, { ...pod, status: { phase: 'Running', podIP: '10.244.7.5' } } as Pod);
  const documents: string[] = [];
  const exec: Exec = async (_file, _args, opts) => {
    documents.push(opts?.input ?? '');
    return { exitCode: 0, stdout: '', stderr: '' };
  };
  const running = await startNetworkPolicy(node, { nodeName: 'np1', exec });
  t.teardown(() => running.close());
  const last = () => documents.at(-1) ?? '';
  await until('the first sync: nobody isolated', () => documents.length > 0 && !last().includes('vmap'));
  const deny = await srv.client.create<NetworkPolicy>(Resources.networkpolicies, 'np', { metadata: { name: 'deny' }, spec: { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ ports: [{ port: 'http' }] }] } } as NetworkPolicy);
  t.same(deny.spec.ingress![0]!.ports, [{ port: 'http', protocol: 'TCP' }], 'ports default to TCP');
  await until('web isolated', () => /ip daddr vmap \{ 10\.244\.7\.5 : jump ingress-[0-9a-f]{16} \}/.test(last()));
  t.match(last(), /add chain inet kubets-netpol ingress-[0-9a-f]{16} \{ comment "ingress of np\/web" ; \}/);
  await srv.client.request('DELETE', '/apis/networking.k8s.io/v1/namespaces/np/networkpolicies/deny');
  await until('web open again', () => !last().includes('vmap'));
  t.pass('the sync followed the policy both ways');
});
