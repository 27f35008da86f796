// The walking skeleton end to end, with the real kubectl: a 1-master/3-worker lab of network namespaces on this
// machine, then the checks every lab kind passes (test/lab-e2e.ts): a NodePort Deployment, curl from the host to every
// node, pod-to-service and pod-to-pod traffic across nodes, self-healing, REJECT with no endpoints; `kubectl logs` and
// `kubectl exec` (test/lab-logs-exec.ts); the API's breadth (test/lab-breadth.ts: kubectl top, a StatefulSet's claims,
// cp, port-forward, debug, and a drain with a PodDisruptionBudget); the Dashboard in chromium (test/lab-dashboard.ts);
// a fifth node in IPVS mode, a VM with Debian's kernel joining the lab (test/lab-ipvs-node.ts); and a `lab down` that
// leaves no trace. This lab runs kube-proxy in nftables mode over the VXLAN overlay (`kubets lab up --proxy-mode
// nftables --pod-network vxlan`); the booted lab's e2e covers iptables mode over host-gw routes.
import t from 'tap';
import { execa } from 'execa';
import fs from 'node:fs';
import { defaultLabSpec, labDown, labKubeconfigPath, labUp } from '../lab/index.js';
import { nodeCommand } from '../lab/nodeexec.js';
import { checkNodesReady, workloadChecks, type LabUnderTest } from './lab-e2e.js';
import { kubeSystemChecks } from './lab-kube-system.js';
import { networkPolicyChecks } from './lab-networkpolicy.js';
import { doctorChecks } from './lab-doctor.js';
import { ingressChecks } from './lab-ingress.js';
import { podNetworkChecks } from './lab-podnetwork.js';
import { breadthChecks } from './lab-breadth.js';
import { logsExecChecks } from './lab-logs-exec.js';
import { dashboardChecks } from './lab-dashboard.js';
import { ipvsNodeChecks } from './lab-ipvs-node.js';
import { repoRoot } from './server-fixture.js';

const nodes = { master: '192.168.56.10', worker1: '192.168.56.11', worker2: '192.168.56.12', worker3: '192.168.56.13' } as const;
const progress: string[] = [];
// The lab's checks and its IPVS node's VM (TCG) run longer than the suite's default 20 minutes allow on a slow day.
t.setTimeout(40 * 60_000);

const lab: LabUnderTest = {
  kubeconfig: labKubeconfigPath(),
  nodes,
  // A command on a lab node, as `kubets lab exec` runs it (the node's own view: loopback, ClusterIPs, its /etc).
  onNode: async (node, argv) => {
    const cmd = nodeCommand(defaultLabSpec, node, argv);
    const r = await execa(cmd[0], cmd.slice(1), { reject: false, timeout: 30_000 });
    return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  },
  nodeBinary: process.execPath,
  repoRoot,
  proxyMode: 'nftables',
  podNetwork: 'vxlan',
};

t.teardown(async () => {
  await labDown().catch((e) => console.error('lab down in teardown:', e.message));
});

t.test('lab up: four nodes Ready, master tainted, podCIDRs assigned', async (t) => {
  await labDown();
  await labUp({ onProgress: (m) => progress.push(m), timeoutSeconds: 480, proxyMode: lab.proxyMode, podNetwork: lab.podNetwork });
  t.ok(progress.length >= 5, `progress shown (${progress.length} lines)`);
  t.ok(progress.some((l) => l.startsWith(`pod network: ${lab.podNetwork} `)), 'the progress names the pod network');
  await checkNodesReady(t, lab);
});

kubeSystemChecks(t, () => lab, { dnsOnWorkers: true });
podNetworkChecks(t, () => lab);
workloadChecks(t, () => lab);
ingressChecks(t, () => lab);
doctorChecks(t, () => lab);
networkPolicyChecks(t, () => lab);
logsExecChecks(t, () => lab);
breadthChecks(t, () => lab);
dashboardChecks(t, () => lab);
ipvsNodeChecks(t, () => lab);

t.test('lab down leaves no trace', async (t) => {
  await labDown();
  const ns = await execa('ip', ['netns', 'list']);
  t.notMatch(String(ns.stdout), /kubets-/, 'no lab namespaces');
  const link = await execa('ip', ['link', 'show', 'kubets0'], { reject: false });
  t.not(link.exitCode, 0, 'no kubets0 bridge');
  for (const table of ['nat', 'filter']) {
    const save = await execa('iptables-save', ['-t', table]);
    t.notMatch(String(save.stdout), /KUBE-|CNI-/, `no KUBE-/CNI- chains in the host's ${table} table`);
  }
  const tables = await execa('nft', ['list', 'tables']);
  t.notMatch(String(tables.stdout), /kube-proxy|kubets-netpol/, 'no kube-proxy or network policy table in the host\'s nftables');
  const ps = await execa('ps', ['-eo', 'pid,stat,args'], { reject: false });
  const live = String(ps.stdout).split('\n').filter((l) => /kubets-lab/.test(l) && !/\sZ/.test(l));
  t.same(live, [], 'no lab processes');
  t.notOk(fs.existsSync('/var/lib/kubets-lab'), 'no lab files');
});
