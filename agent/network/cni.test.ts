import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { CNI_CONFLIST_FILE, renderConflist, writeConflist } from './cni.js';

t.test('the conflist: bridge with host-local for the podCIDR, then portmap', async (t) => {
  const c = renderConflist({ podCIDR: '10.244.2.0/24', ipamDataDir: '/d/cni/ipam' }) as {
    cniVersion: string;
    name: string;
    plugins: Record<string, unknown>[];
  };
  t.equal(c.cniVersion, '1.0.0');
  t.equal(c.name, 'kubets');
  t.same(c.plugins.map((p) => p.type), ['bridge', 'portmap']);
  t.match(c.plugins[0], {
    bridge: 'cni0',
    isGateway: true,
    ipMasq: false,
    hairpinMode: true,
    ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.2.0/24' }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: '/d/cni/ipam' },
  });
  t.same(c.plugins[1], { type: 'portmap', capabilities: { portMappings: true }, snat: true });
});

t.test('writeConflist replaces the file atomically and makes the IPAM dir', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kt-rt-cni-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const conf = join(dir, 'net.d');
  const ipam = join(dir, 'ipam');
  await writeConflist(conf, { podCIDR: '10.244.1.0/24', ipamDataDir: ipam });
  const file = await writeConflist(conf, { podCIDR: '10.244.3.0/24', ipamDataDir: ipam });
  t.equal(file, join(conf, CNI_CONFLIST_FILE));
  t.same(readdirSync(conf), [CNI_CONFLIST_FILE], 'no temporary files left');
  t.match(JSON.parse(readFileSync(file, 'utf8')), { plugins: [{ ipam: { ranges: [[{ subnet: '10.244.3.0/24' }]] } }] });
  t.same(readdirSync(ipam), []);
});

t.test('an MTU is given to the bridge plugin only when set (VXLAN); host-gw keeps the kernel default', async (t) => {
  const bridge = (mtu?: number) => (renderConflist({ podCIDR: '10.244.2.0/24', ipamDataDir: '/d', mtu }) as { plugins: Record<string, unknown>[] }).plugins[0]!;
  t.equal(bridge(1450).mtu, 1450);
  t.notOk('mtu' in bridge(), 'no mtu key without one');
});
