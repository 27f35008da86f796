// The system pods' priority classes (kubeadm's static pods and kube-proxy, CoreDNS, metrics-server, the ingress controller).
import t from 'tap';
import type { KubeObject, Pod } from '../api/types.js';
import { controlPlaneManifests } from '../control-plane/staticpods.js';
import { addonManifests } from './index.js';

type Any = any;

// The system pods run with the system priority classes, as kubeadm, CoreDNS and metrics-server ship them: what must
// stay on its node (the control plane's static pods, kube-proxy) is system-node-critical, what may move to another
// node (DNS, metrics-server, the ingress controller) system-cluster-critical.
t.test('every system pod names a system priority class', async (t) => {
  const workloads = addonManifests({ image: 'kubets.local/kubets:v1', apiServer: 'https://192.168.56.10:6443', mode: 'iptables' }).filter((o: KubeObject & Any) => o.spec?.template?.spec);
  const classes = Object.fromEntries(workloads.map((o: KubeObject & Any) => [`${o.kind}/${o.metadata.name}`, o.spec.template.spec.priorityClassName]));
  t.match(classes, {
    'DaemonSet/kube-proxy': 'system-node-critical',
    'Deployment/coredns': 'system-cluster-critical',
    'DaemonSet/ingress-controller': 'system-cluster-critical',
    'Deployment/metrics-server': 'system-cluster-critical',
  });
  for (const o of workloads as (KubeObject & Any)[]) {
    t.equal(o.metadata.namespace, 'kube-system', `${o.metadata.name} in kube-system`);
    t.match(o.spec.template.spec.priorityClassName, /^system-(node|cluster)-critical$/, `${o.kind}/${o.metadata.name}: an add-on runs with a system class`);
  }

  const statics: Pod[] = controlPlaneManifests({ nodeName: 'master', advertiseAddress: '192.168.56.10', image: 'kubets.local/kubets:v1', etcdImage: 'kubets.local/etcd:3.4' });
  t.same(statics.map((p) => [p.metadata.name, p.spec.priorityClassName, p.spec.priority]), [
    ['etcd', 'system-node-critical', 2000001000],
    ['kube-apiserver', 'system-node-critical', 2000001000],
    ['kube-controller-manager', 'system-node-critical', 2000001000],
    ['kube-scheduler', 'system-node-critical', 2000001000],
  ]);
});
