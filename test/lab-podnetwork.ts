// The lab's pod network, as the mode it runs in says it should be on every node: host-gw routes via the other nodes'
// addresses and no VXLAN device; or (vxlan) the kubets.1 device at the uplink's MTU less 50, each Node's VTEP
// published in flannel's annotations, routes via each other podCIDR's .0 address onlink through the device, neighbour
// and FDB entries for every other VTEP, and pods whose interface has the device's MTU.
import type { Test } from 'tap';
import { labClient, type LabUnderTest } from './lab-e2e.js';

const FLANNEL = 'flannel.alpha.coreos.com';

export function podNetworkChecks(t: Test, lab: () => LabUnderTest): void {
  const mode = () => lab().podNetwork;
  t.test(`pod network (${mode()}): every node's routes, device and entries match the other nodes`, async (t) => {
    const { json, kubectl } = labClient(lab());
    const nodes = (await json(['get', 'nodes'])).items as any[];
    const ipOf = (n: any) => n.status.addresses.find((a: any) => a.type === 'InternalIP')?.address as string;
    const onNodeJson = async (node: string, argv: string[]) => {
      const r = await lab().onNode(node, argv);
      return r.exitCode === 0 ? (JSON.parse(r.stdout || '[]') as any[]) : undefined;
    };
    for (const self of nodes) {
      const name = self.metadata.name as string;
      const others = nodes.filter((n) => n.metadata.name !== name);
      const routes = (await onNodeJson(name, ['ip', '-j', 'route', 'show', 'proto', '117']))!;
      const device = await onNodeJson(name, ['ip', '-j', '-d', 'link', 'show', 'dev', 'kubets.1']);
      if (mode() === 'host-gw') {
        t.equal(device, undefined, `${name}: no VXLAN device`);
        t.same(routes.map((r) => `${r.dst} via ${r.gateway}`).sort(), others.map((n) => `${n.spec.podCIDR} via ${ipOf(n)}`).sort(), `${name}: host-gw routes via the other nodes' addresses`);
        t.notOk(self.metadata.annotations?.[`${FLANNEL}/backend-type`], `${name}: no VTEP published`);
        continue;
      }
      const addrs = (await onNodeJson(name, ['ip', '-j', 'addr', 'show']))!;
      const uplink = addrs.find((l) => l.addr_info?.some((a: any) => a.local === ipOf(self)));
      t.equal(device?.[0]?.mtu, uplink.mtu - 50, `${name}: kubets.1 MTU is ${uplink.ifname}'s less 50`);
      t.match(device?.[0]?.linkinfo, { info_kind: 'vxlan', info_data: { id: 1, local: ipOf(self), port: 8472, learning: false } });
      const a = self.metadata.annotations ?? {};
      t.equal(a[`${FLANNEL}/backend-type`], 'vxlan');
      t.same(JSON.parse(a[`${FLANNEL}/backend-data`] ?? '{}'), { VNI: 1, VtepMAC: device?.[0]?.address }, `${name}: its VTEP MAC published`);
      t.equal(a[`${FLANNEL}/public-ip`], ipOf(self));
      const net = (n: any) => String(n.spec.podCIDR).replace(/\/\d+$/, '');
      const mac = (n: any) => JSON.parse(n.metadata.annotations[`${FLANNEL}/backend-data`]).VtepMAC as string;
      t.same(routes.map((r) => `${r.dst} via ${r.gateway} dev ${r.dev} ${r.flags.join(',')}`).sort(), others.map((n) => `${n.spec.podCIDR} via ${net(n)} dev kubets.1 onlink`).sort(), `${name}: routes through kubets.1`);
      const neigh = (await onNodeJson(name, ['ip', '-j', 'neigh', 'show', 'dev', 'kubets.1']))!;
      t.same(neigh.map((e) => `${e.dst} ${e.lladdr}`).sort(), others.map((n) => `${net(n)} ${mac(n)}`).sort(), `${name}: a neighbour entry per other VTEP`);
      const fdb = (await onNodeJson(name, ['bridge', '-j', 'fdb', 'show', 'dev', 'kubets.1']))!;
      t.same(fdb.filter((e) => e.state === 'permanent').map((e) => `${e.mac} ${e.dst}`).sort(), others.map((n) => `${mac(n)} ${ipOf(n)}`).sort(), `${name}: an FDB entry per other VTEP`);
    }
    // Pods get the MTU the CNI bridge was given: the overlay's, or the uplink's under host-gw.
    const r = await kubectl(['-n', 'kube-system', 'exec', 'deploy/coredns', '--', '/usr/bin/node', '-e', "process.stdout.write(require('fs').readFileSync('/sys/class/net/eth0/mtu','utf8'))"]);
    t.equal(r.exitCode, 0, r.stderr);
    t.equal(r.stdout.trim(), mode() === 'vxlan' ? '1450' : '1500', 'a pod interface MTU');
  });
}
