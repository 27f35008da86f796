// computeAggregatedRules: rules gathered from the picked roles, once each; no write when nothing changed.
import t from 'tap';
import type { ClusterRole } from '../../../api/types.js';
import { computeAggregatedRules } from './actions.js';

const role = (name: string, labels: Record<string, string>, verbs: string[]): ClusterRole => ({ metadata: { name, labels }, rules: [{ verbs, apiGroups: [''], resources: ['pods'] }] });
const view: ClusterRole = { metadata: { name: 'view' }, rules: [], aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } }] } };

t.test('an aggregated role holds the rules of the roles it picks', async (t) => {
  const all = [view, role('b-crd-view', { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' }, ['get']), role('a-more', { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' }, ['list']), role('c-twice', { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' }, ['get']), role('other', {}, ['delete'])];
  const rules = computeAggregatedRules(view, all)!;
  t.same(rules.map((r) => r.verbs[0]), ['list', 'get'], 'name order, repeats dropped, unpicked ignored');
  t.equal(computeAggregatedRules({ ...view, rules }, all), undefined, 'no change, no write');
});
