import t from 'tap';
import type { Pod } from '../../../../api/types.js';
import type { Attributes } from '../../../../api/types.js';
import { authorizeNode, nodeNameOf } from './authorizer.js';
import { NodeGraph, podReferences } from './graph.js';

const pod = (name: string, node: string | undefined, spec: Record<string, unknown> = {}): Pod => ({
  metadata: { name, namespace: 'apps' },
  spec: { nodeName: node, containers: [{ name: 'c', image: 'x' }], ...spec },
}) as Pod;

const worker1 = { name: 'system:node:worker1', groups: ['system:nodes', 'system:authenticated'] };
const get = (resource: string, name?: string, o: Partial<Attributes> = {}): Attributes => ({ user: worker1, verb: 'get', isResourceRequest: true, apiGroup: '', namespace: 'apps', resource, name, ...o });

t.test('a pod refers to its secrets, config maps, claims and service account', async (t) => {
  const p = pod('web', 'worker1', {
    serviceAccountName: 'web-sa',
    imagePullSecrets: [{ name: 'pull' }],
    volumes: [{ name: 'a', secret: { secretName: 'tls' } }, { name: 'b', configMap: { name: 'conf' } }, { name: 'c', persistentVolumeClaim: { claimName: 'data' } }, { name: 'd', projected: { sources: [{ secret: { name: 'proj' } }, { configMap: { name: 'projcm' } }] } }],
    containers: [{ name: 'c', image: 'x', env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'env-secret', key: 'k' } } }], envFrom: [{ configMapRef: { name: 'env-cm' } }] }],
  });
  t.same(podReferences(p).sort(), ['configmaps/apps/conf', 'configmaps/apps/env-cm', 'configmaps/apps/projcm', 'persistentvolumeclaims/apps/data', 'secrets/apps/env-secret', 'secrets/apps/proj', 'secrets/apps/pull', 'secrets/apps/tls', 'serviceaccounts/apps/web-sa']);
});

t.test('a node reads only what the pods bound to it use, while they are there', async (t) => {
  const g = new NodeGraph();
  const mine = pod('web', 'worker1', { volumes: [{ name: 'a', secret: { secretName: 'tls' } }, { name: 'c', persistentVolumeClaim: { claimName: 'data' } }] });
  g.upsertPod(mine);
  g.upsertPod(pod('db', 'worker2', { volumes: [{ name: 'a', secret: { secretName: 'db-pass' } }] }));
  g.setClaimVolume('apps', 'data', 'pv-1');
  t.equal(authorizeNode(g, get('secrets', 'tls')).decision, 'Allow');
  t.equal(authorizeNode(g, get('secrets', 'tls', { verb: 'watch' })).decision, 'Allow', 'a watch of one named secret');
  const other = authorizeNode(g, get('secrets', 'db-pass'));
  t.equal(other.decision, 'Deny');
  t.equal(other.reason, "no relationship found between node 'worker1' and this object");
  t.equal(authorizeNode(g, get('secrets', undefined, { verb: 'list' })).decision, 'Deny', 'no listing all secrets');
  t.equal(authorizeNode(g, get('persistentvolumes', 'pv-1', { namespace: undefined })).decision, 'Allow', 'the PV of its pod\'s claim');
  t.equal(authorizeNode(g, get('serviceaccounts', 'default', { verb: 'create', subresource: 'token' })).decision, 'Allow');
  g.deletePod(mine);
  t.equal(authorizeNode(g, get('secrets', 'tls')).decision, 'Deny', 'gone with the pod');
});

t.test('own lease only; static node rules for the rest; other users are not judged', async (t) => {
  const g = new NodeGraph();
  const lease = (name: string, verb = 'update'): Attributes => ({ user: worker1, verb, isResourceRequest: true, apiGroup: 'coordination.k8s.io', namespace: 'kube-node-lease', resource: 'leases', name });
  t.equal(authorizeNode(g, lease('worker1')).decision, 'Allow');
  t.equal(authorizeNode(g, lease('worker2')).decision, 'Deny');
  t.equal(authorizeNode(g, get('pods', undefined, { verb: 'list', namespace: undefined })).decision, 'Allow', 'system:node rules: list pods');
  t.equal(authorizeNode(g, get('pods', 'web', { verb: 'update', subresource: 'status' })).decision, 'Allow', 'pod status (NodeRestriction narrows it)');
  t.equal(authorizeNode(g, get('deployments', undefined, { verb: 'list', apiGroup: 'apps' })).decision, 'NoOpinion');
  t.equal(authorizeNode(g, get('secrets', 'tls', { user: { name: 'alice', groups: [] } })).decision, 'NoOpinion');
  t.equal(nodeNameOf({ name: 'system:node:x', groups: [] }), undefined, 'the name alone does not make a node');
});
