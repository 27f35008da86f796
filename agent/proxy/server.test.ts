import t from 'tap';
import type { ApiClient } from '../../api/client.js';
import { agentDefaults, type AgentConfig } from '../config.js';
import { ProxyHealthServer } from './healthcheck.js';
import { startProxy, UnsupportedProxyModeError } from './index.js';
import { ProxyMetrics } from './metrics.js';
import { MetricsServer, parseBindAddress } from './server.js';

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

t.test('startProxy refuses modes kubets does not implement', async (t) => {
  const config = { ...agentDefaults, proxyMode: 'ipvs', nodeName: 'n', nodeIP: '127.0.0.1' } as unknown as AgentConfig;
  const err = await startProxy(config, {} as ApiClient).then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof UnsupportedProxyModeError);
  t.match((err as Error).message, 'proxy mode "ipvs" is not supported; supported: iptables');
});

t.test('startProxy wires informers to the proxier and serves both ports', async (t) => {
  const { FakeExec } = await import('./iptables/fakeexec.js');
  const { makeService, makeSlice } = await import('../../test/fixtures/proxy.js');
  const objects: Record<string, unknown[]> = {
    services: [makeService('web', { clusterIP: '10.96.0.50', ports: [{ name: 'http', port: 80 }] })],
    endpointslices: [makeSlice('web', [{ ip: '10.244.1.5' }], [{ name: 'http', port: 8080 }])],
  };
  // Lists once, then holds the watch open until the informer closes it.
  const client = {
    list: async (ref: { plural: string }) => ({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '1' }, items: objects[ref.plural] ?? [] }),
    watch: (_ref: unknown, _ns: unknown, _opts: unknown, _on: unknown, signal?: AbortSignal) =>
      new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true })),
  } as unknown as ApiClient;
  const fake = new FakeExec();
  const config = { ...agentDefaults, nodeName: 'worker1', nodeIP: '127.0.0.1', proxyMetricsBindAddress: '127.0.0.1:0', proxyHealthzBindAddress: '127.0.0.1:0' } as unknown as AgentConfig;
  const proxy = await startProxy(config, client, { exec: fake.exec, minSyncPeriodMs: 1 });
  t.teardown(() => proxy.close());
  while (!fake.lastRestore().includes('--to-destination 10.244.1.5:8080')) await new Promise((r) => setTimeout(r, 5));
  t.pass('the listed Service and EndpointSlice were programmed');
  await proxy.close();
  await proxy.close();
  t.pass('close is idempotent');
});
