import t from 'tap';
import { parse as parseYaml } from 'yaml';
import type { DaemonSet } from '../../api/types.js';
import { parseProxyConfigFile } from './config.js';
import { embeddedProxyLabel, proxyManifests } from './manifests.js';
import { shouldRun } from '../../control-plane/controllers/daemonset/actions.js';

t.test('kube-proxy as kubeadm deploys it: ServiceAccount, ConfigMap, host-network privileged DaemonSet', async (t) => {
  const objs = proxyManifests({ image: 'kubets.local/kubets:v1', apiServer: 'https://192.168.56.10:6443', mode: 'nftables' });
  t.same(objs.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`), ['ServiceAccount/kube-system/kube-proxy', 'ConfigMap/kube-system/kube-proxy', 'DaemonSet/kube-system/kube-proxy', 'Role/kube-system/kube-proxy', 'RoleBinding/kube-system/kube-proxy']);
  const data = (objs[1] as unknown as { data: Record<string, string> }).data;
  const config = parseProxyConfigFile(data['config.conf'], 'config.conf');
  t.equal(config.mode, 'nftables', 'the mode is in the ConfigMap');
  t.equal(config.kubeconfig, '/var/lib/kube-proxy/kubeconfig.conf', 'which names the kubeconfig beside it');
  const kubeconfig = parseYaml(data['kubeconfig.conf']);
  t.equal(kubeconfig.clusters[0].cluster.server, 'https://192.168.56.10:6443', 'the API by its real address, not the Service kube-proxy makes work');
  t.equal(kubeconfig.users[0].user.tokenFile, '/var/run/secrets/kubernetes.io/serviceaccount/token');
  const ds = objs[2] as DaemonSet;
  const pod = ds.spec.template.spec;
  t.same(ds.spec.selector.matchLabels, { 'k8s-app': 'kube-proxy' });
  t.equal(pod.hostNetwork, true);
  t.equal(pod.serviceAccountName, 'kube-proxy');
  t.same(pod.tolerations, [{ operator: 'Exists' }], 'on every node whatever its taints');
  t.same(pod.nodeSelector, { 'kubernetes.io/os': 'linux' });
  const c = pod.containers[0] as typeof pod.containers[0] & { securityContext?: { privileged?: boolean } };
  t.same(c.command, ['kubets', 'proxy', '--config=/var/lib/kube-proxy/config.conf', '--hostname-override=$(NODE_NAME)']);
  t.same(c.env, [{ name: 'NODE_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } }]);
  t.equal(c.securityContext?.privileged, true);
  t.same(c.volumeMounts?.map((m) => m.mountPath), ['/var/lib/kube-proxy', '/run/xtables.lock', '/lib/modules']);
});

t.test('the DaemonSet stays off nodes whose agent runs kube-proxy itself', async (t) => {
  const ds = proxyManifests({ image: 'kubets.local/kubets:v1', apiServer: 'https://192.168.56.10:6443' })[2] as DaemonSet;
  const node = (labels: Record<string, string>) => ({ metadata: { name: 'n', labels: { 'kubernetes.io/os': 'linux', ...labels } }, spec: { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' as const }] } });
  t.equal(shouldRun(ds, node({})), true, 'a node without the label, tainted or not');
  t.equal(shouldRun(ds, node({ [embeddedProxyLabel.key]: embeddedProxyLabel.value })), false, `not one labelled ${embeddedProxyLabel.key}=${embeddedProxyLabel.value}`);
  t.equal(shouldRun(ds, node({ [embeddedProxyLabel.key]: 'other' })), true, 'another value of the label does not count');
});
