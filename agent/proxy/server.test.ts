import t from 'tap';
import type { ApiClient } from '../../api/client.js';
import { until } from '../../test/until.js';
import { ProxyHealthServer } from './healthcheck.js';
import { ProxyModeUnavailableError, proxyDefaults, startProxy, UnsupportedProxyModeError, type ProxyConfig } from './index.js';
import type { KernelProbe } from './modes.js';
import { FakeExec } from './iptables/fakeexec.js';
import { FakeExec as NftFakeExec } from './nftables/fakeexec.js';
import { makeService, makeSlice, staticApiClient } from '../../test/fixtures/proxy.js';
import { ProxyMetrics } from './metrics.js';
import { MetricsServer } from './server.js';
import { parseBindAddress } from '../../api/listen.js';

t.test(':10249 serves /proxyMode, /metrics and /healthz', async (t) => {
  const metrics = new ProxyMetrics();
  metrics.syncProxyRulesDuration.observe(0.02);
  const server = new MetricsServer({ bindAddress: '127.0.0.1:0', proxyMode: 'iptables', registry: metrics.registry });
  await server.listen();
  t.teardown(() => server.close());
  const base = `http://127.0.0.1:${server.port()}`;
  const mode = await fetch(`${base}/proxyMode`);
  t.equal(await mode.text(), 'iptables', 'exactly the mode, no newline');
  t.match(mode.headers.get('content-type'), /^text\/plain/);
  const body = await (await fetch(`${base}/metrics`)).text();
  for (const name of ['kubeproxy_sync_proxy_rules_duration_seconds_bucket', 'kubeproxy_sync_proxy_rules_last_timestamp_seconds', 'kubeproxy_network_programming_duration_seconds']) {
    t.match(body, name);
  }
  t.equal(await (await fetch(`${base}/healthz`)).text(), 'ok');
  t.equal((await fetch(`${base}/nope`)).status, 404);
  await server.close();
  await server.close();
  t.pass('close is idempotent');
});

t.test(':10256 /healthz and /livez: healthy unless a queued change waits longer than the timeout', async (t) => {
  let now = Date.parse('2024-05-01T10:00:00Z');
  const health = new ProxyHealthServer({ bindAddress: '127.0.0.1:0', healthTimeoutMs: 60_000, now: () => now });
  await health.listen();
  t.teardown(() => health.close());
  const get = async (path: string) => {
    const r = await fetch(`http://127.0.0.1:${health.port()}${path}`);
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
  let r = await get('/healthz');
  t.equal(r.status, 200);
  t.same(r.body, { lastUpdated: '2024-05-01T10:00:00.000Z', currentTime: '2024-05-01T10:00:00.000Z', nodeEligible: true });

  health.updated();
  health.queuedUpdate();
  now += 30_000;
  t.equal((await get('/livez')).status, 200, 'a change queued 30 s ago is not late yet');
  now += 31_000;
  r = await get('/healthz');
  t.equal(r.status, 503);
  t.equal(r.body.lastUpdated, '2024-05-01T10:00:00.000Z', 'reports when rules were last programmed');
  t.equal((await get('/livez')).status, 503);
  health.updated();
  t.equal((await get('/healthz')).status, 200);

  health.syncNode({ metadata: { name: 'n' }, spec: { taints: [{ key: 'ToBeDeletedByClusterAutoscaler', effect: 'NoSchedule' }] } });
  r = await get('/healthz');
  t.equal(r.status, 503, 'a node being deleted is not eligible');
  t.equal(r.body.nodeEligible, false);
  t.equal((await get('/livez')).status, 200, '/livez is the proxy alone');
});

t.test('bind addresses', async (t) => {
  t.same(parseBindAddress('0.0.0.0:10249'), { host: '0.0.0.0', port: 10249 });
  t.same(parseBindAddress(':10256'), { host: '0.0.0.0', port: 10256 });
  t.same(parseBindAddress('[::1]:10256'), { host: '::1', port: 10256 });
  t.throws(() => parseBindAddress('10249'));
});

t.test('startProxy refuses modes it can not run: unknown ones, and ipvs on a kernel without ip_vs', async (t) => {
  const config = (mode: string) => ({ ...proxyDefaults, mode, nodeName: 'n', nodeIP: '127.0.0.1' }) as unknown as ProxyConfig;
  const unknown = await startProxy(config('userspace'), {} as ApiClient).then(() => undefined, (e: unknown) => e);
  t.ok(unknown instanceof UnsupportedProxyModeError);
  t.match((unknown as Error).message, 'proxy mode "userspace" is not supported; supported: iptables, nftables, ipvs');
  const noIPVS: KernelProbe = { release: () => '6.1.0-test', exists: async () => false, readFile: async () => undefined, modprobe: async () => false };
  const ipvs = await startProxy(config('ipvs'), {} as ApiClient, { kernelProbe: noIPVS }).then(() => undefined, (e: unknown) => e);
  t.ok(ipvs instanceof ProxyModeUnavailableError);
  t.match((ipvs as Error).message, /^proxy mode "ipvs" needs kernel module ip_vs, .*; modes that work here: iptables, nftables$/);
});

/** An API client that lists one Service and its EndpointSlice. */
const fakeClient = () =>
  staticApiClient([makeService('web', { clusterIP: '10.96.0.50', ports: [{ name: 'http', port: 80 }] })], [makeSlice('web', [{ ip: '10.244.1.5' }], [{ name: 'http', port: 8080 }])]);

t.test('startProxy wires informers to the proxier and serves both ports', async (t) => {
  const client = fakeClient();
  const fake = new FakeExec();
  const config: ProxyConfig = { ...proxyDefaults, nodeName: 'worker1', nodeIP: '127.0.0.1', metricsBindAddress: '127.0.0.1:0', healthzBindAddress: '127.0.0.1:0', minSyncPeriodMs: 1 };
  const proxy = await startProxy(config, client, { exec: fake.exec });
  t.teardown(() => proxy.close());
  await until('the listed objects programmed', () => fake.lastRestore().includes('--to-destination 10.244.1.5:8080'), 5000, 5);
  t.pass('the listed Service and EndpointSlice were programmed');
  await proxy.close();
  await proxy.close();
  t.pass('close is idempotent');
});

t.test('each mode first removes the other modes\' rules, then programs its own', async (t) => {
  const base: ProxyConfig = { ...proxyDefaults, nodeName: 'worker1', nodeIP: '127.0.0.1', metricsBindAddress: '127.0.0.1:0', healthzBindAddress: '127.0.0.1:0', minSyncPeriodMs: 1 };

  const ipt = new FakeExec();
  const iptProxy = await startProxy(base, fakeClient(), { exec: ipt.exec });
  t.teardown(() => iptProxy.close());
  t.same(ipt.commands('nft').slice(0, 2), [['delete', 'table', 'ip', 'kube-proxy'], ['delete', 'table', 'ip6', 'kube-proxy']], 'iptables mode deletes the kube-proxy nft table');
  await until('iptables rules', () => ipt.lastRestore().includes('--to-destination 10.244.1.5:8080'), 5000, 5);
  await iptProxy.close();

  const nft = new NftFakeExec();
  const nftProxy = await startProxy({ ...base, nodeIP: '192.0.2.10', mode: 'nftables' }, fakeClient(), { exec: nft.exec });
  t.teardown(() => nftProxy.close());
  t.same(nft.commands('iptables-save').slice(0, 2), [['-t', 'nat'], ['-t', 'filter']], 'nftables mode looks for the iptables KUBE- chains (and then for IPVS mode\'s)');
  t.notOk(nft.commands('nft').some((a) => a[0] === 'delete'), 'and leaves its own table alone');
  await until('nftables rules', () => nft.lastRun().includes('dnat to 10.244.1.5:8080'), 5000, 5);
  t.match(nft.lastRun(), 'add element ip kube-proxy nodeport-ips { 192.0.2.10 }', 'NodePorts on the node IP only');
});
