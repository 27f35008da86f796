// The lab's kube-system, checked the way the seeds look at a kubeadm cluster: the four control-plane static pods of
// the master (mirror pods from /etc/kubernetes/manifests), the kube-proxy DaemonSet on every node (its process named
// kube-proxy, listening on :10249 and :10256), and CoreDNS answering pods on every worker — a Service created after
// the fact resolving within about two seconds. Both lab kinds run these, after the nodes are Ready.
import type { Test } from 'tap';
import { labClient, until, type LabUnderTest } from './lab-e2e.js';

const running = (p: any) => p.status?.phase === 'Running' && p.status.containerStatuses?.every((c: any) => c.ready);

/**
 * `dnsOnWorkers`: the add-ons went in once the workers had joined (the netns lab), so CoreDNS spreads over them; after
 * `kubets init` they go in with the master alone, and both replicas run there, as on a fresh kubeadm cluster.
 */
export function kubeSystemChecks(t: Test, lab: () => LabUnderTest, o: { dnsOnWorkers?: boolean } = {}): void {
  t.test('kube-system: control-plane static pods, kube-proxy on every node, two CoreDNS replicas, all Running', async (t) => {
    const { kubectl, json } = labClient(lab());
    const nodes = Object.keys(lab().nodes);
    const workers = nodes.filter((n) => n !== 'master');
    const pods = await until('kube-system pods Running', async () => {
      const items = (await json(['get', 'pods', '-n', 'kube-system'])).items.filter((p: any) => !p.metadata.deletionTimestamp);
      const proxies = items.filter((p: any) => p.metadata.labels?.['k8s-app'] === 'kube-proxy');
      const dns = items.filter((p: any) => p.metadata.labels?.['k8s-app'] === 'kube-dns');
      return proxies.length === nodes.length && dns.length === 2 && items.every(running) && items;
    }, 240_000);
    for (const component of ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler']) {
      const p = pods.find((x: any) => x.metadata.name === `${component}-master`);
      t.ok(p, `${component}-master is there`);
      t.ok(p?.metadata.annotations?.['kubernetes.io/config.mirror'], `${component}-master is a mirror pod`);
      t.equal(p?.spec.nodeName, 'master');
      t.equal(p?.spec.hostNetwork, true);
      t.equal(p?.status.podIP, lab().nodes.master, `${component} on the master's address`);
    }
    const proxies = pods.filter((p: any) => p.metadata.labels?.['k8s-app'] === 'kube-proxy');
    t.same(proxies.map((p: any) => p.spec.nodeName).sort(), nodes.sort(), 'one kube-proxy per node, the master included');
    t.ok(proxies.every((p: any) => p.status.podIP === lab().nodes[p.spec.nodeName]), 'kube-proxy on each node\'s host network');
    const dns = pods.filter((p: any) => p.metadata.labels?.['k8s-app'] === 'kube-dns');
    t.equal(dns.length, 2, 'two CoreDNS replicas');
    if (o.dnsOnWorkers) {
      t.equal(new Set(dns.map((p: any) => p.spec.nodeName)).size, 2, 'the two CoreDNS replicas on different nodes');
      t.ok(dns.every((p: any) => workers.includes(p.spec.nodeName)), 'on workers (the master is tainted)');
    }

    const ds = await kubectl(['get', 'ds', '-n', 'kube-system']);
    t.match(ds.stdout, new RegExp(`^kube-proxy\\s+${nodes.length}\\s+${nodes.length}\\s+${nodes.length}\\s+${nodes.length}\\s+${nodes.length}\\s+kubernetes\\.io/os=linux\\s`, 'm'), 'kubectl get ds: kube-proxy 4 4 4 4 4');
    const wide = await kubectl(['get', 'po', '-n', 'kube-system', '-o', 'wide']);
    t.match(wide.stdout, /^etcd-master\s+1\/1\s+Running\s/m);
    t.match(wide.stdout, /^kube-apiserver-master\s+1\/1\s+Running\s/m);
    t.equal((await json(['get', 'svc', '-n', 'kube-system', 'kube-dns'])).spec.clusterIP, '10.96.0.10');

    const manifests = await lab().onNode('master', ['ls', '/etc/kubernetes/manifests']);
    t.same(manifests.stdout.split('\n').sort(), ['etcd.yaml', 'kube-apiserver.yaml', 'kube-controller-manager.yaml', 'kube-scheduler.yaml'], 'the master\'s /etc/kubernetes/manifests');
    const cm = await json(['get', 'configmap', '-n', 'kube-system', 'kube-proxy']);
    t.match(cm.data['config.conf'], new RegExp(`^mode: ${lab().proxyMode}$`, 'm'), 'the mode comes from the kube-proxy ConfigMap');
    for (const node of nodes) {
      // netstat -lntp | grep kube-proxy, as seed 001 looks for it.
      const ss = await lab().onNode(node, ['ss', '-lntpH']);
      for (const port of [10249, 10256]) t.match(ss.stdout, new RegExp(`:${port}\\s.*users:\\(\\("kube-proxy"`), `${node}: kube-proxy listens on :${port}`);
    }
  });

  t.test('cluster DNS answers pods on every worker: Service names, short names, kubernetes.default', async (t) => {
    const { kubectl, json } = labClient(lab());
    const workers = Object.keys(lab().nodes).filter((n) => n !== 'master');
    // A web Service answering HTTP, and one client pod per worker.
    t.equal((await kubectl(['create', 'deployment', 'dnsweb', '--image=busybox:1.35', '--', 'sh', '-c', 'mkdir -p /www && echo dns-ok > /www/index.html && exec httpd -f -p 80 -h /www'])).exitCode, 0);
    t.equal((await kubectl(['expose', 'deployment', 'dnsweb', '--port=80'])).exitCode, 0);
    // busybox's nslookup asks for the bare name too, and fails on any miss, so names short of fully qualified are
    // resolved the way programs do (the resolver with resolv.conf's search list): ping names the address it resolved.
    const script = "nslookup dnsweb.default.svc.cluster.local && ping -c1 -W1 kubernetes.default | grep -qF '(10.96.0.1)' && wget -qO- http://dnsweb/ | grep -q dns-ok";
    for (const w of workers) {
      const pod = `apiVersion: v1
kind: Pod
metadata: {name: dns-${w}}
spec:
  nodeName: ${w}
  restartPolicy: Never
  containers:
  - {name: c, image: busybox:1.35, command: ["sh", "-c", ${JSON.stringify(`for i in $(seq 60); do ${script} && exit 0; sleep 1; done; exit 1`)}]}
`;
      t.equal((await kubectl(['apply', '-f', '-'], pod)).exitCode, 0);
    }
    await kubectl(['rollout', 'status', 'deployment/dnsweb', '--timeout=120s']);
    for (const w of workers) {
      const phase = await until(`dns-${w} finished`, async () => {
        const p = await json(['get', 'pod', `dns-${w}`]);
        return ['Succeeded', 'Failed'].includes(p.status?.phase) && p.status.phase;
      });
      t.equal(phase, 'Succeeded', `a pod on ${w} resolves a Service's full name, kubernetes.default through the search list, and reaches a Service by its short name`);
      const resolv = await kubectl(['logs', `dns-${w}`]);
      t.match(resolv.stdout, /Name:\s+dnsweb\.default\.svc\.cluster\.local\s+Address: 10\.\d+\.\d+\.\d+/, `${w}: the A record`);
    }
    await kubectl(['delete', 'pod', ...workers.map((w) => `dns-${w}`), '--wait=false']);
  });

  t.test('a Service created after the fact resolves within about two seconds', async (t) => {
    const { kubectl, json } = labClient(lab());
    const pod = `apiVersion: v1
kind: Pod
metadata: {name: dns-late}
spec:
  containers:
  - {name: c, image: busybox:1.35, command: ["sleep", "3600"]}
`;
    t.equal((await kubectl(['apply', '-f', '-'], pod)).exitCode, 0);
    await until('dns-late running', async () => (await json(['get', 'pod', 'dns-late'])).status?.phase === 'Running');
    t.not((await kubectl(['exec', 'dns-late', '--', 'nslookup', 'late.default.svc.cluster.local'])).exitCode, 0, 'not there before the Service');
    t.equal((await kubectl(['create', 'service', 'clusterip', 'late', '--tcp=80:80'])).exitCode, 0);
    // Twenty tries a tenth of a second apart, starting once the Service is stored: it must resolve within them.
    const r = await kubectl(['exec', 'dns-late', '--', 'sh', '-c', 'for i in $(seq 20); do nslookup late.default.svc.cluster.local >/dev/null 2>&1 && echo "resolved at try $i" && exit 0; sleep 0.1; done; exit 1']);
    t.equal(r.exitCode, 0, `resolved: ${r.stdout.trim()}`);
    await kubectl(['delete', 'pod', 'dns-late', '--wait=false']);
    await kubectl(['delete', 'service', 'late', 'dnsweb']);
    await kubectl(['delete', 'deployment', 'dnsweb']);
  });
}
