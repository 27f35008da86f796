import t from 'tap';
import { podResources } from './pods.js';
import { formatQuantity } from './quantity.js';
import { countsKind, kindForQuotaResource, scopesMatch, usageOf } from './quota.js';
import { Resources } from './resources.js';

const pods = Resources.pods;
const services = Resources.services;
const pod = (containers: any[], extra: Record<string, unknown> = {}) => ({ metadata: { name: 'p' }, spec: { containers, ...extra }, status: { phase: 'Running' } });
const c = (requests: Record<string, string>, limits: Record<string, string> = {}) => ({ name: 'c', image: 'x', resources: { requests, limits } });

t.test('quantities print as Kubernetes prints them', async (t) => {
  t.equal(formatQuantity(0.5), '500m');
  t.equal(formatQuantity(2), '2');
  t.equal(formatQuantity(128 * 2 ** 20, '1Gi'), '128Mi');
  t.equal(formatQuantity(1.5 * 2 ** 30, '1Gi'), '1536Mi');
  t.equal(formatQuantity(2e9, '4G'), '2G');
  t.equal(formatQuantity(1500, '1Ki'), '1500');
});

t.test('a pod uses its summed requests and limits; init containers count when larger', async (t) => {
  const p = pod([c({ cpu: '100m', memory: '64Mi' }, { memory: '128Mi' }), c({ cpu: '250m' })], { initContainers: [c({ cpu: '1' })] });
  t.same(podResources(p.spec, 'requests'), { cpu: 1, memory: 64 * 2 ** 20 });
  const u = usageOf(pods, p);
  t.equal(u.pods, 1);
  t.equal(u['count/pods'], 1);
  t.equal(u['requests.cpu'], 1);
  t.equal(u.cpu, 1);
  t.equal(u['limits.memory'], 128 * 2 ** 20);
  const done = { ...p, status: { phase: 'Succeeded' } };
  t.same(usageOf(pods, done), { 'count/pods': 1 }, 'a finished pod only counts as an object');
});

t.test('services count node ports and load balancers', async (t) => {
  const u = usageOf(services, { metadata: {}, spec: { type: 'LoadBalancer', ports: [{ port: 80 }, { port: 443 }] } });
  t.same(u, { 'count/services': 1, services: 1, 'services.nodeports': 2, 'services.loadbalancers': 1 });
});

t.test('quota scopes select pods', async (t) => {
  const bestEffort = pod([{ name: 'c', image: 'x' }]);
  const burstable = pod([c({ cpu: '100m' })], { activeDeadlineSeconds: 30 });
  t.ok(scopesMatch({ spec: { scopes: ['BestEffort'] } }, pods, bestEffort));
  t.notOk(scopesMatch({ spec: { scopes: ['BestEffort'] } }, pods, burstable));
  t.ok(scopesMatch({ spec: { scopes: ['NotBestEffort', 'Terminating'] } }, pods, burstable));
  t.notOk(scopesMatch({ spec: { scopes: ['NotTerminating'] } }, pods, burstable));
  t.notOk(scopesMatch({ spec: { scopes: ['BestEffort'] } }, services, { metadata: {} }), 'scoped quotas track pods only');
});

t.test('quota resource names count their kinds', async (t) => {
  t.equal(kindForQuotaResource('count/deployments.apps'), Resources.deployments);
  t.equal(kindForQuotaResource('requests.memory'), Resources.pods);
  t.equal(kindForQuotaResource('configmaps'), Resources.configmaps);
  t.equal(kindForQuotaResource('count/events.events.k8s.io'), undefined, 'a view of another kind is not counted twice');
  t.ok(countsKind('services.nodeports', Resources.services));
  t.notOk(countsKind('cpu', Resources.services));
});
