// The APIServices of the API server's own groups (kube: kube-aggregator's autoregister controller and the
// priorities kube-apiserver gives its built-in groups in aggregator.go): one Local APIService per served
// group-version, so `kubectl get apiservices` lists them beside the remote ones.
import type { APIService } from '../../../api/types.js';
import { groupVersions, type ResourceDef } from '../registry/kinds.js';

/** kube-apiserver's group priorities (apiVersionPriorities); other groups rank below them. */
const GROUP_PRIORITY: Record<string, number> = {
  '': 18000,
  apps: 17800,
  'events.k8s.io': 17750,
  'authentication.k8s.io': 17700,
  'authorization.k8s.io': 17600,
  autoscaling: 17500,
  batch: 17400,
  'certificates.k8s.io': 17300,
  'networking.k8s.io': 17200,
  'rbac.authorization.k8s.io': 17000,
  'apiextensions.k8s.io': 16700,
  'coordination.k8s.io': 16500,
  'discovery.k8s.io': 16200,
  'apiregistration.k8s.io': 18000,
};

export const AUTOREGISTER_LABEL = 'kube-aggregator.kubernetes.io/automanaged';

export function localAPIServices(kinds: readonly ResourceDef[]): APIService[] {
  const gvs = groupVersions(kinds);
  return gvs.map(({ group, version }) => {
    const versions = gvs.filter((gv) => gv.group === group).map((gv) => gv.version);
    return {
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: `${version}.${group}`, labels: { [AUTOREGISTER_LABEL]: 'onstart' } },
      // The preferred version ranks highest (versions arrive in kube's priority order).
      spec: { group, version, groupPriorityMinimum: GROUP_PRIORITY[group] ?? 1000, versionPriority: 15 + 5 * (versions.length - 1 - versions.indexOf(version)) },
    };
  });
}
