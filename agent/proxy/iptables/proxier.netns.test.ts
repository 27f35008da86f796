// The proxier against the real kernel: a "node" network namespace wired to two "pod" namespaces by veth pairs, an
// HTTP server in each pod, and the proxier's rules restored into the node namespace. Traffic to the ClusterIP and a
// NodePort must reach both pods; with the endpoints gone the ClusterIP must refuse; cleanup must leave no KUBE- chain.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { hostExec, netnsExec } from '../exec.js';
import { makeService, makeSlice } from '../../../test/fixtures/proxy.js';
import { cleanupLeftovers } from './cleanup.js';
import { IptablesProxier } from './proxier.js';

const id = randomBytes(3).toString('hex');
const NODE = `kt-px-${id}-node`;
const PODS = [
  { ns: `kt-px-${id}-pod1`, name: 'pod1', ip: '10.245.1.2', gw: '10.245.1.1', link: 'p1' },
  { ns: `kt-px-${id}-pod2`, name: 'pod2', ip: '10.245.2.2', gw: '10.245.2.1', link: 'p2' },
];
const NODE_IP = '10.245.1.1';
const CLUSTER_IP = '10.96.77.7';
const NODE_PORT = 30777;

async function sh(file: string, args: string[]): Promise<string> {
  const r = await hostExec(file, args);
  if (r.exitCode !== 0) throw new Error(`${file} ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

const serverScript = `
const name = process.argv[1];
require('http').createServer((req, res) => res.end(name)).listen(8080, '0.0.0.0', () => console.log('ready'));
`;

// Runs in the node namespace: `count` fresh connections to url, printing each body or error code.
const clientScript = `
const [url, count] = process.argv.slice(1);
const one = () => new Promise((resolve) => {
  const req = require('http').get(url, { agent: false, timeout: 3000 }, (res) => {
    let body = '';
    res.on('data', (d) => (body += d));
    res.on('end', () => resolve(body));
  });
  req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
  req.on('error', (e) => resolve('ERR:' + (e.code || e.message)));
});
(async () => { const out = []; for (let i = 0; i < Number(count); i++) out.push(await one()); console.log(JSON.stringify(out)); })();
`;

async function requestFromNode(url: string, count: number): Promise<string[]> {
  return JSON.parse(await sh('ip', ['netns', 'exec', NODE, process.execPath, '-e', clientScript, url, String(count)])) as string[];
}

function startServer(ns: string, name: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    // `ip netns exec` execs the program in place, so the child's PID is the server's.
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', serverScript, name], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => String(d).includes('ready') && resolve(child));
    child.once('exit', (code) => reject(new Error(`server in ${ns} exited ${code}: ${err}`)));
  });
}

t.test('iptables proxier in a real network namespace', async (t) => {
  const children: ChildProcess[] = [];
  const namespaces: string[] = [];
  t.teardown(async () => {
    for (const c of children) if (c.pid && c.exitCode === null) process.kill(c.pid, 'SIGKILL');
    for (const ns of namespaces) await hostExec('ip', ['netns', 'del', ns]);
  });

  for (const ns of [NODE, ...PODS.map((p) => p.ns)]) {
    await sh('ip', ['netns', 'add', ns]);
    namespaces.push(ns);
    await sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  }
  for (const p of PODS) {
    await sh('ip', ['-n', NODE, 'link', 'add', p.link, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', p.ns]);
    await sh('ip', ['-n', NODE, 'addr', 'add', `${p.gw}/24`, 'dev', p.link]);
    await sh('ip', ['-n', NODE, 'link', 'set', p.link, 'up']);
    await sh('ip', ['-n', p.ns, 'addr', 'add', `${p.ip}/24`, 'dev', 'eth0']);
    await sh('ip', ['-n', p.ns, 'link', 'set', 'eth0', 'up']);
    await sh('ip', ['-n', p.ns, 'route', 'add', 'default', 'via', p.gw]);
    children.push(await startServer(p.ns, p.name));
  }
  // A route for the service range, as a node's default route would provide: the socket needs one before DNAT.
  await sh('ip', ['-n', NODE, 'route', 'add', '10.96.0.0/12', 'dev', 'p1']);

  const exec = netnsExec(NODE);
  const newProxier = () => new IptablesProxier({ exec, nodeName: 'kt-node', clusterCIDR: '10.245.0.0/16' });
  const proxier = newProxier();
  t.teardown(() => proxier.close());
  const svc = makeService('web', { type: 'NodePort', clusterIP: CLUSTER_IP, ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: NODE_PORT }] });
  const slice = makeSlice('web', [{ ip: PODS[0]!.ip, node: 'kt-node' }, { ip: PODS[1]!.ip, node: 'other' }], [{ name: 'http', port: 8080 }]);
  proxier.onServiceAdd(svc);
  proxier.onEndpointSliceAdd(slice);
  proxier.onServiceSynced();
  proxier.onEndpointSlicesSynced();
  await proxier.syncProxyRules();
  const nat = await sh('ip', ['netns', 'exec', NODE, 'iptables-save', '-t', 'nat']);
  t.match(nat, /-A KUBE-SERVICES .*-d 10\.96\.77\.7\/32 .*-j KUBE-SVC-/, 'the ruleset is in the kernel');

  t.test('ClusterIP reaches both pods', async (t) => {
    const got = await requestFromNode(`http://${CLUSTER_IP}/`, 20);
    t.same(new Set(got), new Set(['pod1', 'pod2']), got.join(','));
  });

  t.test('NodePort on the node address reaches both pods', async (t) => {
    const got = await requestFromNode(`http://${NODE_IP}:${NODE_PORT}/`, 20);
    t.same(new Set(got), new Set(['pod1', 'pod2']), got.join(','));
  });

  t.test('NodePort on 127.0.0.1 works (route_localnet)', async (t) => {
    const got = await requestFromNode(`http://127.0.0.1:${NODE_PORT}/`, 6);
    t.ok(got.every((b) => b === 'pod1' || b === 'pod2'), got.join(','));
  });

  t.test('a restarted proxier does not duplicate the jumps', async (t) => {
    const second = newProxier();
    second.onServiceAdd(svc);
    second.onEndpointSliceAdd(slice);
    second.onServiceSynced();
    second.onEndpointSlicesSynced();
    await second.syncProxyRules();
    await second.close();
    const save = await sh('ip', ['netns', 'exec', NODE, 'iptables-save']);
    t.equal(save.match(/^-A PREROUTING .*-j KUBE-SERVICES$/gm)?.length, 1);
    t.equal(save.match(/^-A OUTPUT .*-j KUBE-SERVICES$/gm)?.length, 2, 'one in nat, one in filter');
  });

  t.test('without endpoints the ClusterIP refuses and the service chains are gone', async (t) => {
    proxier.onEndpointSliceDelete(slice);
    await proxier.syncProxyRules();
    t.same(await requestFromNode(`http://${CLUSTER_IP}/`, 2), ['ERR:ECONNREFUSED', 'ERR:ECONNREFUSED']);
    const save = await sh('ip', ['netns', 'exec', NODE, 'iptables-save']);
    t.notMatch(save, /KUBE-(SVC|SEP|EXT)-/);
    t.match(save, /-A KUBE-SERVICES .*-d 10\.96\.77\.7\/32 .*-j REJECT --reject-with icmp-port-unreachable/);
  });

  t.test('cleanup leaves no KUBE- chain or jump', async (t) => {
    await cleanupLeftovers(exec);
    const save = await sh('ip', ['netns', 'exec', NODE, 'iptables-save']);
    t.notMatch(save, /KUBE-/);
    await cleanupLeftovers(exec);
    t.pass('cleanup is idempotent');
  });
});
