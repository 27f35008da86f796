// The target groups of the node, pod and endpoints roles, labelled as Prometheus' Kubernetes discovery labels them.
import t from 'tap';
import type { Endpoints, Node, Pod, Service } from '../../api/types.js';
import { endpointsGroups, nodeGroups, podGroups } from './discovery.js';

const pod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'coredns-1', namespace: 'kube-system', uid: 'u1', labels: { 'k8s-app': 'kube-dns' }, annotations: { 'prometheus.io/scrape': 'true' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'coredns-x', uid: 'r1', controller: true }] },
  spec: { nodeName: 'worker1', containers: [{ name: 'coredns', image: 'kubets', ports: [{ name: 'dns', containerPort: 53, protocol: 'UDP' }, { name: 'metrics', containerPort: 9153 }] }] },
  status: { phase: 'Running', podIP: '10.244.1.5', hostIP: '192.168.56.11', conditions: [{ type: 'Ready', status: 'True' }] },
} as Pod;

t.test('node role: the first address by type preference at the kubelet port, with labels', async (t) => {
  const node = { metadata: { name: 'worker1', labels: { 'kubernetes.io/hostname': 'worker1' } }, spec: {}, status: { addresses: [{ type: 'Hostname', address: 'worker1' }, { type: 'InternalIP', address: '192.168.56.11' }], daemonEndpoints: { kubeletEndpoint: { Port: 10250 } } } } as unknown as Node;
  const [g] = nodeGroups([node, { metadata: { name: 'bare' }, status: {} } as Node]);
  t.same(g.targets, ['192.168.56.11:10250']);
  t.equal(g.labels.instance, 'worker1');
  t.equal(g.labels.__meta_kubernetes_node_label_kubernetes_io_hostname, 'worker1');
  t.equal(g.labels.__meta_kubernetes_node_labelpresent_kubernetes_io_hostname, 'true');
  t.equal(g.labels.__meta_kubernetes_node_address_InternalIP, '192.168.56.11');
  t.equal(nodeGroups([{ metadata: { name: 'bare' }, status: {} } as Node]).length, 0, 'a node without addresses has no target');
});

t.test('pod role: one target per container port; none without an IP', async (t) => {
  const groups = podGroups([pod, { ...pod, metadata: { ...pod.metadata, name: 'new' }, status: {} } as Pod]);
  t.same(groups.map((g) => g.targets[0]), ['10.244.1.5:53', '10.244.1.5:9153']);
  const l = groups[1].labels;
  t.equal(l.__meta_kubernetes_pod_container_port_name, 'metrics');
  t.equal(l.__meta_kubernetes_pod_container_port_protocol, 'TCP');
  t.equal(l.__meta_kubernetes_pod_annotation_prometheus_io_scrape, 'true');
  t.equal(l.__meta_kubernetes_pod_ready, 'true');
  t.equal(l.__meta_kubernetes_pod_controller_kind, 'ReplicaSet');
  t.equal(l.__meta_kubernetes_pod_node_name, 'worker1');
});

t.test('endpoints role: every address and port, with the Service and the pod behind it', async (t) => {
  const ep = { metadata: { name: 'kube-dns', namespace: 'kube-system' }, subsets: [{ addresses: [{ ip: '10.244.1.5', nodeName: 'worker1', targetRef: { kind: 'Pod', name: 'coredns-1', namespace: 'kube-system' } }], notReadyAddresses: [{ ip: '10.244.2.9' }], ports: [{ name: 'metrics', port: 9153, protocol: 'TCP' }] }] } as unknown as Endpoints;
  const svc = { metadata: { name: 'kube-dns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } }, spec: {} } as unknown as Service;
  const groups = endpointsGroups([ep], [svc], [pod]);
  t.same(groups.map((g) => [g.targets[0], g.labels.__meta_kubernetes_endpoint_ready]), [['10.244.1.5:9153', 'true'], ['10.244.2.9:9153', 'false']]);
  const l = groups[0].labels;
  t.equal(l.__meta_kubernetes_service_name, 'kube-dns');
  t.equal(l.__meta_kubernetes_service_label_k8s_app, 'kube-dns');
  t.equal(l.__meta_kubernetes_endpoint_port_name, 'metrics');
  t.equal(l.__meta_kubernetes_endpoint_node_name, 'worker1');
  t.equal(l.__meta_kubernetes_endpoint_address_target_name, 'coredns-1');
  t.equal(l.__meta_kubernetes_pod_name, 'coredns-1', "the pod's labels too");
});
