// kube-proxy's IPVS mode on a kernel that has IPVS: everything lives in a scratch network namespace this test makes —
// a bridge, two "pod" namespaces with HTTP servers on it, a `kubets server` listening on the bridge, and a VM
// (test/fixtures/vm.ts: Debian's kernel, the host's root over 9p) whose NIC is a tap on the bridge. The VM runs the
// real `kubets proxy --proxy-mode ipvs` from this checkout; the test writes Services and EndpointSlices with kubectl
// and checks inside the VM what IPVS, ipset and kube-ipvs0 hold, and that curl reaches the pods.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { execa } from 'execa';
import { cliPath, repoRoot } from './server-fixture.js';
import { spawnOwned, stopOwned, type OwnedProcess } from './processes.js';
import { until } from './until.js';
import { bootVm, type Vm } from './fixtures/vm.js';

const subnet = '192.168.77';
const hostIP = `${subnet}.1`;
const vmIP = `${subnet}.2`;
const pods = [{ name: 'pod1', ip: `${subnet}.11` }, { name: 'pod2', ip: `${subnet}.12` }];

const podServer = `require('http').createServer((q, s) => s.end(process.argv[1])).listen(8080, '0.0.0.0', () => console.log('ready'))`;
/** Holds two connections to a ClusterIP open; on SIGUSR1 resets them (RST: IPVS forgets them in seconds). */
const holder = `
const net = require('net');
const socks = [0, 1].map(() => net.connect(80, process.argv[1]));
let up = 0;
for (const s of socks) s.on('connect', () => ++up === 2 && console.log('held'));
process.on('SIGUSR1', () => { for (const s of socks) s.resetAndDestroy(); setTimeout(() => process.exit(0), 100); });
setInterval(() => {}, 1000);
`;

t.test('IPVS mode in a VM: virtual servers, ipsets, kube-ipvs0, traffic, graceful removal, deletion', async (t) => {
  const started = Date.now();
  const id = randomBytes(3).toString('hex');
  const ns = `kt-ipvs-${id}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-ipvs-e2e-'));
  const owned: OwnedProcess[] = [];
  const podNs = pods.map((p) => `${ns}-${p.name}`);
  const ip = (args: string[]) => execa('ip', args);
  const inNs = (netns: string, args: string[]) => execa('ip', ['netns', 'exec', netns, ...args]);
  t.teardown(async () => {
    for (const p of owned.reverse()) await stopOwned(p, 'SIGKILL').catch(() => undefined);
    for (const n of [...podNs, ns]) await ip(['netns', 'delete', n]).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  await ip(['netns', 'add', ns]);
  await inNs(ns, ['ip', 'link', 'set', 'lo', 'up']);
  await inNs(ns, ['ip', 'link', 'add', 'br0', 'type', 'bridge']);
  await inNs(ns, ['ip', 'addr', 'add', `${hostIP}/24`, 'dev', 'br0']);
  await inNs(ns, ['ip', 'link', 'set', 'br0', 'up']);
  for (const [i, p] of pods.entries()) {
    const pn = podNs[i]!;
    await ip(['netns', 'add', pn]);
    await inNs(ns, ['ip', 'link', 'add', `veth${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pn]);
    await inNs(ns, ['ip', 'link', 'set', `veth${i}`, 'master', 'br0', 'up']);
    await inNs(pn, ['ip', 'addr', 'add', `${p.ip}/24`, 'dev', 'eth0']);
    await inNs(pn, ['ip', 'link', 'set', 'eth0', 'up']);
    await inNs(pn, ['ip', 'link', 'set', 'lo', 'up']);
    await inNs(pn, ['ip', 'route', 'add', 'default', 'via', hostIP]);
    const server = spawnOwned('ip', ['netns', 'exec', pn, process.execPath, '-e', podServer, p.name], { stdio: ['ignore', 'pipe', 'inherit'] });
    owned.push(server);
    await new Promise<void>((resolve) => server.proc.stdout!.once('data', () => resolve()));
  }

  // The API server listens on the bridge, where the VM reaches it; kubectl runs in the namespace too.
  const log = fs.openSync(path.join(dir, 'server.log'), 'a');
  owned.push(
    spawnOwned('ip', ['netns', 'exec', ns, process.execPath, cliPath, 'server', '--data-dir', dir, '--port', '6443', '--bind-address', hostIP, '--advertise-address', hostIP, '--disable-controllers'], {
      stdio: ['ignore', log, log],
      env: { ...process.env, KUBETS_LOG_LEVEL: 'warn' },
    }),
  );
  fs.closeSync(log);
  const kubeconfig = path.join(dir, 'admin.kubeconfig');
  const kubectl = async (args: string[], input?: string) => {
    const r = await execa('ip', ['netns', 'exec', ns, 'kubectl', '--kubeconfig', kubeconfig, ...args], { input, reject: false });
    if (r.exitCode !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  await until('the API server', async () => fs.existsSync(kubeconfig) && (await kubectl(['get', '--raw', '/readyz']).catch(() => '')) === 'ok', 60_000, 200);

  const vm: Vm = await bootVm({ netns: ns, bridge: 'br0', ip: vmIP, prefix: 24, gateway: hostIP, shared: [dir] });
  t.teardown(() => vm.close());
  t.comment(`VM boot (qemu start to first command answered): ${vm.bootMs} ms`);

  const proxyStart = Date.now();
  await vm.sh(
    `cd /tmp && nohup ${process.execPath} ${cliPath} proxy --proxy-mode ipvs --kubeconfig ${kubeconfig} --hostname-override vm1 --bind-address ${vmIP} --cluster-cidr 10.244.0.0/16 > /tmp/proxy.log 2>&1 &`,
  );
  // A wait that fails shows what the VM's proxy said.
  const waitFor = <T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs: number) =>
    until(what, fn, timeoutMs, 500).catch(async (e: Error) => {
      throw new Error(`${e.message}\nipvsadm -Ln:\n${(await vm.run('ipvsadm -Ln')).stdout}\nproxy log:\n${(await vm.run('tail -c 4000 /tmp/proxy.log')).stdout}`);
    });
  await waitFor('kube-proxy in the VM', async () => (await vm.run('curl -s 127.0.0.1:10249/proxyMode')).stdout === 'ipvs', 120_000);
  t.comment(`kube-proxy start in the VM: ${Date.now() - proxyStart} ms`);
  t.pass('/proxyMode answers ipvs');

  const apply = (doc: object) => kubectl(['apply', '-f', '-'], JSON.stringify(doc));
  const service = (name: string, clusterIP: string, nodePort?: number) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: { type: nodePort ? 'NodePort' : 'ClusterIP', clusterIP, ports: [{ name: 'http', port: 80, targetPort: 8080, ...(nodePort ? { nodePort } : {}) }] },
  });
  const slice = (svc: string, ips: string[]) => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${svc}-1`, namespace: 'default', labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    endpoints: ips.map((a) => ({ addresses: [a], conditions: { ready: true } })),
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  });
  await apply(service('web', '10.96.0.50', 30080));
  await apply(slice('web', pods.map((p) => p.ip)));

  const ipvsadm = () => vm.sh('ipvsadm -Ln');
  const realServers = (out: string, vs: string) => {
    const lines = out.split('\n');
    const i = lines.findIndex((l) => l.startsWith(`TCP  ${vs}`));
    if (i < 0) return undefined;
    const rs: Record<string, number> = {};
    for (const l of lines.slice(i + 1)) {
      const m = /^\s+-> ([\d.:]+)\s+Masq\s+(\d+)/.exec(l);
      if (!m) break;
      rs[m[1]!] = Number(m[2]);
    }
    return rs;
  };
  const both = { [`${pods[0]!.ip}:8080`]: 1, [`${pods[1]!.ip}:8080`]: 1 };
  await waitFor('virtual servers for the ClusterIP and the NodePort', async () => {
    const out = await ipvsadm();
    return JSON.stringify(realServers(out, '10.96.0.50:80')) === JSON.stringify(both) && JSON.stringify(realServers(out, `${vmIP}:30080`)) === JSON.stringify(both);
  }, 180_000);
  t.match(await ipvsadm(), /TCP {2}10\.96\.0\.50:80 rr/, 'rr by default');
  t.match(await vm.sh('ipset list KUBE-CLUSTER-IP'), /^10\.96\.0\.50,tcp:80$/m);
  t.match(await vm.sh('ipset list KUBE-NODE-PORT-TCP'), /^30080$/m);
  t.match(await vm.sh('ip addr show kube-ipvs0'), /inet 10\.96\.0\.50\/32/);
  t.match(await vm.sh('iptables-save -t nat'), /-A KUBE-SERVICES ! -s 10\.244\.0\.0\/16 .*--match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ/);

  const curlMany = async (url: string, n: number) => (await vm.sh(`for i in $(seq ${n}); do curl -s --max-time 5 ${url}; echo; done`)).trim().split('\n');
  t.same([...new Set(await curlMany('http://10.96.0.50/', 6))].sort(), ['pod1', 'pod2'], 'the ClusterIP reaches both pods');
  t.same([...new Set(await curlMany(`http://${vmIP}:30080/`, 6))].sort(), ['pod1', 'pod2'], 'the NodePort reaches both pods');

  // Graceful removal, on a Service of its own (the curls above leave TIME_WAIT entries on web's real servers for two
  // minutes): with a connection open to it, a removed endpoint's real server drains at weight 0.
  await apply(service('drain', '10.96.0.52'));
  await apply(slice('drain', pods.map((p) => p.ip)));
  await waitFor('the drain virtual server', async () => JSON.stringify(realServers(await ipvsadm(), '10.96.0.52:80')) === JSON.stringify(both), 30_000);
  const hold = (await vm.sh(`${process.execPath} -e "${holder.replace(/"/g, '\\"').replace(/\n/g, ' ')}" 10.96.0.52 > /tmp/holder.log 2>&1 & echo $!`)).trim();
  await waitFor('two held connections', async () => (await vm.sh('cat /tmp/holder.log')).includes('held'), 30_000);
  await apply(slice('drain', [pods[0]!.ip]));
  await waitFor('pod2 at weight 0', async () => realServers(await ipvsadm(), '10.96.0.52:80')?.[`${pods[1]!.ip}:8080`] === 0, 30_000);
  t.pass('the removed endpoint stays at weight 0 while its connection lasts');
  // Reset, the connection is forgotten by IPVS within its CLOSE timeout (10 s).
  await vm.sh(`kill -USR1 ${hold}`);
  await waitFor('no connection of drain to pod2 left', async () => !/10\.96\.0\.52:80\s+192\.168\.77\.12:8080/.test(await vm.sh('ipvsadm -Lnc')), 60_000);
  // The next sync (here: another Service) sees no connections and deletes it.
  await apply(service('other', '10.96.0.51'));
  await apply(slice('other', [pods[1]!.ip]));
  await waitFor('pod2 gone from the drain ClusterIP', async () => JSON.stringify(realServers(await ipvsadm(), '10.96.0.52:80')) === JSON.stringify({ [`${pods[0]!.ip}:8080`]: 1 }), 90_000);
  t.pass('then it is deleted');
  t.same([...new Set(await curlMany('http://10.96.0.51/', 2))], ['pod2'], 'the other Service works');

  // The network doctor reads IPVS: clean now; a real server deleted by hand is reported, and the proxy's next sync of
  // that Service (its endpoints change) puts it back.
  const doctor = () => vm.run(`${process.execPath} ${cliPath} doctor network --kubeconfig ${kubeconfig} --node vm1 --proxy-mode ipvs`);
  const clean = await doctor();
  t.equal(clean.code, 0, `the doctor finds nothing to report:\n${clean.stdout}${clean.stderr}`);
  t.match(clean.stderr, /vm1, ipvs mode: \d+ service ports.*; no differences/);
  await vm.sh(`ipvsadm -d -t 10.96.0.51:80 -r ${pods[1]!.ip}:8080`);
  const broken = await doctor();
  t.equal(broken.code, 1, 'a difference: exit code 1');
  t.equal(broken.stdout.trim(), `missing endpoint default/other (10.96.0.51:80/TCP) -> ${pods[1]!.ip}:8080: no real server`);
  await apply(slice('other', pods.map((p) => p.ip)));
  await waitFor('the proxy restores the real server', async () => JSON.stringify(realServers(await ipvsadm(), '10.96.0.51:80')) === JSON.stringify(both), 30_000);
  const healed = await doctor();
  t.equal(healed.code, 0, `clean again:\n${healed.stdout}`);

  await kubectl(['delete', 'service', 'web']);
  await waitFor('the web virtual servers and address gone', async () => {
    const out = await ipvsadm();
    return !out.includes('10.96.0.50:80') && !out.includes(':30080') && !(await vm.sh('ip addr show kube-ipvs0')).includes('10.96.0.50');
  }, 60_000);
  t.notMatch(await vm.sh('ipset list KUBE-CLUSTER-IP'), /10\.96\.0\.50/, 'its ipset entry too');

  // The Service behaviour suite the iptables and nftables proxiers pass on this host, here on the IPVS proxier in
  // the VM's kernel: a node namespace of its own there, the suite's process inside it (its netlink sockets program
  // that namespace's IPVS table), TAP back as the verdict.
  const suiteStart = Date.now();
  const suite = await vm.run(`ip netns add kt-conformance && ip netns exec kt-conformance env TAP_TIMEOUT=0 ${process.execPath} ${path.join(repoRoot, 'dist/agent/proxy/ipvs/conformance.vm.js')} kt-conformance 2>&1`);
  const failures = suite.stdout.split('\n').filter((l) => /^\s*not ok /.test(l));
  t.equal(suite.code, 0, `the Service behaviour suite passes on the IPVS proxier${suite.code ? `:\n${suite.stdout.slice(-6000)}` : ''}`);
  t.same(failures, [], 'no failed check in it');
  t.match(suite.stdout, /^# \{ total: \d+, pass: \d+ \}$/m, 'and it ran to its end');
  t.comment(`Service behaviour suite in the VM: ${Date.now() - suiteStart} ms; ${/^# \{.*\}$/m.exec(suite.stdout)?.[0] ?? ''}`);
  t.comment(`test run time: ${Date.now() - started} ms; repo ${repoRoot}`);
});
