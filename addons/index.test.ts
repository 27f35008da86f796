import t from 'tap';
import { Resources } from '../api/resources.js';
import type { DaemonSet, Deployment, IngressClass, Service } from '../api/types.js';
import { startServer } from '../test/server-fixture.js';
import { installAddons } from './index.js';

t.test('the add-ons are applied with server-side apply, and a second apply changes only what changed', async (t) => {
  const srv = await startServer({ args: ['--disable-controllers'] });
  t.teardown(() => srv.destroy());
  const opts = { image: 'kubets.local/kubets:v1', apiServer: 'https://192.168.56.10:6443', mode: 'iptables' as const };
  const applied = await installAddons(srv.client, opts);
  t.same(applied.map((o) => o.kind), [
    ...['ServiceAccount', 'ConfigMap', 'DaemonSet', 'Role', 'RoleBinding'],
    ...['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Deployment', 'Service'],
    ...['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'IngressClass', 'DaemonSet'],
    ...['ServiceAccount', 'ClusterRole', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding', 'ClusterRoleBinding', 'Service', 'Deployment', 'APIService'],
    ...['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'DaemonSet', 'PersistentVolumeClaim', 'Deployment', 'Service'],
    ...['ServiceAccount', 'Service', 'Deployment'],
  ], 'kube-proxy, CoreDNS, the ingress controller, metrics-server, cluster logging, the Dashboard');
  const ds = await srv.client.get<DaemonSet>(Resources.daemonsets, 'kube-system', 'kube-proxy');
  t.equal(ds.spec.template.spec.containers[0].image, 'kubets.local/kubets:v1');
  t.equal((ds.metadata.managedFields as { manager?: string }[] | undefined)?.[0]?.manager, 'kubets-addons', 'owned by the add-on field manager');
  const dns = await srv.client.get<Deployment>(Resources.deployments, 'kube-system', 'coredns');
  t.equal(dns.spec.replicas, 2);
  t.equal((await srv.client.get<Service>(Resources.services, 'kube-system', 'kube-dns')).spec.clusterIP, '10.96.0.10');
  const ingress = await srv.client.get<DaemonSet>(Resources.daemonsets, 'kube-system', 'ingress-controller');
  t.same(ingress.spec.template.spec.containers[0].ports?.map((p) => [p.containerPort, p.hostPort]), [[80, 80], [443, 443], [10254, undefined]], 'host ports 80 and 443');
  t.notOk(ingress.spec.template.spec.tolerations?.length, 'no toleration: the tainted control plane runs none');
  const cls = await srv.client.get<IngressClass>(Resources.ingressclasses, undefined, 'kubets');
  t.equal(cls.spec.controller, 'kubets.io/ingress-controller');
  t.equal(cls.metadata.annotations?.['ingressclass.kubernetes.io/is-default-class'], 'true', 'the default class');

  const cm1 = await srv.client.get<{ metadata: { resourceVersion: string }; data: Record<string, string> } & Parameters<typeof srv.client.update>[1]>(Resources.configmaps, 'kube-system', 'kube-proxy');
  await installAddons(srv.client, opts);
  const dsAgain = await srv.client.get<DaemonSet>(Resources.daemonsets, 'kube-system', 'kube-proxy');
  t.equal(dsAgain.metadata.resourceVersion, ds.metadata.resourceVersion, 'the same objects again: nothing written');
  await installAddons(srv.client, { ...opts, mode: 'nftables' });
  const cm2 = await srv.client.get<typeof cm1>(Resources.configmaps, 'kube-system', 'kube-proxy');
  t.not(cm2.metadata.resourceVersion, cm1.metadata.resourceVersion);
  t.match(cm2.data['config.conf'], /^mode: nftables$/m, 'a new mode lands in the ConfigMap');
});
