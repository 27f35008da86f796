// computeAggregatedRules: rules gathered from the picked roles, once each; no write when nothing changed.
// settledAggregation: every aggregated role filled through every level, as the aggregation controller settles them.
import t from 'tap';
import type { ClusterRole, PolicyRule } from './types.js';
import { computeAggregatedRules, settledAggregation } from './rbac.js';

const role = (name: string, labels: Record<string, string>, verbs: string[]): ClusterRole => ({ metadata: { name, labels }, rules: [{ verbs, apiGroups: [''], resources: ['pods'] }] });
const view: ClusterRole = { metadata: { name: 'view' }, rules: [], aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } }] } };

t.test('an aggregated role holds the rules of the roles it picks', async (t) => {
  const all = [view, role('b-crd-view', { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' }, ['get']), role('a-more', { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' }, ['list']), role('c-twice', { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' }, ['get']), role('other', {}, ['delete'])];
  const rules = computeAggregatedRules(view, all)!;
  t.same(rules.map((r) => r.verbs[0]), ['list', 'get'], 'name order, repeats dropped, unpicked ignored');
  t.equal(computeAggregatedRules({ ...view, rules }, all), undefined, 'no change, no write');
});

const aggregating = (name: string, labels: Record<string, string>, rules: PolicyRule[], picks?: string): ClusterRole => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name, labels },
  rules,
  ...(picks ? { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [picks]: 'true' } }] } } : {}),
});
const read: PolicyRule = { apiGroups: [''], resources: ['pods'], verbs: ['get'] };
const write: PolicyRule = { apiGroups: [''], resources: ['pods'], verbs: ['create'] };
const own: PolicyRule = { apiGroups: [''], resources: ['secrets'], verbs: ['delete'] };

t.test('settledAggregation fills each aggregated role through every level, whatever the order', async (t) => {
  const roles = [
    aggregating('top', {}, [], 'to-top'),
    aggregating('middle', { 'to-top': 'true' }, [], 'to-middle'),
    aggregating('bottom', { 'to-middle': 'true' }, [], 'to-bottom'),
    aggregating('reads', { 'to-bottom': 'true' }, [read]),
    aggregating('writes', { 'to-middle': 'true' }, [write]),
    aggregating('owns', { 'to-top': 'true' }, [own]),
    aggregating('unpicked', {}, [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]),
  ];
  const settled = new Map(settledAggregation(roles).map((r) => [r.metadata.name!, r.rules]));
  t.same(settled.get('bottom'), [read]);
  t.same(new Set(settled.get('middle')), new Set([read, write]), 'the level below, and its own picks');
  t.same(new Set(settled.get('top')), new Set([read, write, own]), 'two levels down');
  t.same(settled.get('reads'), [read], 'a role without an aggregationRule is as it was');
  t.same(roles[0].rules, [], 'the roles given are not changed');
});
