// pkg/controller/clusterroleaggregation, as a pure decision: the rules to write into an aggregated ClusterRole, or
// nothing when it already holds them.
import { aggregatedRules } from '../../../api/rbac.js';
import type { ClusterRole, PolicyRule } from '../../../api/types.js';

export function computeAggregatedRules(role: ClusterRole, all: ClusterRole[]): PolicyRule[] | undefined {
  const rules = aggregatedRules(role, all);
  return JSON.stringify(rules) === JSON.stringify(role.rules ?? []) ? undefined : rules;
}
