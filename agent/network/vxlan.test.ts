import t from 'tap';
import { parseNetConfMode, renderNetConf } from '../../api/podnetwork.js';
import type { Node } from '../../api/types.js';
import { annotationPatch, networkInputs } from './index.js';
import { desiredPeers, desiredVxlanState, FLANNEL_ANNOTATIONS, planEntries, vtepAnnotations, vtepPeer, vxlanMTU } from './vxlan.js';

const node = (name: string, podCIDR: string | undefined, annotations?: Record<string, string>): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, ...(annotations ? { annotations } : {}) },
  spec: { podCIDR },
  status: { addresses: [{ type: 'InternalIP', address: '192.168.56.99' }] },
});
const vtep = (name: string, podCIDR: string, mac: string, ip: string) => node(name, podCIDR, vtepAnnotations(mac, ip));

t.test("flannel's annotations", async (t) => {
  t.same(vtepAnnotations('0a:58:0a:f4:01:00', '192.168.56.11'), {
    'flannel.alpha.coreos.com/backend-type': 'vxlan',
    'flannel.alpha.coreos.com/backend-data': '{"VNI":1,"VtepMAC":"0a:58:0a:f4:01:00"}',
    'flannel.alpha.coreos.com/public-ip': '192.168.56.11',
  });
});

t.test('a peer is a node with a podCIDR and a usable VTEP; its gateway is the podCIDR network address', async (t) => {
  t.same(vtepPeer(vtep('worker2', '10.244.2.0/24', '0A:58:0A:F4:02:00', '192.168.56.12')), { node: 'worker2', podCIDR: '10.244.2.0/24', gateway: '10.244.2.0', vtepMAC: '0a:58:0a:f4:02:00', publicIP: '192.168.56.12' });
  t.equal(vtepPeer(vtep('w', '10.244.2.7/24', '0a:58:0a:f4:02:00', '192.168.56.12'))?.podCIDR, '10.244.2.0/24', 'host bits cleared');
  t.equal(vtepPeer(node('w', '10.244.2.0/24')), undefined, 'no annotations yet (or host-gw)');
  t.equal(vtepPeer(vtep('w', '', '0a:58:0a:f4:02:00', '192.168.56.12')), undefined, 'no podCIDR');
  const bad = (a: Record<string, string>) => vtepPeer(node('w', '10.244.2.0/24', { ...vtepAnnotations('0a:58:0a:f4:02:00', '192.168.56.12'), ...a }));
  t.equal(bad({ [FLANNEL_ANNOTATIONS.backendType]: 'host-gw' }), undefined, 'another backend');
  t.equal(bad({ [FLANNEL_ANNOTATIONS.backendData]: '{"VNI":2,"VtepMAC":"0a:58:0a:f4:02:00"}' }), undefined, 'another VNI');
  t.equal(bad({ [FLANNEL_ANNOTATIONS.backendData]: '{"VNI":1,"VtepMAC":"nope"}' }), undefined, 'not a MAC');
  t.equal(bad({ [FLANNEL_ANNOTATIONS.backendData]: '{' }), undefined, 'not JSON');
  t.equal(bad({ [FLANNEL_ANNOTATIONS.publicIP]: 'worker2' }), undefined, 'public-ip not an address');
});

t.test('desired peers: every other node, sorted by podCIDR; the desired tables follow', async (t) => {
  const nodes = [vtep('worker3', '10.244.3.0/24', '0a:00:00:00:00:03', '192.168.56.13'), vtep('worker1', '10.244.1.0/24', '0a:00:00:00:00:01', '192.168.56.11'), vtep('worker2', '10.244.2.0/24', '0a:00:00:00:00:02', '192.168.56.12'), node('new', undefined)];
  const peers = desiredPeers(nodes, 'worker1');
  t.same(peers.map((p) => p.node), ['worker2', 'worker3']);
  t.same(desiredVxlanState(peers), {
    routes: [{ podCIDR: '10.244.2.0/24', via: '10.244.2.0' }, { podCIDR: '10.244.3.0/24', via: '10.244.3.0' }],
    neighbours: [{ ip: '10.244.2.0', mac: '0a:00:00:00:00:02' }, { ip: '10.244.3.0', mac: '0a:00:00:00:00:03' }],
    fdb: [{ mac: '0a:00:00:00:00:02', dst: '192.168.56.12' }, { mac: '0a:00:00:00:00:03', dst: '192.168.56.13' }],
  });
});

t.test('planEntries: adds, replacements and removals by key', async (t) => {
  const key = (e: { ip: string }) => e.ip;
  const same = (a: { mac: string }, b: { mac: string }) => a.mac === b.mac;
  const have = [{ ip: '10.244.2.0', mac: 'a' }, { ip: '10.244.3.0', mac: 'b' }, { ip: '10.244.4.0', mac: 'c' }];
  const want = [{ ip: '10.244.2.0', mac: 'a' }, { ip: '10.244.3.0', mac: 'B' }, { ip: '10.244.5.0', mac: 'd' }];
  t.same(planEntries(have, want, key, same), { add: [{ ip: '10.244.5.0', mac: 'd' }], replace: [{ ip: '10.244.3.0', mac: 'B' }], remove: [{ ip: '10.244.4.0', mac: 'c' }] });
  t.same(planEntries(want, want, key, same), { add: [], replace: [], remove: [] }, 'nothing to do when equal');
});

t.test('the MTU leaves room for the VXLAN headers', async (t) => {
  t.equal(vxlanMTU(1500), 1450);
  t.equal(vxlanMTU(9000), 8950);
});

t.test("annotationPatch: set what differs, remove VTEP annotations under host-gw, nothing when they match", async (t) => {
  const want = vtepAnnotations('0a:00:00:00:00:01', '192.168.56.11');
  t.same(annotationPatch(node('w', '10.244.1.0/24', { other: 'x' }), want), want, 'a fresh node gets all three');
  t.equal(annotationPatch(node('w', '10.244.1.0/24', { ...want, other: 'x' }), want), undefined, 'already published');
  const moved = vtepAnnotations('0a:00:00:00:00:09', '192.168.56.11');
  t.same(annotationPatch(node('w', '10.244.1.0/24', want), moved), { [FLANNEL_ANNOTATIONS.backendData]: moved[FLANNEL_ANNOTATIONS.backendData] }, 'only the changed one');
  t.same(annotationPatch(node('w', '10.244.1.0/24', { ...want, other: 'x' }), undefined), { [FLANNEL_ANNOTATIONS.backendType]: null, [FLANNEL_ANNOTATIONS.backendData]: null, [FLANNEL_ANNOTATIONS.publicIP]: null }, "host-gw removes them, and only them");
  t.equal(annotationPatch(node('w', '10.244.1.0/24'), undefined), undefined, 'host-gw with none: nothing to do');
});

t.test("the cluster's pod network in flannel's net-conf.json", async (t) => {
  const text = renderNetConf('10.244.0.0/16', 'vxlan');
  t.same(JSON.parse(text), { Network: '10.244.0.0/16', Backend: { Type: 'vxlan' } });
  t.equal(parseNetConfMode(text), 'vxlan');
  t.equal(parseNetConfMode(renderNetConf('10.244.0.0/16', 'host-gw')), 'host-gw');
  t.equal(parseNetConfMode('{"Network":"10.244.0.0/16"}'), 'host-gw', 'no backend: the default');
  t.throws(() => parseNetConfMode('{"Backend":{"Type":"udp"}}'), /backend "udp": want one of host-gw, vxlan/);
  t.throws(() => parseNetConfMode('{'), /not JSON/);
});

t.test('networkInputs: a heartbeat changes none of them; a podCIDR, address or VTEP does', async (t) => {
  const base = vtep('w', '10.244.1.0/24', '0a:58:0a:f4:01:00', '192.168.56.11');
  const heartbeat: Node = { ...base, metadata: { ...base.metadata, resourceVersion: '2', labels: { x: 'y' } }, status: { ...base.status, conditions: [{ type: 'Ready', status: 'True' }] } };
  t.equal(networkInputs(heartbeat), networkInputs(base), 'status conditions, labels, resourceVersion');
  t.not(networkInputs(node('w', '10.244.2.0/24', base.metadata.annotations)), networkInputs(base), 'podCIDR');
  t.not(networkInputs({ ...base, status: { addresses: [{ type: 'InternalIP', address: '192.168.56.12' }] } }), networkInputs(base), 'InternalIP');
  t.not(networkInputs(vtep('w', '10.244.1.0/24', '0a:58:0a:f4:01:01', '192.168.56.11')), networkInputs(base), 'VTEP MAC');
});
