// The metrics API's answers: lists filtered by label and field selectors, a bad selector a 400 with the reason.
import t from 'tap';
import type { Node, Pod } from '../../api/types.js';
import { serveMetrics, type MetricsSources } from './api.js';
import { decodeResourceMetrics, MetricsStorage } from './storage.js';

const scrape = (cpu: number, ms: number) =>
  decodeResourceMetrics(
    [
      `node_cpu_usage_seconds_total ${cpu} ${ms}`,
      `node_memory_working_set_bytes 1048576 ${ms}`,
      ...['a', 'b'].flatMap((p) => [`container_cpu_usage_seconds_total{container="c",namespace="ns",pod="${p}"} ${cpu} ${ms}`, `container_memory_working_set_bytes{container="c",namespace="ns",pod="${p}"} 2048 ${ms}`]),
    ].join('\n'),
  );
const storage = new MetricsStorage();
storage.store(new Map([['n1', scrape(1, 100_000)]]));
storage.store(new Map([['n1', scrape(2, 110_000)]]));
const pod = (name: string, labels: Record<string, string>) => ({ metadata: { name, namespace: 'ns', labels }, spec: { containers: [] } }) as unknown as Pod;
const src: MetricsSources = { storage, nodes: () => [{ metadata: { name: 'n1' } } as Node], pods: () => [pod('a', { app: 'web' }), pod('b', { app: 'db' })], ready: () => true };

const names = (path: string, query: string) => (serveMetrics(path, new URLSearchParams(query), src).body as { items: { metadata: { name: string } }[] }).items.map((i) => i.metadata.name);

t.test('lists by label and field selectors', async (t) => {
  t.same(names('/pods', ''), ['a', 'b']);
  t.same(names('/pods', 'labelSelector=app%3Dweb'), ['a']);
  t.same(names('/namespaces/ns/pods', 'labelSelector=app+in+(web,db)'), ['a', 'b']);
  t.same(names('/pods', 'fieldSelector=metadata.name%3Db'), ['b']);
  t.same(names('/pods', 'fieldSelector=metadata.name!%3Db,metadata.namespace%3Dns'), ['a']);
  t.same(names('/nodes', 'fieldSelector=metadata.name%3D%3Dn1'), ['n1']);
});

t.test('a bad selector is a 400 Status with the reason', async (t) => {
  const bad = (path: string, query: string) => {
    try {
      serveMetrics(path, new URLSearchParams(query), src);
    } catch (e) {
      return (e as { body?: { code: number; reason: string; message: string } }).body;
    }
    return undefined;
  };
  t.match(bad('/pods', 'labelSelector=app+in+(web'), { code: 400, reason: 'BadRequest', message: /^unable to parse labelSelector: / });
  t.match(bad('/nodes', 'labelSelector=%3Dx'), { code: 400, message: /^unable to parse labelSelector: unable to parse requirement/ });
  t.match(bad('/pods', 'fieldSelector=metadata.name'), { code: 400, reason: 'BadRequest', message: "unable to parse fieldSelector: invalid selector: 'metadata.name'; can't understand 'metadata.name'" });
  t.match(bad('/nodes', 'fieldSelector=spec.nodeName%3Dn1'), { code: 400, reason: 'BadRequest', message: 'field label not supported: spec.nodeName' });
});
