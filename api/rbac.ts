// ClusterRole aggregation (pkg/controller/clusterroleaggregation): the rules an aggregated ClusterRole holds — every
// rule of every other ClusterRole its selectors pick, in name order, without repeats. The aggregation controller
// writes them; anything that needs admin/edit/view as the cluster has them computes them the same way.
import { fromLabelSelector, matches } from './labels.js';
import type { ClusterRole, PolicyRule } from './types.js';

export function aggregatedRules(role: ClusterRole, all: Iterable<ClusterRole>): PolicyRule[] {
  const selectors = (role.aggregationRule?.clusterRoleSelectors ?? []).map((s) => fromLabelSelector(s));
  const rules: PolicyRule[] = [];
  const seen = new Set<string>();
  const candidates = [...all].filter((r) => r.metadata.name !== role.metadata.name).sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
  for (const sel of selectors) {
    if (!sel) continue;
    for (const r of candidates) {
      if (!matches(sel, r.metadata.labels)) continue;
      for (const rule of r.rules ?? []) {
        const key = JSON.stringify(rule);
        if (!seen.has(key)) seen.add(key), rules.push(rule);
      }
    }
  }
  return rules;
}
