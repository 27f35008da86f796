// The Node authorizer and NodeRestriction admission, with a real node credential obtained as a joining kubelet gets
// it: a bootstrap token posts a CertificateSigningRequest for system:node:n1, the controllers approve and sign it, and
// with that certificate the node may register and update only itself, create only its own mirror pods, read only the
// Secrets of pods bound to it, write only its own Lease and the status of its own pods, and request tokens only for
// its pods — each refusal in kube-apiserver's words.
import t from 'tap';
import type * as Tap from 'tap';
import { createToken } from '../api/bootstraptoken.js';
import type { ApiClient } from '../api/client.js';
import { StatusError } from '../api/errors.js';
import { createCSR } from '../api/pki.js';
import { Resources } from '../api/resources.js';
import { SIGNERS, type CertificateSigningRequest, type KubeObject, type Lease, type Node, type Pod } from '../api/types.js';
import { clusterPodNetwork } from '../agent/network/index.js';
import { vtepAnnotations } from '../agent/network/vxlan.js';
import { clientFor } from './identities.js';
import { startServer, type TestServer } from './server-fixture.js';
import { until } from './until.js';

let srv: TestServer;
let n1: ApiClient;
let n1Node: Node;
t.before(async () => {
  srv = await startServer();
});
t.teardown(async () => {
  n1?.close();
  await srv?.destroy();
});

/** What a request answered: the object, or the StatusError. */
const attempt = <T>(p: Promise<T>) => p.catch((e: unknown) => (e instanceof StatusError ? e : Promise.reject(e)));

/** A refusal: 403 with exactly this message. */
async function refused(t: Tap.Test, p: Promise<unknown>, message: string, what = message) {
  const r = await attempt(p);
  t.ok(r instanceof StatusError, what);
  if (r instanceof StatusError) {
    t.equal(r.code, 403, what);
    t.equal(r.message, message, what);
  }
}

/** A client certificate for a node, the way a joining kubelet gets it: bootstrap token, CSR, auto-approval, signing. */
async function nodeCredential(name: string): Promise<{ certPem: string; keyPem: string; csr: string }> {
  const token = await createToken(srv.kubeconfig, { ttlSeconds: 3600, description: `test join of ${name}` });
  const boot = clientFor(srv, { token });
  try {
    const { csrPem, keyPem } = await createCSR({ commonName: `system:node:${name}`, organizations: ['system:nodes'] });
    const created = await boot.create<CertificateSigningRequest>(Resources.certificatesigningrequests, undefined, {
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { generateName: 'node-csr-' },
      spec: { request: Buffer.from(csrPem).toString('base64'), signerName: SIGNERS.kubeletClient, usages: ['digital signature', 'client auth'] },
    });
    const signed = await until(`CSR ${created.metadata.name} signed`, async () => (await boot.get<CertificateSigningRequest>(Resources.certificatesigningrequests, undefined, created.metadata.name!)).status?.certificate);
    return { certPem: Buffer.from(signed, 'base64').toString(), keyPem, csr: created.metadata.name! };
  } finally {
    boot.close();
  }
}

const nodeObject = (name: string, labels: Record<string, string> = {}): Node => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } }, spec: {} }) as Node;
const podObject = (name: string, node: string, spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', ...meta }, spec: { nodeName: node, containers: [{ name: 'c', image: 'busybox:1.35' }], ...spec } }) as Pod;

t.test('a joining node gets its certificate through a bootstrap token and an auto-approved CSR', async (t) => {
  const cred = await nodeCredential('n1');
  n1 = clientFor(srv, cred);
  const csr = await srv.client.get<CertificateSigningRequest>(Resources.certificatesigningrequests, undefined, cred.csr);
  t.match(csr.spec.username, /^system:bootstrap:[a-z0-9]{6}$/, 'requested with the bootstrap token');
  t.match(csr.status?.conditions, [{ type: 'Approved', status: 'True', reason: 'AutoApproved' }]);
  const who = await n1.request<{ status: { userInfo: { username: string; groups: string[] } } }>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
  t.same(who.status.userInfo, { username: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] });
});

t.test('a node registers and updates itself only', async (t) => {
  n1Node = await n1.create<Node>(Resources.nodes, undefined, nodeObject('n1'));
  t.equal(n1Node.metadata.name, 'n1', 'registers itself');
  await refused(t, n1.create(Resources.nodes, undefined, nodeObject('n2')), 'nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"');
  await srv.client.create(Resources.nodes, undefined, nodeObject('n2'));

  const status = { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }] };
  const updated = await n1.patch<Node>(Resources.nodes, undefined, 'n1', 'merge', { status }, 'status');
  t.equal(updated.status?.conditions?.[0].reason, 'KubeletReady', 'updates its own status');
  await refused(t, n1.patch(Resources.nodes, undefined, 'n2', 'merge', { status }, 'status'), 'nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"');
  await refused(t, n1.patch(Resources.nodes, undefined, 'n2', 'merge', { metadata: { labels: { x: 'y' } } }), 'nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"');

  // Its own labels: ordinary ones and the kubelet's, but nothing under node-restriction.kubernetes.io/.
  const labelled = await n1.patch<Node>(Resources.nodes, undefined, 'n1', 'merge', { metadata: { labels: { 'example.com/rack': 'r1', 'topology.kubernetes.io/zone': 'z1' } } });
  t.equal(labelled.metadata.labels?.['example.com/rack'], 'r1');
  await refused(t, n1.patch(Resources.nodes, undefined, 'n1', 'merge', { metadata: { labels: { 'node-restriction.kubernetes.io/x': 'true' } } }), 'nodes "n1" is forbidden: is not allowed to modify labels: node-restriction.kubernetes.io/x');
  await refused(t, n1.patch(Resources.nodes, undefined, 'n1', 'merge', { metadata: { labels: { 'node-role.kubernetes.io/control-plane': '' } } }), 'nodes "n1" is forbidden: is not allowed to modify labels: node-role.kubernetes.io/control-plane');

  await refused(t, n1.delete(Resources.nodes, undefined, 'n2'), 'nodes "n2" is forbidden: User "system:node:n1" cannot delete resource "nodes" in API group "" at the cluster scope');
  await refused(t, n1.delete(Resources.nodes, undefined, 'n1'), 'nodes "n1" is forbidden: User "system:node:n1" cannot delete resource "nodes" in API group "" at the cluster scope', 'not even itself');
  t.ok(await srv.client.get(Resources.nodes, undefined, 'n2'), 'n2 is still there');
});

t.test("a node reads the cluster's pod network and publishes its VTEP on its own Node", async (t) => {
  t.equal(await clusterPodNetwork(n1), 'host-gw', 'the server default, from kube-system/kubets-pod-network');
  await refused(t, n1.get(Resources.configmaps, 'kube-system', 'extension-apiserver-authentication'), 'configmaps "extension-apiserver-authentication" is forbidden: User "system:node:n1" cannot get resource "configmaps" in API group "" in the namespace "kube-system": no relationship found between node \'n1\' and this object', 'no other kube-system ConfigMap');
  const patched = await n1.patch<Node>(Resources.nodes, undefined, 'n1', 'merge', { metadata: { annotations: vtepAnnotations('0a:58:0a:f4:01:00', '192.0.2.1') } });
  t.equal(patched.metadata.annotations?.['flannel.alpha.coreos.com/backend-type'], 'vxlan');
});

t.test('a node creates only mirror pods bound to itself', async (t) => {
  await refused(t, n1.create(Resources.pods, 'default', podObject('plain', 'n1')), 'pods "plain" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "n1" can only create mirror pods');
  const owner = { apiVersion: 'v1', kind: 'Node', name: 'n1', uid: n1Node.metadata.uid!, controller: true };
  const mirror = (name: string, node: string, spec: Record<string, unknown> = {}) => podObject(name, node, { automountServiceAccountToken: false, ...spec }, { annotations: { 'kubernetes.io/config.mirror': 'hash' }, ownerReferences: [owner] });
  const created = await n1.create<Pod>(Resources.pods, 'default', mirror('static-web-n1', 'n1'));
  t.equal(created.metadata.annotations?.['kubernetes.io/config.mirror'], 'hash', 'a mirror pod of its own');
  t.notOk((created.spec as { serviceAccountName?: string }).serviceAccountName, 'mirror pods run without API credentials');
  await refused(t, n1.create(Resources.pods, 'default', mirror('static-web-n2', 'n2')), 'pods "static-web-n2" is forbidden: node "n1" can only create pods with spec.nodeName set to itself');
  await refused(t, n1.create(Resources.pods, 'default', mirror('with-secret', 'n1', { volumes: [{ name: 's', secret: { secretName: 's1' } }] })), 'pods "with-secret" is forbidden: a mirror pod may not reference secrets or config maps');
});

t.test('a node reads the secrets of pods bound to it, and nothing else', async (t) => {
  for (const name of ['s1', 's2', 'unused']) await srv.client.create(Resources.secrets, 'default', { apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData: { k: name } } as KubeObject);
  await srv.client.create(Resources.pods, 'default', podObject('p1', 'n1', { volumes: [{ name: 's', secret: { secretName: 's1' } }] }));
  await srv.client.create(Resources.pods, 'default', podObject('p2', 'n2', { volumes: [{ name: 's', secret: { secretName: 's2' } }] }));
  // The authorizer's graph follows the pods through a watch.
  const s1 = await until('n1 may read s1', () => attempt(n1.get<KubeObject & { data: Record<string, string> }>(Resources.secrets, 'default', 's1')).then((r) => !(r instanceof StatusError) && r));
  t.equal(Buffer.from(s1.data.k, 'base64').toString(), 's1');
  t.ok(await n1.get(Resources.configmaps, 'default', 'kube-root-ca.crt'), 'and the config map its pod\'s projected volume uses');

  await refused(t, n1.get(Resources.secrets, 'default', 's2'), 'secrets "s2" is forbidden: User "system:node:n1" cannot get resource "secrets" in API group "" in the namespace "default": no relationship found between node \'n1\' and this object', 'a secret only a pod on n2 uses');
  await refused(t, n1.get(Resources.secrets, 'default', 'unused'), 'secrets "unused" is forbidden: User "system:node:n1" cannot get resource "secrets" in API group "" in the namespace "default": no relationship found between node \'n1\' and this object');
  await refused(t, n1.list(Resources.secrets), 'secrets is forbidden: User "system:node:n1" cannot list resource "secrets" in API group "" at the cluster scope: can only read namespaced object of this type');
  await refused(t, n1.list(Resources.secrets, 'default'), 'secrets is forbidden: User "system:node:n1" cannot list resource "secrets" in API group "" in the namespace "default": No Object name found');
  t.ok(await n1.list(Resources.secrets, 'default', { fieldSelector: 'metadata.name=s1' }), 'a list narrowed to the one it may read');
  await refused(t, n1.update(Resources.secrets, { ...s1, data: { k: 'eA==' } }), 'secrets "s1" is forbidden: User "system:node:n1" cannot update resource "secrets" in API group "" in the namespace "default": can only read resources of this type');

  // The relationship ends with the pod.
  await srv.client.delete(Resources.pods, 'default', 'p1', { gracePeriodSeconds: 0 });
  await until('n1 may no longer read s1', () => attempt(n1.get(Resources.secrets, 'default', 's1')).then((r) => r instanceof StatusError && r.code === 403));
  await srv.client.create(Resources.pods, 'default', podObject('p1', 'n1', { volumes: [{ name: 's', secret: { secretName: 's1' } }] }));
  await until('n1 may read s1 again', () => attempt(n1.get(Resources.secrets, 'default', 's1')).then((r) => !(r instanceof StatusError)));
});

t.test('a node updates the status of its own pods only', async (t) => {
  const status = { conditions: [{ type: 'Ready', status: 'True' }], phase: 'Running' };
  const mine = await n1.patch<Pod>(Resources.pods, 'default', 'p1', 'merge', { status }, 'status');
  t.equal(mine.status?.phase, 'Running');
  await refused(t, n1.patch(Resources.pods, 'default', 'p2', 'merge', { status }, 'status'), 'pods "p2" is forbidden: node "n1" can only update pod status for pods with spec.nodeName set to itself');
  await refused(t, n1.patch(Resources.pods, 'default', 'p1', 'merge', { metadata: { labels: { x: 'y' } } }), 'pods "p1" is forbidden: User "system:node:n1" cannot patch resource "pods" in API group "" in the namespace "default"', 'the spec and metadata are not the node\'s');
  await refused(t, n1.delete(Resources.pods, 'default', 'p2'), 'pods "p2" is forbidden: node "n1" can only delete pods with spec.nodeName set to itself');
});

const leaseObject = (name: string): Lease => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: 'kube-node-lease' }, spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: new Date().toISOString() } }) as Lease;

t.test('a node holds its own lease only', async (t) => {
  const lease = await n1.create<Lease>(Resources.leases, 'kube-node-lease', leaseObject('n1'));
  t.equal(lease.metadata.name, 'n1');
  const renewed = await n1.update<Lease>(Resources.leases, { ...lease, spec: { ...lease.spec, renewTime: new Date().toISOString() } });
  t.not(renewed.metadata.resourceVersion, lease.metadata.resourceVersion, 'renews it');
  await refused(t, n1.create(Resources.leases, 'kube-node-lease', leaseObject('n2')), 'leases.coordination.k8s.io "n2" is forbidden: can only access node lease with the same name as the requesting node');
  const n2Lease = await srv.client.create<Lease>(Resources.leases, 'kube-node-lease', leaseObject('n2'));
  await refused(t, n1.get(Resources.leases, 'kube-node-lease', 'n2'), 'leases.coordination.k8s.io "n2" is forbidden: User "system:node:n1" cannot get resource "leases" in API group "coordination.k8s.io" in the namespace "kube-node-lease": can only access node lease with the same name as the requesting node');
  await refused(t, n1.update(Resources.leases, n2Lease), 'leases.coordination.k8s.io "n2" is forbidden: User "system:node:n1" cannot update resource "leases" in API group "coordination.k8s.io" in the namespace "kube-node-lease": can only access node lease with the same name as the requesting node');
  await refused(t, n1.create(Resources.leases, 'default', { ...leaseObject('n1'), metadata: { name: 'n1', namespace: 'default' } }), 'leases.coordination.k8s.io is forbidden: User "system:node:n1" cannot create resource "leases" in API group "coordination.k8s.io" in the namespace "default": can only access leases in the "kube-node-lease" system namespace');
});

t.test('a node requests tokens only for the service accounts of its own pods, bound to them', async (t) => {
  await srv.client.create(Resources.serviceaccounts, 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'n2-only' } });
  await srv.client.create(Resources.pods, 'default', podObject('p3', 'n2', { serviceAccountName: 'n2-only' }));
  const [p1, p2, p3] = await Promise.all(['p1', 'p2', 'p3'].map((p) => srv.client.get<Pod>(Resources.pods, 'default', p)));
  const request = (pod: Pod) => ({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: [], expirationSeconds: 3600, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid } } });
  const token = await n1.createSubresource<{ status: { token: string } }>(Resources.serviceaccounts, 'default', 'default', 'token', request(p1));
  t.match(token.status.token, /^ey/, 'for its own pod');
  const claims = JSON.parse(Buffer.from(token.status.token.split('.')[1], 'base64url').toString());
  t.same(claims['kubernetes.io'].node, { name: 'n1', uid: n1Node.metadata.uid }, 'bound to the pod and naming its node');

  await refused(t, n1.createSubresource(Resources.serviceaccounts, 'default', 'default', 'token', request(p2)), 'serviceaccounts "default" is forbidden: node requested token bound to a pod scheduled on a different node', 'p2 runs on n2 (under the same service account)');
  await refused(t, n1.createSubresource(Resources.serviceaccounts, 'default', 'n2-only', 'token', request(p3)), 'serviceaccounts "n2-only" is forbidden: User "system:node:n1" cannot create resource "serviceaccounts/token" in API group "" in the namespace "default": no relationship found between node \'n1\' and this object');
  await refused(t, n1.createSubresource(Resources.serviceaccounts, 'default', 'default', 'token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} }), 'serviceaccounts "default" is forbidden: node requested token not bound to a pod');
  const noUID = request(p1);
  delete (noUID.spec.boundObjectRef as { uid?: string }).uid;
  await refused(t, n1.createSubresource(Resources.serviceaccounts, 'default', 'default', 'token', noUID), 'serviceaccounts "default" is forbidden: node requested token with a pod binding without a uid');
  await refused(t, n1.get(Resources.serviceaccounts, 'default', 'default'), 'serviceaccounts "default" is forbidden: User "system:node:n1" cannot get resource "serviceaccounts" in API group "" in the namespace "default": can only create tokens for individual service accounts');
});

t.test('a node cannot get a certificate for another node', async (t) => {
  // n1 asks for n2's client certificate: only a self-renewal (CN = the requester) is auto-approved for nodes.
  const { csrPem } = await createCSR({ commonName: 'system:node:n2', organizations: ['system:nodes'] });
  const other = await n1.create<CertificateSigningRequest>(Resources.certificatesigningrequests, undefined, {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name: 'n1-asks-for-n2' },
    spec: { request: Buffer.from(csrPem).toString('base64'), signerName: SIGNERS.kubeletClient, usages: ['digital signature', 'client auth'] },
  });
  // Its own renewal, posted after: once that is signed, the controller has long been through the other one.
  const renewal = await createCSR({ commonName: 'system:node:n1', organizations: ['system:nodes'] });
  await n1.create<CertificateSigningRequest>(Resources.certificatesigningrequests, undefined, {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name: 'n1-renews' },
    spec: { request: Buffer.from(renewal.csrPem).toString('base64'), signerName: SIGNERS.kubeletClient, usages: ['digital signature', 'client auth'] },
  });
  const renewed = await until('the renewal is signed', async () => (await n1.get<CertificateSigningRequest>(Resources.certificatesigningrequests, undefined, 'n1-renews')).status?.certificate && true);
  t.ok(renewed, 'a node renews its own certificate');
  const pending = await n1.get<CertificateSigningRequest>(Resources.certificatesigningrequests, undefined, other.metadata.name!);
  t.same(pending.status?.conditions ?? [], [], 'the request for n2 stays pending');
  t.notOk(pending.status?.certificate);
  await refused(t, n1.request('PUT', `/apis/certificates.k8s.io/v1/certificatesigningrequests/${other.metadata.name}/approval`, { ...pending, status: { conditions: [{ type: 'Approved', status: 'True', reason: 'Mine' }] } }), 'certificatesigningrequests.certificates.k8s.io "n1-asks-for-n2" is forbidden: User "system:node:n1" cannot update resource "certificatesigningrequests/approval" in API group "certificates.k8s.io" at the cluster scope', 'nor approve it itself');
});
