// The VXLAN overlay for real: three "node" namespaces on a scratch bridge (in a namespace of its own) that route
// nothing to each other's pod ranges, each with a pod namespace behind a veth. Every node runs the VxlanSyncer in a
// child process inside its namespace (netlink acts in the caller's namespace); with KT_VXLAN_CHILD set this file is
// that child, answering one JSON request per line. Pods then reach each other across nodes only through the overlay.
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Node } from '../../api/types.js';
import { until } from '../../test/until.js';
import { RouteSyncer } from './routes.js';
import { desiredPeers, removeVxlanDevice, VXLAN_DEVICE, vtepAnnotations, VxlanSyncer } from './vxlan.js';

const run = promisify(execFile);

type Request = { op: 'ensure'; localIP: string; podCIDR: string } | { op: 'sync'; nodes: Node[]; self: string } | { op: 'current' } | { op: 'clear-host-gw' } | { op: 'remove' };

async function child(): Promise<void> {
  const syncer = new VxlanSyncer();
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const req = JSON.parse(line) as Request;
    let out: unknown;
    try {
      if (req.op === 'ensure') out = await syncer.ensureDevice(req);
      else if (req.op === 'sync') out = await syncer.sync(desiredPeers(req.nodes, req.self));
      else if (req.op === 'current') out = await syncer.current();
      else if (req.op === 'clear-host-gw') {
        // What an agent starting in host-gw mode's route syncer does with no host-gw peers.
        const routes = new RouteSyncer(undefined, { otherDevice: VXLAN_DEVICE });
        try {
          out = await routes.sync([]);
        } finally {
          routes.close();
        }
      } else out = await removeVxlanDevice();
      process.stdout.write(JSON.stringify({ ok: out ?? null }) + '\n');
    } catch (e) {
      process.stdout.write(JSON.stringify({ error: (e as Error).message }) + '\n');
    }
  }
  syncer.close();
}

/** A child in a node's namespace, asked one request at a time. */
class NodeAgent {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly answers: string[] = [];
  private waiting?: (line: string) => void;
  constructor(netns: string) {
    this.proc = spawn('ip', ['netns', 'exec', netns, process.execPath, fileURLToPath(import.meta.url)], { env: { ...process.env, KT_VXLAN_CHILD: '1' } });
    this.proc.stderr.on('data', (d) => process.stderr.write(d));
    createInterface({ input: this.proc.stdout }).on('line', (l) => (this.waiting ? this.waiting(l) : this.answers.push(l)));
  }
  async ask<T>(req: Request): Promise<T> {
    this.proc.stdin.write(JSON.stringify(req) + '\n');
    const line = this.answers.shift() ?? (await new Promise<string>((r) => (this.waiting = r)));
    this.waiting = undefined;
    const res = JSON.parse(line) as { ok?: T; error?: string };
    if (res.error !== undefined) throw new Error(res.error);
    return res.ok as T;
  }
  close(): void {
    this.proc.stdin.end();
  }
}

if (process.env.KT_VXLAN_CHILD) {
  await child();
} else {
  const { default: t } = await import('tap');
  t.test('pods on three nodes reach each other only through the VXLAN overlay the syncers keep', async (t) => {
    const id = randomBytes(3).toString('hex');
    const sw = `kt-vx-${id}-sw`;
    const names = ['a', 'b', 'c'];
    const nodes = names.map((n, i) => ({ name: `node-${n}`, netns: `kt-vx-${id}-${n}`, pod: `kt-vx-${id}-${n}p`, ip: `10.99.0.${i + 1}`, podCIDR: `10.244.${i + 1}.0/24`, podIP: `10.244.${i + 1}.2`, gw: `10.244.${i + 1}.1` }));
    const agents: NodeAgent[] = [];
    t.teardown(async () => {
      for (const a of agents) a.close();
      for (const ns of [sw, ...nodes.flatMap((n) => [n.netns, n.pod])]) await run('ip', ['netns', 'delete', ns]).catch(() => undefined);
    });
    const ip = (ns: string, ...args: string[]) => run('ip', ['-n', ns, ...args]);
    const inNs = (ns: string, file: string, args: string[]) => run('ip', ['netns', 'exec', ns, file, ...args]);

    await run('ip', ['netns', 'add', sw]);
    await ip(sw, 'link', 'add', 'br0', 'type', 'bridge');
    await ip(sw, 'link', 'set', 'br0', 'up');
    for (const [i, n] of nodes.entries()) {
      for (const ns of [n.netns, n.pod]) {
        await run('ip', ['netns', 'add', ns]);
        await ip(ns, 'link', 'set', 'lo', 'up');
      }
      // The node's uplink on the scratch bridge: its only route is the connected 10.99.0.0/24.
      await ip(n.netns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `up${i}`, 'netns', sw);
      await ip(sw, 'link', 'set', `up${i}`, 'master', 'br0', 'up');
      await ip(n.netns, 'addr', 'add', `${n.ip}/24`, 'dev', 'eth0');
      await ip(n.netns, 'link', 'set', 'eth0', 'up');
      await inNs(n.netns, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
      // The pod behind a veth, as a CNI plugin wires one; the node end is the pod's gateway.
      await ip(n.netns, 'link', 'add', 'pod0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', n.pod);
      await ip(n.netns, 'addr', 'add', `${n.gw}/24`, 'dev', 'pod0');
      await ip(n.netns, 'link', 'set', 'pod0', 'up');
      await ip(n.pod, 'addr', 'add', `${n.podIP}/24`, 'dev', 'eth0');
      await ip(n.pod, 'link', 'set', 'eth0', 'up');
      await ip(n.pod, 'route', 'add', 'default', 'via', n.gw);
      agents.push(new NodeAgent(n.netns));
    }
    const [a, b, c] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]];
    // Debian's busybox-static has the ping this machine lacks.
    const ping = async (ns: string, dst: string, size?: number) => (await inNs(ns, 'busybox', ['ping', '-c', '1', '-W', '2', ...(size ? ['-s', String(size)] : []), dst])).stdout.includes(' 0% packet loss');
    const routeGet = async (ns: string, dst: string) => (await ip(ns, 'route', 'get', dst).catch((e: { stderr: string }) => ({ stdout: e.stderr }))).stdout.trim();
    t.match(await routeGet(a.netns, b.podIP), /unreachable/, "before the overlay a node has no way to another node's pods");

    // Foreign entries on node a that the syncer must leave alone: a route to a pod range, a permanent neighbour on
    // the uplink, and (once the device exists) a neighbour on the device without kubets' protocol.
    await ip(a.netns, 'route', 'add', '10.244.9.0/24', 'via', '10.99.0.9');
    await ip(a.netns, 'neigh', 'add', '10.99.0.77', 'lladdr', '02:00:00:00:00:77', 'dev', 'eth0', 'nud', 'permanent');

    type Dev = { index: number; mac: string; mtu: number };
    const devs: Dev[] = [];
    for (const [i, n] of nodes.entries()) devs.push(await agents[i]!.ask<Dev>({ op: 'ensure', localIP: n.ip, podCIDR: n.podCIDR }));
    const again = await agents[0]!.ask<Dev>({ op: 'ensure', localIP: a.ip, podCIDR: a.podCIDR });
    t.same(again, devs[0], 'ensuring the device again keeps it (same index and VTEP MAC)');
    await ip(a.netns, 'neigh', 'add', '10.244.8.0', 'lladdr', '02:00:00:00:00:88', 'dev', VXLAN_DEVICE, 'nud', 'permanent');

    const link = JSON.parse((await ip(a.netns, '-d', '-j', 'link', 'show', VXLAN_DEVICE)).stdout)[0] as { mtu: number; address: string; flags: string[]; linkinfo: { info_kind: string; info_data: { id: number; local: string; port: number; learning: boolean } } };
    t.equal(link.mtu, 1450, 'MTU is the uplink 1500 less 50');
    t.equal(devs[0]!.mtu, 1450);
    t.equal(link.address, devs[0]!.mac, 'the VTEP MAC is the device address');
    t.ok(link.flags.includes('UP'));
    t.match(link.linkinfo, { info_kind: 'vxlan', info_data: { id: 1, local: a.ip, port: 8472, learning: false } }, 'VNI 1, local = node IP, UDP 8472, nolearning');
    t.match((await ip(a.netns, '-4', 'addr', 'show', 'dev', VXLAN_DEVICE)).stdout, /inet 10\.244\.1\.0\/32 /, "the device holds the podCIDR's .0/32");

    // The Nodes as the API would hold them: each with the annotations its agent publishes.
    const nodeObj = (i: number): Node => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: nodes[i]!.name, annotations: vtepAnnotations(devs[i]!.mac, nodes[i]!.ip) },
      spec: { podCIDR: nodes[i]!.podCIDR },
      status: { addresses: [{ type: 'InternalIP', address: nodes[i]!.ip }] },
    });
    const all = [0, 1, 2].map(nodeObj);
    t.same(JSON.parse(all[1]!.metadata.annotations!['flannel.alpha.coreos.com/backend-data']!), { VNI: 1, VtepMAC: devs[1]!.mac }, "flannel's backend-data");
    t.equal(all[1]!.metadata.annotations!['flannel.alpha.coreos.com/backend-type'], 'vxlan');
    t.equal(all[1]!.metadata.annotations!['flannel.alpha.coreos.com/public-ip'], b.ip);

    type Result = { routes: { added: unknown[]; deleted: unknown[] }; neighbours: { add: unknown[]; remove: unknown[] }; fdb: { add: unknown[]; remove: unknown[] } };
    const first = await agents[0]!.ask<Result>({ op: 'sync', nodes: all, self: a.name });
    t.same(first.routes.added, [{ podCIDR: '10.244.2.0/24', via: '10.244.2.0' }, { podCIDR: '10.244.3.0/24', via: '10.244.3.0' }]);
    t.same(first.neighbours.add, [{ ip: '10.244.2.0', mac: devs[1]!.mac }, { ip: '10.244.3.0', mac: devs[2]!.mac }]);
    t.same(first.fdb.add, [{ mac: devs[1]!.mac, dst: b.ip }, { mac: devs[2]!.mac, dst: c.ip }]);
    for (const i of [1, 2]) await agents[i]!.ask({ op: 'sync', nodes: all, self: nodes[i]!.name });
    const second = await agents[0]!.ask<Result>({ op: 'sync', nodes: all, self: a.name });
    t.same([second.routes.added, second.neighbours.add, second.fdb.add, second.routes.deleted, second.neighbours.remove, second.fdb.remove], [[], [], [], [], [], []], 'a second sync changes nothing');

    const routes = (await ip(a.netns, '-4', 'route', 'show')).stdout;
    t.match(routes, /10\.244\.2\.0\/24 via 10\.244\.2\.0 dev kubets\.1 proto 117 onlink/, 'route via the .0 address onlink');
    t.match((await ip(a.netns, 'neigh', 'show', 'dev', VXLAN_DEVICE)).stdout, new RegExp(`10\\.244\\.3\\.0 lladdr ${devs[2]!.mac} PERMANENT proto 117`));
    t.match((await run('bridge', ['-n', a.netns, 'fdb', 'show', 'dev', VXLAN_DEVICE])).stdout, new RegExp(`${devs[1]!.mac} dst ${b.ip} self permanent`));

    // Pod to pod across nodes: ICMP both ways, and TCP.
    for (const [from, to] of [[a, b], [a, c], [c, b]] as const) {
      await until(`ping ${from.name} pod → ${to.name} pod`, () => ping(from.pod, to.podIP), 30_000);
    }
    const server = spawn('ip', ['netns', 'exec', b.pod, process.execPath, '-e', `require('net').createServer((s) => s.end('pod-b:' + s.remoteAddress)).listen(7000, '0.0.0.0', () => console.log('ready'))`]);
    t.teardown(() => void server.kill());
    await new Promise<void>((r) => server.stdout.once('data', () => r()));
    const tcp = await inNs(a.pod, process.execPath, ['-e', `const s = require('net').connect(7000, '${b.podIP}'); let d = ''; s.on('data', (x) => (d += x)); s.on('end', () => console.log(d));`]);
    t.equal(tcp.stdout.trim(), `pod-b:${a.podIP}`, 'TCP across the overlay keeps the pod source address');
    // A full-size packet at the pods' MTU (what the CNI bridge is given) crosses whole.
    await ip(a.pod, 'link', 'set', 'eth0', 'mtu', '1450');
    t.ok(await ping(a.pod, b.podIP, 1422), 'a 1450-byte packet crosses');

    // Node c is deleted: its route, neighbour and FDB entry go; the foreign entries stay.
    const third = await agents[0]!.ask<Result>({ op: 'sync', nodes: [all[0]!, all[1]!], self: a.name });
    t.same(third.routes.deleted, [{ podCIDR: '10.244.3.0/24', via: '10.244.3.0' }]);
    t.same(third.neighbours.remove, [{ ip: '10.244.3.0', mac: devs[2]!.mac }]);
    t.same(third.fdb.remove, [{ mac: devs[2]!.mac, dst: c.ip }]);
    const cur = await agents[0]!.ask<{ routes: unknown[]; neighbours: unknown[]; fdb: unknown[] }>({ op: 'current' });
    t.same(cur, { routes: [{ podCIDR: '10.244.2.0/24', via: '10.244.2.0' }], neighbours: [{ ip: '10.244.2.0', mac: devs[1]!.mac }], fdb: [{ mac: devs[1]!.mac, dst: b.ip }] });
    t.notMatch((await ip(a.netns, '-4', 'route', 'show')).stdout, /10\.244\.3\.0/, 'no route to the deleted node');
    t.match((await ip(a.netns, '-4', 'route', 'show')).stdout, /10\.244\.9\.0\/24 via 10\.99\.0\.9 dev eth0/, 'the foreign route is untouched');
    t.match((await ip(a.netns, 'neigh', 'show', 'dev', 'eth0')).stdout, /10\.99\.0\.77 lladdr 02:00:00:00:00:77 PERMANENT/, 'the foreign neighbour on the uplink is untouched');
    t.match((await ip(a.netns, 'neigh', 'show', 'dev', VXLAN_DEVICE)).stdout, /10\.244\.8\.0 lladdr 02:00:00:00:00:88 PERMANENT/, "a neighbour on the device without kubets' protocol is untouched");

    // A moved node: b's VTEP answers at a new MAC (its device was made again); a follows.
    await ip(b.netns, 'link', 'delete', VXLAN_DEVICE);
    const bDev = await agents[1]!.ask<Dev>({ op: 'ensure', localIP: b.ip, podCIDR: b.podCIDR });
    t.not(bDev.mac, devs[1]!.mac, 'a device made again has a new VTEP MAC');
    const moved = { ...all[1]!, metadata: { ...all[1]!.metadata, annotations: vtepAnnotations(bDev.mac, b.ip) } };
    await agents[1]!.ask({ op: 'sync', nodes: [all[0]!, moved], self: b.name });
    const fourth = await agents[0]!.ask<{ neighbours: { replace: unknown[] }; fdb: { add: unknown[]; remove: unknown[] } }>({ op: 'sync', nodes: [all[0]!, moved], self: a.name });
    t.same(fourth.neighbours.replace, [{ ip: '10.244.2.0', mac: bDev.mac }], "the neighbour entry follows the node's new MAC");
    t.same([fourth.fdb.add, fourth.fdb.remove], [[{ mac: bDev.mac, dst: b.ip }], [{ mac: devs[1]!.mac, dst: b.ip }]]);
    await until("ping a → b after b's VTEP moved", () => ping(a.pod, b.podIP), 30_000);

    // Switching to host-gw: its route syncer leaves the device's routes alone; removing the device takes them away.
    const cleared = await agents[0]!.ask<{ deleted: unknown[] }>({ op: 'clear-host-gw' });
    t.same(cleared.deleted, [], "host-gw's syncer does not count the overlay's routes as its own");
    t.match((await ip(a.netns, '-4', 'route', 'show')).stdout, /10\.244\.2\.0\/24 via 10\.244\.2\.0 dev kubets\.1/);
    t.equal(await agents[0]!.ask<boolean>({ op: 'remove' }), true);
    t.equal(await agents[0]!.ask<boolean>({ op: 'remove' }), false, 'removing is idempotent');
    t.notMatch((await ip(a.netns, '-4', 'route', 'show')).stdout, /kubets\.1/, "the device's routes went with it");
    t.match(await routeGet(a.netns, b.podIP), /unreachable/);
  });
}
