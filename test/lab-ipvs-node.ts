// A node in IPVS mode joins the lab. This machine's kernel has no IPVS, so the node is a VM (test/fixtures/vm.ts:
// Debian's kernel, the host's root over 9p) whose NIC is a tap on the lab's bridge. It joins as a worker does, with a
// bootstrap token and the CA's hash, and runs `kubets agent --proxy-mode ipvs`: containerd, the DaemonSet pods that
// belong on it, the cluster's pod network, and its own kube-proxy (k3s's way), which keeps the cluster's kube-proxy
// DaemonSet off it. Checked there: ipvsadm, the ipsets and kube-ipvs0; curl to ClusterIPs and NodePorts reaching pods
// on the other workers; graceful removal of a real server; the network doctor; and, alongside, the Service behaviour suite the
// other modes pass on this host, run on the IPVS proxier in the VM's kernel. CI allows one VM: this is it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';
import { caCertHash, createToken } from '../api/bootstraptoken.js';
import { loadKubeconfig } from '../api/client.js';
import { embeddedProxyLabel } from '../agent/proxy/manifests.js';
import { defaultLabSpec, labPaths } from '../lab/spec.js';
import { bootVm, type Vm } from './fixtures/vm.js';
import { cliPath } from './server-fixture.js';
import { escaped, get, labClient, until, type LabUnderTest } from './lab-e2e.js';

const vmNode = { name: 'vm1', ip: '192.168.56.14' };
const ns = 'ipvs-node';
/** What the VM's containerd needs: the DaemonSet pods' image, the sandbox's and busybox (not etcd, Prometheus). */
const vmImages = ['kubets.tar', 'pause.tar', 'busybox.tar'];

/** Holds two connections to a ClusterIP open; on SIGUSR1 resets them (RST: IPVS forgets them in seconds). */
const holder = `
const net = require('net');
const socks = [0, 1].map(() => net.connect(80, process.argv[1]));
let up = 0;
for (const s of socks) s.on('connect', () => ++up === 2 && console.log('held'));
process.on('SIGUSR1', () => { for (const s of socks) s.resetAndDestroy(); setTimeout(() => process.exit(0), 100); });
setInterval(() => {}, 1000);
`;

export function ipvsNodeChecks(t: Test, lab: () => LabUnderTest): void {
  t.test('an IPVS node joins the lab: a VM with IPVS in its kernel, kube-proxy in ipvs mode beside the nftables nodes', async (t) => {
    const started = Date.now();
    const { kubectl, must, json, nodeGet } = labClient(lab());
    const spec = defaultLabSpec;
    const images = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-vm-images-'));
    t.teardown(() => fs.rmSync(images, { recursive: true, force: true }));
    for (const f of vmImages) fs.symlinkSync(path.join(labPaths(spec).images, f), path.join(images, f));

    // /var/lib/cni is writable for the CNI cache (host-local's leases).
    const vm: Vm = await bootVm({ bridge: spec.bridge, ip: vmNode.ip, prefix: spec.prefixLength, gateway: spec.bridgeIP, memoryMb: 3072, cpus: 2, writable: ['/var/lib/cni'], shared: [images], bootTimeoutMs: 300_000 });
    t.teardown(() => vm.close());
    t.comment(`VM boot: ${vm.bootMs} ms`);

    const agentLog = '/tmp/agent.log';
    // A wait that fails shows what the VM's agent said.
    const waitFor = <T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs: number) =>
      until(what, fn, timeoutMs).catch(async (e: Error) => {
        throw new Error(`${e.message}\nipvsadm -Ln:\n${(await vm.run('ipvsadm -Ln')).stdout}\nagent log:\n${(await vm.run(`tail -c 6000 ${agentLog}`)).stdout}`);
      });

    // Joining as a worker does: a bootstrap token and the CA's hash.
    const admin = lab().kubeconfig;
    const token = await createToken(admin, { ttlSeconds: 600, description: 'IPVS node in the lab e2e' });
    const caHash = caCertHash(String(loadKubeconfig(admin).ca));
    const dir = '/tmp/node';
    await vm.sh(
      `mkdir -p ${dir} && cd ${dir} && nohup ${process.execPath} ${cliPath} agent --node-name ${vmNode.name} --node-ip ${vmNode.ip} --data-dir ${dir} ` +
        `--kubeconfig ${dir}/kubelet.kubeconfig --server https://${lab().nodes.master}:6443 --token ${token} --discovery-token-ca-cert-hash ${caHash} ` +
        `--run-containerd --containerd-socket ${dir}/containerd/containerd.sock --images-dir ${images} --cni-conf-dir ${dir}/cni --proxy-mode ipvs > ${agentLog} 2>&1 &`,
    );
    const node = await waitFor(`${vmNode.name} Ready`, async () => {
      const n = await json(['get', 'node', vmNode.name]).catch(() => undefined);
      return n?.status?.conditions?.find((c: any) => c.type === 'Ready')?.status === 'True' && n;
    }, 300_000);
    t.comment(`agent start to Ready: ${Date.now() - started - vm.bootMs} ms`);
    // The Service behaviour suite the iptables and nftables proxiers pass on this host, on the IPVS proxier in the VM's
    // kernel: a node namespace of its own there (apart from the node's), the suite's process inside it, its TAP
    // output and exit code the verdict. It starts once the agent is up (loading br_netfilter mid-run changes what the
    // suite's bridge sees) and runs beside the node's checks; its result is read at the end.
    const suiteStart = Date.now();
    await vm.sh(
      `ip netns add kt-conformance && (ip netns exec kt-conformance env TAP_TIMEOUT=0 ${process.execPath} ${path.join(lab().repoRoot, 'dist/agent/proxy/ipvs/conformance.vm.js')} kt-conformance > /tmp/conformance.log 2>&1; echo $? > /tmp/conformance.rc) > /dev/null 2>&1 &`,
    );
    t.equal(node.status.addresses.find((a: any) => a.type === 'InternalIP')?.address, vmNode.ip, 'joined at its address on the lab bridge');
    t.match(node.status.nodeInfo.kernelVersion, /-amd64$/, "running Debian's kernel");
    t.match(node.spec.podCIDR, /^10\.244\.\d+\.0\/24$/, 'with a podCIDR of its own');
    t.equal(node.metadata.labels[embeddedProxyLabel.key], embeddedProxyLabel.value, 'labelled as running kube-proxy itself');
    // Pods of this check's Deployment go to the other workers: the VM only reaches them.
    await must(['cordon', vmNode.name]);

    await waitFor('kube-proxy answering ipvs in the VM', async () => (await vm.run('curl -s 127.0.0.1:10249/proxyMode')).stdout === 'ipvs', 120_000);
    t.pass('/proxyMode answers ipvs on the VM');
    const w1 = await nodeGet('worker1', 'http://127.0.0.1:10249/proxyMode');
    t.equal(w1.stdout, lab().proxyMode, `and ${lab().proxyMode} on worker1`);
    const proxyPods = await json(['get', 'pods', '-n', 'kube-system', '-l', 'k8s-app=kube-proxy', '--field-selector', `spec.nodeName=${vmNode.name}`]);
    t.same(proxyPods.items, [], 'no kube-proxy DaemonSet pod on the VM');
    const ds = await json(['get', 'daemonset', '-n', 'kube-system', 'kube-proxy']);
    t.equal(ds.status.desiredNumberScheduled, Object.keys(lab().nodes).length, 'the DaemonSet still wants one pod per other node');
    // Another DaemonSet's pod runs on the VM, in its containerd, on its pod network.
    const collector = await waitFor('the log collector running on the VM', async () => {
      const pods = await json(['get', 'pods', '-n', 'kube-system', '--field-selector', `spec.nodeName=${vmNode.name}`]);
      return pods.items.find((p: any) => p.metadata.name.startsWith('log-collector-') && p.status.phase === 'Running');
    }, 300_000);
    t.ok(collector.status.podIP.startsWith(node.spec.podCIDR.replace(/0\/24$/, '')), `the log collector runs on the VM at ${collector.status.podIP}, in its podCIDR`);

    // A Deployment on the other workers behind a NodePort Service.
    await must(['create', 'namespace', ns]);
    t.teardown(() => kubectl(['delete', 'namespace', ns, '--wait=false']));
    await must(['apply', '-n', ns, '-f', path.join(lab().repoRoot, 'examples/web.yaml')]);
    await must(['rollout', 'status', '-n', ns, 'deployment/web', '--timeout=180s']);
    const pods = (await json(['get', 'pods', '-n', ns, '-l', 'app=web'])).items;
    const podIPs: string[] = pods.map((p: any) => p.status.podIP).sort();
    t.notOk(pods.some((p: any) => p.spec.nodeName === vmNode.name), 'the web pods run on the other workers');
    const svc = await json(['get', 'service', '-n', ns, 'web']);
    const clusterIP: string = svc.spec.clusterIP;
    const nodePort: number = svc.spec.ports[0].nodePort;

    const ipvsadm = () => vm.sh('ipvsadm -Ln');
    const realServers = (out: string, vs: string) => {
      const lines = out.split('\n');
      const i = lines.findIndex((l) => l.startsWith(`TCP  ${vs} `));
      if (i < 0) return undefined;
      const rs: Record<string, number> = {};
      for (const l of lines.slice(i + 1)) {
        const m = /^\s+-> ([\d.:]+)\s+Masq\s+(\d+)/.exec(l);
        if (!m) break;
        rs[m[1]!] = Number(m[2]);
      }
      return rs;
    };
    const weights = (ips: string[], port: number) => JSON.stringify(Object.fromEntries(ips.map((ip) => [`${ip}:${port}`, 1])));
    const all = weights(podIPs, 80);
    const sorted = (rs: Record<string, number> | undefined) => JSON.stringify(Object.fromEntries(Object.entries(rs ?? {}).sort()));
    await waitFor('virtual servers for the ClusterIP and the NodePort, a real server per web pod', async () => {
      const out = await ipvsadm();
      return sorted(realServers(out, `${clusterIP}:80`)) === all && sorted(realServers(out, `${vmNode.ip}:${nodePort}`)) === all;
    }, 60_000);
    t.pass(`ipvsadm -Ln: ${clusterIP}:80 and ${vmNode.ip}:${nodePort} -> ${podIPs.join(', ')}`);
    t.match(await ipvsadm(), new RegExp(`TCP {2}${escaped(clusterIP)}:80 rr`), 'rr by default');
    t.match(await vm.sh('ipset list KUBE-CLUSTER-IP'), new RegExp(`^${escaped(clusterIP)},tcp:80$`, 'm'), 'the ClusterIP in KUBE-CLUSTER-IP');
    t.match(await vm.sh('ipset list KUBE-NODE-PORT-TCP'), new RegExp(`^${nodePort}$`, 'm'), 'the NodePort in KUBE-NODE-PORT-TCP');
    t.match(await vm.sh('ip addr show kube-ipvs0'), new RegExp(`inet ${escaped(clusterIP)}/32`), 'the ClusterIP on kube-ipvs0');

    // Traffic from the VM through IPVS to pods on the other workers, over the cluster's pod network.
    const curlMany = async (url: string, n: number) => (await vm.sh(`for i in $(seq ${n}); do curl -s --max-time 5 ${url}; done`)).trim().split('\n');
    const names = pods.map((p: any) => `hello from ${p.metadata.name}`).sort();
    const answered = async (url: string) => [...new Set(await curlMany(url, 9))].sort();
    const viaClusterIP = await answered(`http://${clusterIP}/`);
    t.ok(viaClusterIP.length >= 2 && viaClusterIP.every((l) => names.includes(l)), `curl in the VM to the ClusterIP reaches the web pods: ${viaClusterIP.join(', ')}`);
    for (const [name, ip] of [[vmNode.name, vmNode.ip], ['worker2', lab().nodes.worker2]]) {
      const seen = await answered(`http://${ip}:${nodePort}/`);
      t.ok(seen.length >= 2 && seen.every((l) => names.includes(l)), `curl in the VM to ${name}'s NodePort ${ip}:${nodePort} reaches the web pods: ${seen.join(', ')}`);
    }
    t.match(await get(`http://${vmNode.ip}:${nodePort}/`), /^hello from web-/, "and the VM's NodePort answers the host too");

    // Graceful removal, on a Service of its own with hand-made endpoints (the curls above leave TIME_WAIT entries on
    // web's real servers): with a connection open to it, a removed endpoint's real server drains at weight 0.
    const [ip1, ip2] = podIPs as [string, string];
    const drainService = (ips: string[]) => [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'drain', namespace: ns }, spec: { ports: [{ name: 'http', port: 80, targetPort: 80 }] } },
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 'drain-1', namespace: ns, labels: { 'kubernetes.io/service-name': 'drain' } },
        addressType: 'IPv4',
        endpoints: ips.map((a) => ({ addresses: [a], conditions: { ready: true } })),
        ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
      },
    ];
    const applyAll = (docs: object[]) => must(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: docs }));
    await applyAll(drainService([ip1, ip2]));
    const drainIP: string = (await json(['get', 'service', '-n', ns, 'drain'])).spec.clusterIP;
    await waitFor('the drain virtual server', async () => sorted(realServers(await ipvsadm(), `${drainIP}:80`)) === weights([ip1, ip2], 80), 30_000);
    const hold = (await vm.sh(`${process.execPath} -e "${holder.replace(/"/g, '\\"').replace(/\n/g, ' ')}" ${drainIP} > /tmp/holder.log 2>&1 & echo $!`)).trim();
    await waitFor('two held connections', async () => (await vm.sh('cat /tmp/holder.log')).includes('held'), 30_000);
    // rr gives each real server one of the two; the one removed is one the holder is connected to.
    const heldTo = new RegExp(`ESTABLISHED\\s+\\S+\\s+${escaped(drainIP)}:80\\s+${escaped(ip2)}:80`).test(await vm.sh('ipvsadm -Lnc')) ? ip2 : ip1;
    const kept = heldTo === ip1 ? ip2 : ip1;
    await applyAll(drainService([kept]));
    await waitFor(`${heldTo} at weight 0`, async () => realServers(await ipvsadm(), `${drainIP}:80`)?.[`${heldTo}:80`] === 0, 30_000);
    t.pass('a removed endpoint with an open connection stays at weight 0');
    await vm.sh(`kill -USR1 ${hold}`);
    await waitFor(`no connection to ${heldTo} left`, async () => !new RegExp(`${escaped(drainIP)}:80\\s+${escaped(heldTo)}:80`).test(await vm.sh('ipvsadm -Lnc')), 60_000);
    // The next sync (here: a change to another Service) sees no connections and deletes it.
    await must(['patch', 'service', '-n', ns, 'web', '-p', '{"spec":{"sessionAffinity":"ClientIP"}}']);
    await waitFor(`${heldTo} gone from the drain ClusterIP`, async () => sorted(realServers(await ipvsadm(), `${drainIP}:80`)) === weights([kept], 80), 90_000);
    t.pass('then it is deleted');

    // The network doctor reads IPVS: clean; a real server deleted by hand is reported, and the proxy's next sync of
    // that Service puts it back.
    const doctor = () => vm.run(`${process.execPath} ${cliPath} doctor network --kubeconfig ${admin} --node ${vmNode.name} --proxy-mode ipvs`);
    await waitFor('the doctor finding nothing to report', async () => (await doctor()).code === 0, 30_000);
    t.match((await doctor()).stderr, new RegExp(`${vmNode.name}, ipvs mode: \\d+ service ports.*; no differences`), 'the doctor finds no difference');
    await vm.sh(`ipvsadm -d -t ${drainIP}:80 -r ${kept}:80`);
    const broken = await doctor();
    t.equal(broken.code, 1, 'a real server deleted by hand: exit code 1');
    t.equal(broken.stdout.trim(), `missing endpoint ${ns}/drain (${drainIP}:80/TCP) -> ${kept}:80: no real server`);
    await applyAll(drainService([ip1, ip2]));
    await waitFor('the proxy restoring the real server', async () => sorted(realServers(await ipvsadm(), `${drainIP}:80`)) === weights([ip1, ip2], 80), 30_000);
    t.equal((await doctor()).code, 0, 'clean again');

    await must(['delete', 'service', '-n', ns, 'web']);
    await waitFor('the web virtual servers and address gone', async () => {
      const out = await ipvsadm();
      return !out.includes(`${clusterIP}:80`) && !out.includes(`:${nodePort} `) && !(await vm.sh('ip addr show kube-ipvs0')).includes(`${clusterIP}/`);
    }, 60_000);
    t.notMatch(await vm.sh('ipset list KUBE-CLUSTER-IP'), new RegExp(`^${escaped(clusterIP)},`, 'm'), 'its ipset entry too');

    // The Service behaviour suite's verdict.
    const code = Number(await until('the Service behaviour suite in the VM to end', async () => (await vm.run('cat /tmp/conformance.rc')).stdout.trim(), 600_000));
    const suite = await vm.sh('cat /tmp/conformance.log');
    const failures = suite.split('\n').filter((l) => /^\s*not ok /.test(l));
    t.equal(code, 0, `the Service behaviour suite passes on the IPVS proxier${code ? `:\n${suite.slice(-6000)}` : ''}`);
    t.same(failures, [], 'no failed check in it');
    t.match(suite, /^# \{ total: \d+, pass: \d+ \}$/m, 'and it ran to its end');
    t.comment(`Service behaviour suite in the VM, beside the node's checks: ${Date.now() - suiteStart} ms; ${/^# \{.*\}$/m.exec(suite)?.[0] ?? ''}`);

    // The node leaves: its Node object goes, the VM with it.
    await must(['delete', 'node', vmNode.name]);
    t.comment(`IPVS node checks: ${Date.now() - started} ms`);
  });
}
