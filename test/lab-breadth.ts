// The API's breadth on the lab, with the real kubectl, as a user of a kubeadm cluster would try it: `kubectl top`
// through metrics-server and API aggregation, a StatefulSet whose claims the local-path provisioner fills on each
// pod's node (the data outlives the pod), `kubectl cp` and `kubectl port-forward` into a web pod, and a drain of one
// worker with a PodDisruptionBudget in place. Runs last, after workloadChecks (it needs examples/web.yaml's pods, which
// workloadChecks leaves scaled to 2: the first check scales them back to 3; the drain moves them).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';
import { execa } from 'execa';
import { get, labClient, until, type LabUnderTest } from './lab-e2e.js';
import { spawnOwned, stopOwned } from './processes.js';

const statefulSet = `apiVersion: v1
kind: Service
metadata: {name: data}
spec: {clusterIP: None, selector: {app: data}, ports: [{port: 80}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: data}
spec:
  serviceName: data
  replicas: 2
  selector: {matchLabels: {app: data}}
  template:
    metadata: {labels: {app: data}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: app
        image: busybox:1.35
        command: ["sh", "-c", "hostname >> /data/log; exec sleep 3600"]
        volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 16Mi}}}
`;

export function breadthChecks(t: Test, lab: () => LabUnderTest): void {
  t.test('kubectl top: metrics-server behind its APIService reports every node and the web pods', async (t) => {
    const { kubectl, json } = labClient(lab());
    t.equal((await kubectl(['scale', 'deployment/web', '--replicas=3'])).exitCode, 0);
    const web = await until('three web pods Ready', async () => {
      const items = (await json(['get', 'pods', '-l', 'app=web'])).items.filter((p: any) => !p.metadata.deletionTimestamp);
      return items.length === 3 && items.every(isReady) && items.map((p: any) => p.metadata.name).sort();
    }, 180_000);
    await until('APIService v1beta1.metrics.k8s.io Available', async () => {
      const s = await json(['get', 'apiservice', 'v1beta1.metrics.k8s.io']).catch(() => undefined);
      return s?.status?.conditions?.some((c: any) => c.type === 'Available' && c.status === 'True');
    }, 240_000);
    const nodes = await until('kubectl top nodes with every node', async () => {
      const r = await kubectl(['top', 'nodes', '--no-headers']);
      const lines = r.stdout.trim().split('\n').filter((l) => /^\S+\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%/.test(l));
      return lines.length === Object.keys(lab().nodes).length && lines;
    }, 180_000);
    t.same(nodes.map((l) => l.split(/\s+/)[0]).sort(), Object.keys(lab().nodes).sort(), 'CPU and memory of each node');
    // A new pod shows once metrics-server has two samples of it (a CPU rate needs two).
    const pods = await until('kubectl top pods with every web pod', async () => {
      const r = await kubectl(['top', 'pods', '-l', 'app=web', '--no-headers']);
      const lines = r.stdout.trim().split('\n').filter((l) => /^web-\S+\s+\d+m\s+\d+Mi/.test(l));
      return lines.length === web.length && lines;
    }, 180_000);
    t.same(pods.map((l) => l.split(/\s+/)[0]).sort(), web, 'CPU and memory of each web pod');
  });

  t.test('Prometheus on NodePort 30090: every target up, the components\' metrics under their upstream names', async (t) => {
    const nodeCount = Object.keys(lab().nodes).length;
    const url = `http://${lab().nodes.worker1}:30090`;
    const perNode = ['kubernetes-nodes', 'kubernetes-cadvisor', 'kube-proxy'];
    const jobs = [...perNode, 'kubernetes-apiservers', 'coredns', 'kube-scheduler', 'kube-controller-manager', 'prometheus'];
    const targets = await until('every target up', async () => {
      const active: any[] = JSON.parse(await get(`${url}/api/v1/targets`).catch(() => '{}')).data?.activeTargets ?? [];
      const byJob = (job: string) => active.filter((a) => a.labels?.job === job);
      const complete = jobs.every((j) => byJob(j).length >= (perNode.includes(j) ? nodeCount : 1));
      return complete && active.every((a) => a.health === 'up') && active;
    }, 240_000);
    for (const j of jobs) t.ok(targets.some((a: any) => a.labels.job === j), `${j}: up`);
    for (const metric of ['apiserver_request_total', 'kubelet_running_pods', 'container_cpu_usage_seconds_total', 'kubeproxy_sync_proxy_rules_duration_seconds_count', 'coredns_dns_requests_total', 'scheduler_schedule_attempts_total', 'workqueue_adds_total']) {
      const result = await until(`${metric} in Prometheus`, async () => {
        const r = JSON.parse(await get(`${url}/api/v1/query?query=${metric}`).catch(() => '{}')).data?.result;
        return r?.length > 0 && r;
      }, 60_000);
      t.ok(result.length > 0, `${metric}: ${result.length} series`);
    }
  });

  t.test("storage: a StatefulSet's claims provisioned on their pods' nodes, the data outliving the pod", async (t) => {
    const { kubectl, json } = labClient(lab());
    t.teardown(async () => {
      await kubectl(['delete', 'statefulset,service', 'data', '--ignore-not-found', '--wait=true']);
      await kubectl(['delete', 'pvc', 'data-data-0', 'data-data-1', '--ignore-not-found']);
    });
    t.match((await kubectl(['get', 'storageclass'])).stdout, /^standard \(default\)\s+kubets\.io\/local-path\s+Delete\s+WaitForFirstConsumer/m);
    const applied = await kubectl(['apply', '-f', '-'], statefulSet);
    t.equal(applied.exitCode, 0, applied.stderr);
    const ready = () =>
      until('both data pods Running', async () => {
        const items = (await json(['get', 'pods', '-l', 'app=data'])).items.filter((p: any) => !p.metadata.deletionTimestamp && p.status?.phase === 'Running');
        return items.length === 2 && items;
      }, 300_000);
    const pods = await ready();
    for (const p of pods) {
      const claim = await json(['get', 'pvc', `data-${p.metadata.name}`]);
      t.equal(claim.status?.phase, 'Bound', `${claim.metadata.name} bound`);
      const pv = await json(['get', 'pv', claim.spec.volumeName]);
      const affinity = pv.spec.nodeAffinity?.required?.nodeSelectorTerms?.[0]?.matchExpressions?.[0]?.values;
      t.same(affinity, [p.spec.nodeName], `its volume ${pv.metadata.name} lives on ${p.spec.nodeName}, where its pod runs`);
    }
    const first = pods.find((p: any) => p.metadata.name === 'data-0');
    t.equal((await kubectl(['delete', 'pod', 'data-0', '--wait=true'])).exitCode, 0);
    const again = (await ready()).find((p: any) => p.metadata.name === 'data-0');
    t.not(again.metadata.uid, first.metadata.uid, 'a new data-0');
    t.equal(again.spec.nodeName, first.spec.nodeName, 'on the node that holds its volume');
    const log = await kubectl(['exec', 'data-0', '--', 'cat', '/data/log']);
    t.same(log.stdout.trim().split('\n'), ['data-0', 'data-0'], 'the first pod\'s line is still there, and the new pod\'s after it');

    // Deleting the set keeps the claims; deleting a claim removes its volume and the data on its node.
    const volume = (await json(['get', 'pvc', 'data-data-0'])).spec.volumeName;
    const pv = await json(['get', 'pv', volume]);
    const dataDir: string = pv.spec.hostPath?.path ?? pv.spec.local?.path;
    t.equal((await lab().onNode(first.spec.nodeName, ['test', '-d', dataDir])).exitCode, 0, `its data in ${dataDir} on ${first.spec.nodeName}`);
    t.equal((await kubectl(['delete', 'statefulset', 'data', '--wait=true'])).exitCode, 0);
    t.equal((await json(['get', 'pvc', 'data-data-0'])).status.phase, 'Bound', 'the claim outlives the set');
    t.equal((await kubectl(['delete', 'pvc', 'data-data-0'])).exitCode, 0);
    await until('its volume deleted', async () => (await kubectl(['get', 'pv', volume])).exitCode !== 0, 120_000);
    await until('its directory gone from the node', async () => (await lab().onNode(first.spec.nodeName, ['test', '-e', dataDir])).exitCode === 1, 60_000);
  });

  t.test('kubectl cp into a web pod and back', async (t) => {
    const { kubectl, json } = labClient(lab());
    const pod = (await json(['get', 'pods', '-l', 'app=web'])).items.find((p: any) => p.status?.phase === 'Running').metadata.name;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-lab-cp-'));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    const sent = path.join(dir, 'sent.txt');
    fs.writeFileSync(sent, `copied at ${new Date().toISOString()}\n`);
    const up = await kubectl(['cp', sent, `${pod}:/tmp/sent.txt`, '-c', 'httpd']);
    t.equal(up.exitCode, 0, up.stderr);
    const back = await kubectl(['cp', `${pod}:/tmp/sent.txt`, path.join(dir, 'back.txt'), '-c', 'httpd']);
    t.equal(back.exitCode, 0, back.stderr);
    t.equal(fs.readFileSync(path.join(dir, 'back.txt'), 'utf8'), fs.readFileSync(sent, 'utf8'), 'the file made the round trip');
  });

  t.test('kubectl port-forward reaches a web pod', async (t) => {
    const { json } = labClient(lab());
    const pod = (await json(['get', 'pods', '-l', 'app=web'])).items.find((p: any) => p.status?.phase === 'Running').metadata.name;
    const forward = spawnOwned('kubectl', ['port-forward', `pod/${pod}`, '18080:80'], { stdio: 'ignore', env: { ...process.env, KUBECONFIG: lab().kubeconfig } });
    t.teardown(() => stopOwned(forward, 'SIGKILL'));
    const body = await until('an answer through the forwarded port', async () => (await get('http://127.0.0.1:18080/').catch(() => '')).includes('hello from') && (await get('http://127.0.0.1:18080/')), 60_000);
    t.equal(body.trim(), `hello from ${pod}`, 'the pod answers on 127.0.0.1:18080');
  });

  t.test('kubectl debug: an ephemeral container in a web pod sees its processes', async (t) => {
    const { kubectl, json } = labClient(lab());
    const pod = (await json(['get', 'pods', '-l', 'app=web'])).items.find((p: any) => p.status?.phase === 'Running').metadata.name;
    const r = await kubectl(['debug', pod, '-c', 'dbg', '--image=busybox:1.35', '--target=httpd', '--profile=general', '--', 'sh', '-c', 'echo debug-ok; ps']);
    t.equal(r.exitCode, 0, r.stderr);
    const logs = await until('the ephemeral container ran', async () => {
      const l = await kubectl(['logs', pod, '-c', 'dbg']);
      return l.exitCode === 0 && l.stdout.includes('debug-ok') && l.stdout;
    }, 90_000);
    t.match(logs, /httpd -f/, "the target container's process is visible (shared process namespace)");
    const status = await until('its status reported', async () => {
      const s = (await json(['get', 'pod', pod])).status.ephemeralContainerStatuses?.find((s: any) => s.name === 'dbg');
      return s?.state?.terminated && s;
    }, 60_000);
    t.equal(status.state.terminated.exitCode, 0, 'terminated with exit code 0 in ephemeralContainerStatuses');
  });

  t.test("kubectl rollout history of kube-proxy's DaemonSet names its revision, its pods carry the revision's hash", async (t) => {
    const { kubectl, json } = labClient(lab());
    const history = await kubectl(['-n', 'kube-system', 'rollout', 'history', 'ds/kube-proxy']);
    t.equal(history.exitCode, 0, history.stderr);
    t.match(history.stdout, /^REVISION\s+CHANGE-CAUSE\n1\s+/m, 'revision 1 listed');
    const revisions = (await json(['-n', 'kube-system', 'get', 'controllerrevisions', '-l', 'k8s-app=kube-proxy'])).items;
    const hashes = new Set(revisions.map((r: any) => r.metadata.labels['controller-revision-hash']));
    const pods = (await json(['-n', 'kube-system', 'get', 'pods', '-l', 'k8s-app=kube-proxy'])).items;
    t.equal(pods.length, Object.keys(lab().nodes).length, 'one kube-proxy per node');
    t.ok(pods.every((p: any) => hashes.has(p.metadata.labels['controller-revision-hash'])), 'every kube-proxy pod is of a stored revision');
  });

  t.test('every kube-system pod runs at a system priority class', async (t) => {
    const { json } = labClient(lab());
    const pods = (await json(['-n', 'kube-system', 'get', 'pods'])).items;
    const classes = Object.fromEntries(pods.map((p: any) => [p.metadata.name, `${p.spec.priorityClassName} ${p.spec.priority}`]));
    t.ok(pods.length > 0 && pods.every((p: any) => /^system-(node|cluster)-critical$/.test(p.spec.priorityClassName) && p.spec.priority >= 2_000_000_000), JSON.stringify(classes));
  });

  t.test('kubectl drain of a worker honours a PodDisruptionBudget', async (t) => {
    const { kubectl, json } = labClient(lab());
    const worker = 'worker3';
    t.teardown(async () => {
      await kubectl(['uncordon', worker]);
      await kubectl(['delete', 'pdb', 'web', '--ignore-not-found']);
    });
    t.equal((await kubectl(['create', 'pdb', 'web', '--selector=app=web', '--min-available=2'])).exitCode, 0);
    const budget = await until('the budget allows one disruption', async () => {
      const s = (await json(['get', 'pdb', 'web'])).status;
      return s?.disruptionsAllowed === 1 && s;
    }, 60_000);
    t.same([budget.currentHealthy, budget.desiredHealthy, budget.expectedPods], [3, 2, 3], 'healthy 3 of 3, 2 desired');
    const drain = await kubectl(['drain', worker, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=240s']);
    t.equal(drain.exitCode, 0, drain.stderr);
    t.match(drain.stdout, new RegExp(`node/${worker} drained`));
    t.equal((await json(['get', 'node', worker])).spec.unschedulable, true, 'cordoned');
    const web = await until('three web pods Ready, none on the drained worker', async () => {
      const items = (await json(['get', 'pods', '-l', 'app=web'])).items.filter((p: any) => !p.metadata.deletionTimestamp);
      return items.length === 3 && items.every(isReady) && items;
    }, 240_000);
    t.notOk(web.some((p: any) => p.spec.nodeName === worker), `no web pod on ${worker}`);
    const left = (await json(['get', 'pods', '-A', '--field-selector', `spec.nodeName=${worker}`])).items;
    t.ok(left.length > 0 && left.every((p: any) => p.metadata.ownerReferences?.[0]?.kind === 'DaemonSet'), `only DaemonSet pods stay on ${worker}`);
    t.equal((await kubectl(['uncordon', worker])).exitCode, 0);
    t.notOk((await json(['get', 'node', worker])).spec.unschedulable, 'schedulable again');
  });
}

const isReady = (p: any): boolean => p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');
