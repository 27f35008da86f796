// NetworkPolicy across the lab's nodes, as Calico enforces it in the seeds' cluster: a web pod on worker2, a labelled
// client on worker1 and an unlabelled one on worker3, in their own namespace. With no policy both reach the web pod;
// a policy admitting only the labelled client (by podSelector, on the named port) shuts the other out — by pod IP and
// through the Service — and deleting it opens the way again.
import type { Test } from 'tap';
import { labClient, until, type LabUnderTest } from './lab-e2e.js';

const NS = 'np-e2e';

export function networkPolicyChecks(t: Test, lab: () => LabUnderTest): void {
  t.test('NetworkPolicy across nodes: only the selected client gets in, by pod IP and by Service; deleting it reopens', async (t) => {
    const { kubectl, json } = labClient(lab());
    const pod = (name: string, node: string, labels: string, command: string, extra = '') => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${NS}, labels: {${labels}}}
spec:
  nodeName: ${node}
  containers:
  - {name: c, image: busybox:1.35, command: ["sh", "-c", "${command}"]${extra}}
`;
    t.equal((await kubectl(['create', 'namespace', NS])).exitCode, 0);
    t.teardown(async () => void (await kubectl(['delete', 'namespace', NS, '--wait=false'])));
    const objects = [
      pod('web', 'worker2', 'app: np-web', 'mkdir -p /www && echo np-ok > /www/index.html && exec httpd -f -p 8080 -h /www', ', ports: [{name: http, containerPort: 8080}]'),
      pod('friend', 'worker1', 'role: client', 'exec sleep 3600'),
      pod('stranger', 'worker3', 'role: other', 'exec sleep 3600'),
      `apiVersion: v1
kind: Service
metadata: {name: web, namespace: ${NS}}
spec:
  selector: {app: np-web}
  ports: [{port: 80, targetPort: http}]
`,
    ];
    for (const o of objects) t.equal((await kubectl(['apply', '-f', '-'], o)).exitCode, 0);
    const web = await until('the three pods running', async () => {
      const items = (await json(['get', 'pods', '-n', NS])).items;
      return items.length === 3 && items.every((p: any) => p.status?.phase === 'Running') && items.find((p: any) => p.metadata.name === 'web');
    });
    const clusterIP = (await json(['get', 'svc', '-n', NS, 'web'])).spec.clusterIP;
    // busybox's timeout, not wget -T (which crashes in Debian's busybox-static).
    const reach = async (client: string, url: string) => (await kubectl(['exec', '-n', NS, client, '--', 'timeout', '3', 'wget', '-qO-', url])).stdout.includes('np-ok');
    const podURL = `http://${web.status.podIP}:8080/`;
    const svcURL = `http://${clusterIP}/`;

    for (const client of ['friend', 'stranger']) t.ok(await until(`${client} reaches the web pod before any policy`, () => reach(client, podURL)), `${client} gets in with no policy`);

    const policy = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-clients, namespace: ${NS}}
spec:
  podSelector: {matchLabels: {app: np-web}}
  policyTypes: [Ingress]
  ingress:
  - from: [{podSelector: {matchLabels: {role: client}}}]
    ports: [{protocol: TCP, port: http}]
`;
    t.equal((await kubectl(['apply', '-f', '-'], policy)).exitCode, 0);
    t.match((await kubectl(['get', 'netpol', '-n', NS])).stdout, /^web-from-clients\s+app=np-web\s/m);
    await until('the stranger shut out', async () => !(await reach('stranger', podURL)));
    t.notOk(await reach('stranger', podURL), 'the unlabelled client on worker3 is refused by pod IP');
    t.notOk(await reach('stranger', svcURL), 'and through the Service');
    t.ok(await reach('friend', podURL), 'the labelled client on worker1 still gets in by pod IP');
    t.ok(await reach('friend', svcURL), 'and through the Service');

    t.equal((await kubectl(['delete', 'netpol', '-n', NS, 'web-from-clients'])).exitCode, 0);
    t.ok(await until('the stranger let in again', () => reach('stranger', podURL)), 'without the policy the stranger gets in again');
  });
}
