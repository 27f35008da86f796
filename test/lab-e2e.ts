// The lab's end-to-end checks, once for both lab kinds (network namespaces, booted machines): four nodes Ready, a
// NodePort Deployment answering from the host on every node, pod-to-service and pod-to-pod traffic across nodes, the
// proxy in the lab's mode everywhere, self-healing, and REJECT with no endpoints. Each test file brings its lab up and
// takes it down; these run in between, with the real kubectl.
import type { Test } from 'tap';
import { execa } from 'execa';
import path from 'node:path';
import http from 'node:http';
import type { PodNetworkMode } from '../api/podnetwork.js';
import { until as untilWithin } from './until.js';

export interface LabUnderTest {
  /** The admin kubeconfig the host uses. */
  kubeconfig: string;
  /** Node name → its address on the lab bridge. */
  nodes: Record<string, string>;
  /** Runs a command on a node, as `kubets lab exec NODE -- CMD` does. */
  onNode(node: string, argv: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  /** A Node.js binary the nodes can run. */
  nodeBinary: string;
  /** The kubets checkout (for examples/). */
  repoRoot: string;
  /** The mode every node's kube-proxy was started in. */
  proxyMode: 'iptables' | 'nftables';
  /** The pod network the lab was brought up with. */
  podNetwork: PodNetworkMode;
}

export function labClient(lab: LabUnderTest) {
  async function kubectl(args: string[], input?: string) {
    const r = await execa('kubectl', args, { input, env: { KUBECONFIG: lab.kubeconfig }, reject: false, timeout: 120_000 });
    return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1 };
  }
  /** kubectl that must succeed: its stdout, trimmed. */
  async function must(args: string[], input?: string) {
    const r = await kubectl(args, input);
    if (r.exitCode !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  }
  async function json(args: string[]): Promise<any> {
    return JSON.parse(await must([...args, '-o', 'json']));
  }
  /** An HTTP GET from a node's own view (its loopback, ClusterIPs). */
  function nodeGet(node: string, url: string) {
    return lab.onNode(node, [lab.nodeBinary, '-e', `require('http').get(${JSON.stringify(url)},{timeout:4000},r=>{let b='';r.on('data',c=>b+=c);r.on('end',()=>{process.stdout.write(b)})}).on('error',e=>{process.stdout.write('ERR '+e.code);process.exitCode=1}).on('timeout',function(){this.destroy(Object.assign(new Error('t'),{code:'TIMEOUT'}))})`]);
  }
  return { kubectl, must, json, nodeGet };
}

export const until = <T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 120_000) => untilWithin(what, fn, timeoutMs, 500);

/** An HTTP GET from the host (only to the lab's own addresses). */
export function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 5000, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: timeout`)));
    req.on('error', reject);
  });
}

/** s as a literal inside a RegExp. */
export const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** After `lab up`: every node Ready at its address with a podCIDR, the master tainted and labelled. */
export async function checkNodesReady(t: Test, lab: LabUnderTest): Promise<void> {
  const { kubectl, json } = labClient(lab);
  const list = await json(['get', 'nodes']);
  t.same(list.items.map((n: any) => n.metadata.name).sort(), Object.keys(lab.nodes));
  for (const n of list.items) {
    t.equal(n.status.conditions.find((c: any) => c.type === 'Ready')?.status, 'True', `${n.metadata.name} Ready`);
    t.equal(n.status.addresses.find((a: any) => a.type === 'InternalIP')?.address, lab.nodes[n.metadata.name]);
    t.match(n.spec.podCIDR, /^10\.244\.\d+\.0\/24$/);
  }
  const master = list.items.find((n: any) => n.metadata.name === 'master');
  t.ok(master.spec.taints?.some((x: any) => x.key === 'node-role.kubernetes.io/control-plane' && x.effect === 'NoSchedule'), 'master tainted NoSchedule');
  const wide = await kubectl(['get', 'nodes', '-o', 'wide']);
  t.match(wide.stdout, new RegExp(`^master\\s+Ready\\s+control-plane\\s+\\S+\\s+v1\\.32\\.\\S+\\s+${escaped(lab.nodes.master)}\\s`, 'm'));
}

/** The workload checks, as subtests of t, in order. */
export function workloadChecks(t: Test, lab: () => LabUnderTest): void {
  let nodePort = 0;
  let clusterIP = '';
  const cidrOf = new Map<string, string>();
  const workers = () => Object.keys(lab().nodes).filter((n) => n !== 'master');

  t.test('a NodePort deployment spreads over the workers and answers on every node', async (t) => {
    const { kubectl, json } = labClient(lab());
    const r = await kubectl(['apply', '-f', path.join(lab().repoRoot, 'examples/web.yaml')]);
    t.equal(r.exitCode, 0, r.stderr);
    const rollout = await kubectl(['rollout', 'status', 'deployment/web', '--timeout=240s']);
    t.equal(rollout.exitCode, 0, rollout.stderr + rollout.stdout);
    const pods = (await json(['get', 'pods', '-l', 'app=web'])).items;
    t.equal(pods.length, 3);
    t.same(pods.map((p: any) => p.spec.nodeName).sort(), workers(), 'one pod per worker');
    for (const n of (await json(['get', 'nodes'])).items) cidrOf.set(n.metadata.name, n.spec.podCIDR);
    const prefixes = new Set<string>();
    for (const p of pods) {
      const prefix = cidrOf.get(p.spec.nodeName)!.replace(/0\/24$/, '');
      t.ok(p.status.podIP.startsWith(prefix), `${p.metadata.name} IP ${p.status.podIP} is in ${p.spec.nodeName}'s podCIDR`);
      prefixes.add(prefix);
    }
    t.equal(prefixes.size, 3, 'three different podCIDRs');
    const svc = await json(['get', 'svc', 'web']);
    nodePort = svc.spec.ports[0].nodePort;
    clusterIP = svc.spec.clusterIP;
    const names = new Set<string>(pods.map((p: any) => p.metadata.name));
    for (const [name, ip] of Object.entries(lab().nodes)) {
      const seen = new Set<string>();
      await until(`all pods via ${name}:${nodePort}`, async () => {
        for (let i = 0; i < 10; i++) seen.add((await get(`http://${ip}:${nodePort}/`)).trim().replace(/^hello from /, ''));
        return [...names].every((n) => seen.has(n));
      }, 60_000);
      t.same([...seen].sort(), [...names].sort(), `NodePort on ${name} (${ip}) reaches all 3 pods`);
    }
    const table = await kubectl(['get', 'pods', '-o', 'wide']);
    t.match(table.stdout, /^web-\S+\s+1\/1\s+Running\s+0\s+\S+\s+10\.244\.\d+\.\d+\s+worker\d\s+<none>\s+<none>$/m);
  });

  t.test('a pod on one worker reaches the ClusterIP and a pod IP on another worker', async (t) => {
    const { kubectl, json } = labClient(lab());
    const pods = (await json(['get', 'pods', '-l', 'app=web'])).items;
    const target = pods.find((p: any) => p.spec.nodeName === 'worker2');
    const client = `apiVersion: v1
kind: Pod
metadata: {name: probe}
spec:
  nodeName: worker1
  restartPolicy: Never
  containers:
  - name: probe
    image: busybox:1.35
    command: ["sh", "-c", "wget -qO- http://${clusterIP}/ | grep -q 'hello from web-' && wget -qO- http://${target.status.podIP}/ | grep -q '${target.metadata.name}'"]
`;
    const r = await kubectl(['apply', '-f', '-'], client);
    t.equal(r.exitCode, 0, r.stderr);
    const phase = await until('probe pod finished', async () => {
      const p = await json(['get', 'pod', 'probe']);
      return ['Succeeded', 'Failed'].includes(p.status?.phase) && p.status.phase;
    });
    t.equal(phase, 'Succeeded', 'wget to the ClusterIP and to a pod on worker2 both answered');
    await kubectl(['delete', 'pod', 'probe', '--wait=false']);
  });

  t.test("the kubelets' stats and a Service through the API server's proxy subresources", async (t) => {
    const { kubectl, json } = labClient(lab());
    const pod = (await json(['get', 'pods', '-l', 'app=web'])).items.find((p: any) => p.spec.nodeName === 'worker1');
    const summary = await until('worker1 to report the web pod with CPU figures', async () => {
      const r = await kubectl(['get', '--raw', '/api/v1/nodes/worker1/proxy/stats/summary']);
      const s = r.exitCode === 0 ? JSON.parse(r.stdout) : undefined;
      const p = s?.pods.find((x: any) => x.podRef.name === pod.metadata.name);
      return p?.containers[0]?.cpu?.usageCoreNanoSeconds > 0 && s;
    });
    t.equal(summary.node.nodeName, 'worker1');
    t.ok(summary.node.memory.workingSetBytes > 0, 'node working set');
    const resource = await kubectl(['get', '--raw', '/api/v1/nodes/worker1/proxy/metrics/resource']);
    t.match(resource.stdout, new RegExp(`^container_cpu_usage_seconds_total\\{container="\\S+",namespace="default",pod="${escaped(pod.metadata.name)}"\\} \\S+ \\d+$`, 'm'));
    t.match((await kubectl(['get', '--raw', '/api/v1/nodes/worker1/proxy/metrics'])).stdout, /^kubelet_running_pods \d+$/m);
    const viaService = await kubectl(['get', '--raw', '/api/v1/namespaces/default/services/web:80/proxy/']);
    t.match(viaService.stdout, /hello from web-/, 'services/proxy reaches a web pod');
  });

  t.test('a process in a pod reaches the API with its mounted service-account token, as RBAC allows', async (t) => {
    const { kubectl, json } = labClient(lab());
    // The kubets image has Node: a real TLS client that checks the API server against the mounted ca.crt.
    const image = (await json(['get', 'nodes', 'worker1'])).status.images.flatMap((i: any) => i.names).find((n: string) => n.startsWith('kubets.local/kubets:'));
    t.ok(image, 'the kubets image is on the nodes');
    const pod = `apiVersion: v1
kind: Pod
metadata: {name: api-client}
spec:
  containers:
  - {name: c, image: ${image}, command: ["sleep", "3600"]}
`;
    t.equal((await kubectl(['apply', '-f', '-'], pod)).exitCode, 0);
    await until('api-client running', async () => (await json(['get', 'pod', 'api-client'])).status?.phase === 'Running');
    const script = `const fs=require('fs'),https=require('https');const d='/var/run/secrets/kubernetes.io/serviceaccount';
https.get({host:process.env.KUBERNETES_SERVICE_HOST,port:process.env.KUBERNETES_SERVICE_PORT,path:'/api/v1/namespaces/'+fs.readFileSync(d+'/namespace')+'/pods',ca:fs.readFileSync(d+'/ca.crt'),servername:'kubernetes.default.svc',agent:false,timeout:10000,headers:{authorization:'Bearer '+fs.readFileSync(d+'/token')}},(r)=>{let b='';r.on('data',c=>b+=c);r.on('end',()=>{console.log(r.statusCode+' '+b)})}).on('error',e=>console.log('ERR '+e.message)).on('timeout',function(){this.destroy(new Error('timeout'))})`;
    const ask = async () => String((await kubectl(['exec', 'api-client', '--', '/usr/bin/node', '-e', script])).stdout);
    const forbidden = await until('a 403 from the API', async () => {
      const out = await ask();
      return out.startsWith('403 ') && out;
    });
    t.match(forbidden, 'pods is forbidden: User \\"system:serviceaccount:default:default\\" cannot list resource \\"pods\\" in API group \\"\\" in the namespace \\"default\\"');
    await kubectl(['create', 'role', 'pod-reader', '--verb=list', '--resource=pods']);
    await kubectl(['create', 'rolebinding', 'api-client', '--role=pod-reader', '--serviceaccount=default:default']);
    const allowed = await until('the Role takes effect', async () => {
      const out = await ask();
      return out.startsWith('200 ') && out;
    });
    t.equal(JSON.parse(allowed.slice(4)).kind, 'PodList', 'the pod lists pods in its namespace');
    await kubectl(['delete', 'pod', 'api-client', '--wait=false']);
  });

  t.test('kube-proxy reports its mode and health on every node, and its rules are in the kernel', async (t) => {
    const { nodeGet } = labClient(lab());
    const mode = lab().proxyMode;
    for (const name of Object.keys(lab().nodes)) {
      const answer = await nodeGet(name, 'http://127.0.0.1:10249/proxyMode');
      t.equal(String(answer.stdout), mode, `${name} /proxyMode`);
      const health = await nodeGet(name, 'http://127.0.0.1:10256/healthz');
      t.equal(health.exitCode, 0, `${name} :10256/healthz answers`);
      if (mode === 'iptables') {
        const save = await lab().onNode(name, ['iptables-save', '-t', 'nat']);
        t.match(String(save.stdout), /^:KUBE-SERVICES /m);
        t.match(String(save.stdout), /-A KUBE-SERVICES .*-m addrtype --dst-type LOCAL -j KUBE-NODEPORTS/);
      } else {
        const table = String((await lab().onNode(name, ['nft', 'list', 'table', 'ip', 'kube-proxy'])).stdout);
        for (const container of ['map service-ips', 'map service-nodeports', 'chain services', 'chain masquerading']) {
          t.match(table, container, `${name}: ${container} in table ip kube-proxy`);
        }
        const nat = await lab().onNode(name, ['iptables-save', '-t', 'nat']);
        t.notMatch(String(nat.stdout), /KUBE-SERVICES/, `${name}: no iptables-mode chains beside it`);
      }
    }
  });

  t.test('a deleted pod is replaced and the NodePort keeps answering', async (t) => {
    const { kubectl, json } = labClient(lab());
    const before = (await json(['get', 'pods', '-l', 'app=web'])).items.map((p: any) => p.metadata.name);
    const r = await kubectl(['delete', 'pod', before[0]]);
    t.equal(r.exitCode, 0, r.stderr);
    const after = await until('replacement ready', async () => {
      const items = (await json(['get', 'pods', '-l', 'app=web'])).items.filter((p: any) => !p.metadata.deletionTimestamp);
      return items.length === 3 && items.every((p: any) => p.status.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')) && !items.some((p: any) => p.metadata.name === before[0]) && items;
    });
    t.equal(after.length, 3);
    t.match(await get(`http://${lab().nodes.worker1}:${nodePort}/`), /hello from web-/);
  });

  t.test('no endpoints: the ClusterIP refuses (REJECT); scaled back up, it answers', async (t) => {
    const { kubectl, nodeGet } = labClient(lab());
    await kubectl(['scale', 'deployment/web', '--replicas=0']);
    const refused = await until('REJECT', async () => {
      const r = await nodeGet('worker1', `http://${clusterIP}/`);
      return /ERR ECONNREFUSED/.test(String(r.stdout)) && String(r.stdout);
    });
    t.match(refused, /ECONNREFUSED/, 'connection refused, not a timeout');
    await kubectl(['scale', 'deployment/web', '--replicas=2']);
    const body = await until('answers again', async () => {
      const r = await nodeGet('worker1', `http://${clusterIP}/`);
      return r.exitCode === 0 && String(r.stdout);
    });
    t.match(body, /hello from web-/);
  });
}
