// HorizontalPodAutoscaler end to end on a real `kubets server` (controllers on, a 1 s HPA sync period): the metrics
// come from a fake metrics.k8s.io server this test controls, registered as an APIService, so every step is
// deterministic. `kubectl autoscale` makes the autoscaler (autoscaling/v1); a v2 patch sets a short scale-down
// window; pods the test marks ready report 150m of a 100m request: the Deployment scales up to maxReplicas, with
// TARGETS `cpu: 150%/50%` and ScalingLimited TooManyReplicas; at 10m it scales back down to minReplicas once the
// window has passed. SuccessfulRescale events record each change.
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { selfSignedServingCert } from '../api/pki.js';
import { Resources } from '../api/resources.js';
import type { APIService, Deployment, HorizontalPodAutoscaler, KubeObject, Pod } from '../api/types.js';
import { startServer, type TestServer } from './server-fixture.js';
import { until } from './until.js';

let srv: TestServer;
let metrics: https.Server;
/** The CPU each pod reports, millicores. */
let cpuPerPod = 0;

async function webPods(): Promise<Pod[]> {
  return (await srv.client.list<Pod>(Resources.pods, 'default', { labelSelector: 'app=web' })).items.filter((p) => !p.metadata.deletionTimestamp);
}

/** Plays the kubelet: every web pod Running and Ready. */
async function markReady(): Promise<void> {
  for (const p of await webPods()) {
    if (p.status?.phase === 'Running') continue;
    const now = new Date().toISOString();
    await srv.client.patch(Resources.pods, 'default', p.metadata.name!, 'merge', { status: { phase: 'Running', startTime: now, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] } }, 'status').catch(() => undefined);
  }
}

t.before(async () => {
  srv = await startServer({ args: ['--horizontal-pod-autoscaler-sync-period', '1'] });
  const cert = await selfSignedServingCert('fake-metrics', ['fake-metrics.kube-system.svc']);
  metrics = https.createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://x');
    const json = (body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (url.pathname === '/apis/metrics.k8s.io/v1beta1') return json({ kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'metrics.k8s.io/v1beta1', resources: [{ name: 'pods', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] }] });
    if (url.pathname === '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods') {
      void webPods().then((pods) =>
        json({ kind: 'PodMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', metadata: {}, items: pods.filter((p) => p.status?.phase === 'Running').map((p) => ({ metadata: { name: p.metadata.name, namespace: 'default' }, timestamp: new Date().toISOString(), window: '15s', containers: [{ name: 'web', usage: { cpu: `${cpuPerPod}m`, memory: '10Mi' } }] })) }),
      );
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => metrics.listen(0, '127.0.0.1', r));
  const port = (metrics.address() as AddressInfo).port;
  await srv.client.create(Resources.services, 'kube-system', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'fake-metrics', namespace: 'kube-system' }, spec: { ports: [{ name: 'https', port: 443, targetPort: port }] } } as KubeObject);
  await srv.client.create(Resources.endpoints, 'kube-system', { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'fake-metrics', namespace: 'kube-system' }, subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port }] }] } as KubeObject);
  await srv.client.create(Resources.apiservices, undefined, { apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: { name: 'v1beta1.metrics.k8s.io' }, spec: { group: 'metrics.k8s.io', version: 'v1beta1', service: { namespace: 'kube-system', name: 'fake-metrics' }, insecureSkipTLSVerify: true, groupPriorityMinimum: 100, versionPriority: 100 } } as APIService);
});

t.teardown(async () => {
  metrics?.close();
  metrics?.closeAllConnections();
  await srv?.destroy();
});

const replicas = async () => (await srv.client.get<Deployment>(Resources.deployments, 'default', 'web')).spec.replicas;
const hpaV2 = () => srv.client.get<HorizontalPodAutoscaler>(Resources.horizontalpodautoscalers, 'default', 'web');

t.test('kubectl autoscale, scale up to max under load and back down after the window', async (t) => {
  await srv.client.create(Resources.deployments, 'default', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'busybox:1.35', resources: { requests: { cpu: '100m' } } }] } } },
  } as Deployment);
  const auto = await srv.kubectl(['autoscale', 'deployment', 'web', '--cpu-percent=50', '--min=1', '--max=5']);
  t.equal(auto.exitCode, 0, auto.stderr);
  t.match(auto.stdout, /horizontalpodautoscaler.autoscaling\/web autoscaled/);
  const patched = await srv.kubectl(['patch', 'hpa', 'web', '--type=merge', '-p', JSON.stringify({ spec: { behavior: { scaleDown: { stabilizationWindowSeconds: 3 } } } })]);
  t.equal(patched.exitCode, 0, patched.stderr);
  const v2 = await hpaV2();
  t.same(v2.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }], 'v1\'s CPU target, as v2 stores it');
  t.equal(v2.spec.behavior?.scaleDown?.stabilizationWindowSeconds, 3);
  t.same(v2.spec.behavior?.scaleUp?.policies, [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }], 'scale-up defaults filled');

  cpuPerPod = 150;
  await until('scaled up to 5', async () => {
    await markReady();
    return (await replicas()) === 5 || undefined;
  }, 60_000);
  const up = await until('TooManyReplicas with all pods measured', async () => {
    await markReady();
    const h = await hpaV2();
    const limited = h.status?.conditions?.find((c) => c.type === 'ScalingLimited');
    return limited?.reason === 'TooManyReplicas' && h.status?.currentMetrics?.[0]?.resource?.current.averageUtilization === 150 ? h : undefined;
  }, 30_000);
  t.equal(up.status?.desiredReplicas, 5);
  t.equal(up.status?.conditions?.find((c) => c.type === 'ScalingActive')?.reason, 'ValidMetricFound');
  const table = await srv.kubectl(['get', 'hpa']);
  t.match(table.stdout, /^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE/);
  t.match(table.stdout, /\nweb\s+Deployment\/web\s+cpu: 150%\/50%\s+1\s+5\s+\d+\s/);
  const v1 = JSON.parse((await srv.kubectl(['get', 'horizontalpodautoscalers.v1.autoscaling', 'web', '-o', 'json'])).stdout);
  t.equal(v1.apiVersion, 'autoscaling/v1');
  t.equal(v1.spec.targetCPUUtilizationPercentage, 50);
  t.equal(v1.status.currentCPUUtilizationPercentage, 150);

  cpuPerPod = 10;
  await until('scaled back down to 1', async () => {
    await markReady();
    return (await replicas()) === 1 || undefined;
  }, 60_000);
  const events = await srv.kubectl(['get', 'events', '--field-selector', 'involvedObject.kind=HorizontalPodAutoscaler,reason=SuccessfulRescale', '-o', 'jsonpath={.items[*].message}']);
  t.match(events.stdout, /New size: \d+; reason: cpu resource utilization \(percentage of request\) above target/);
  t.match(events.stdout, /New size: 1; reason: All metrics below target/);
});

t.test('an autoscaler whose metrics are unavailable says so in ScalingActive', async (t) => {
  await srv.client.delete(Resources.apiservices, undefined, 'v1beta1.metrics.k8s.io');
  const h = await until('FailedGetResourceMetric', async () => {
    const x = await hpaV2();
    return x.status?.conditions?.find((c) => c.type === 'ScalingActive' && c.reason === 'FailedGetResourceMetric');
  }, 30_000);
  t.equal(h.status, 'False');
  t.match(h.message, /the HPA was unable to compute the replica count: unable to get metrics for resource cpu/);
});
