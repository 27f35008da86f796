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

/** The rules to write into an aggregated ClusterRole, or undefined when it already holds them (no write). */
export function computeAggregatedRules(role: ClusterRole, all: Iterable<ClusterRole>): PolicyRule[] | undefined {
  const rules = aggregatedRules(role, all);
  return JSON.stringify(rules) === JSON.stringify(role.rules ?? []) ? undefined : rules;
}

/**
 * The roles with each aggregated one's rules filled in as the aggregation controller settles them (view into edit into
 * admin). The bootstrap policy is created this way, so a new cluster's admin, edit and view grant from the first
 * request rather than once the controller manager has run. Each round only adds rules, so it ends.
 */
export function settledAggregation(roles: ClusterRole[]): ClusterRole[] {
  for (let changed = true; changed; ) {
    changed = false;
    const before = roles;
    roles = before.map((r) => {
      const rules = r.aggregationRule && computeAggregatedRules(r, before);
      if (!rules) return r;
      changed = true;
      return { ...r, rules };
    });
  }
  return roles;
}
