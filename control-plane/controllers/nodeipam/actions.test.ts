// computeNodeCIDR on plain objects: the first free block, blocks handed out but not yet seen, exhaustion.
import t from 'tap';
import type { Node } from '../../../api/types.js';
import { computeNodeCIDR } from './actions.js';

const node = (name: string, podCIDR?: string): Node => ({ metadata: { name }, spec: podCIDR ? { podCIDR } : {} });
const decide = (n: Node, nodes: Node[], assigned = new Map<string, string>(), clusterCIDR = '10.244.0.0/16') => computeNodeCIDR({ node: n, nodes, assigned, clusterCIDR, maskSize: 24 });

t.test('a node gets the first /24 that no node has and none was handed out', async (t) => {
  const w3 = node('w3');
  t.same(decide(w3, [node('w1', '10.244.0.0/24'), node('w2', '10.244.2.0/24'), w3]), { type: 'assign', cidr: '10.244.1.0/24' });
  t.same(decide(w3, [node('w1', '10.244.0.0/24'), w3], new Map([['w2', '10.244.1.0/24']])), { type: 'assign', cidr: '10.244.2.0/24' }, 'one handed out but not yet seen is taken');
  t.same(decide(w3, [w3], new Map([['w3', '10.244.7.0/24']])), { type: 'assign', cidr: '10.244.7.0/24' }, 'a retry keeps its block');
  t.same(decide(node('w1', '10.244.0.0/24'), []), { type: 'none' }, 'a node with a podCIDR keeps it');
  t.same(decide(w3, [node('w1', '10.244.0.0/24'), w3], new Map(), '10.244.0.0/24'), { type: 'exhausted' });
});
