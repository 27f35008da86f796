// Switching proxy modes on a node, against the real kernel: the proxy is started (startProxy, as the agent does) in a
// scratch node namespace in iptables mode, then restarted in nftables mode, then in iptables mode again. Each start
// must remove the previous mode's rules before programming its own, and Service traffic must work in each. A full
// iptables sync runs a few dozen iptables execs (the jumps from the built-in chains are checked one by one), which on
// a loaded machine takes seconds: the waits allow for that.
import t from 'tap';
import { makeService, makeSlice, staticApiClient } from '../../test/fixtures/proxy.js';
import { createScratchNode } from '../../test/fixtures/proxy-netns.js';
import { until } from '../../test/until.js';
import { proxyDefaults, startProxy, type ProxyConfig } from './index.js';
import type { ProxyMode } from './modes.js';

t.test('each mode removes the previous mode\'s rules at start-up', async (t) => {
  const node = await createScratchNode();
  t.teardown(() => node.close());
  const client = staticApiClient(
    [makeService('web', { clusterIP: '10.96.77.7', ports: [{ name: 'http', port: 80, targetPort: 8080 }] })],
    [makeSlice('web', [{ ip: node.pods[0]!.ip, node: node.nodeName }, { ip: node.pods[1]!.ip, node: 'other' }], [{ name: 'http', port: 8080 }])],
  );
  const start = (proxyMode: ProxyMode) => {
    const config: ProxyConfig = {
      ...proxyDefaults,
      mode: proxyMode,
      nodeName: node.nodeName,
      nodeIP: node.nodeIP,
      clusterCIDR: node.clusterCIDR,
      serviceCIDR: node.serviceCIDR,
      metricsBindAddress: '127.0.0.1:0',
      healthzBindAddress: '127.0.0.1:0',
      minSyncPeriodMs: 10,
    };
    return startProxy(config, client, { exec: node.exec });
  };
  const iptablesSave = () => node.run('iptables-save', []);
  const nftTables = () => node.run('nft', ['list', 'tables']);
  const bothPods = async () => new Set(await node.http(node.netns, 'http://10.96.77.7/', 12)).size === 2;

  let proxy = await start('iptables');
  t.teardown(() => proxy.close());
  await until('iptables rules', async () => /-A KUBE-SERVICES .*10\.96\.77\.7/.test(await iptablesSave()), 60_000, 50);
  t.ok(await bothPods(), 'iptables mode serves the ClusterIP');
  await proxy.close();

  proxy = await start('nftables');
  t.notMatch(await iptablesSave(), /KUBE-/, 'nftables mode removed every KUBE- chain and jump before anything else');
  await until('the kube-proxy table', async () => /kube-proxy/.test(await nftTables()), 60_000, 50);
  await until('both pods through nftables', bothPods, 60_000, 50);
  t.pass('nftables mode serves the ClusterIP');
  await proxy.close();
  t.match(await nftTables(), /table ip kube-proxy/, 'stopping a proxy leaves its rules in place, as kube-proxy does');

  proxy = await start('iptables');
  t.notMatch(await nftTables(), /kube-proxy/, 'iptables mode removed the kube-proxy table before anything else');
  await until('iptables rules again', async () => /-A KUBE-SERVICES .*10\.96\.77\.7/.test(await iptablesSave()), 60_000, 50);
  await until('both pods through iptables', bothPods, 60_000, 50);
  t.pass('iptables mode serves the ClusterIP again');
});
