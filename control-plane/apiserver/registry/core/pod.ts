// Pods in the store (kube: pkg/registry/core/pod/strategy.go): status only through /status, the fields pod field
// selectors know, and graceful deletion — a pod on a node lives on for its grace period and goes only once its
// kubelet has stopped it and deleted it with grace 0.
import type { KubeObject, Pod } from '../../../../api/types.js';
import * as defaults from '../defaults.js';
import { strategy, type Strategy } from '../strategy.js';
import * as validation from '../validation.js';

const fields = (o: KubeObject): Record<string, string> => {
  const p = o as Pod;
  return {
    'spec.nodeName': p.spec?.nodeName ?? '',
    'spec.restartPolicy': p.spec?.restartPolicy ?? '',
    'spec.schedulerName': p.spec?.schedulerName ?? '',
    'spec.serviceAccountName': p.spec?.serviceAccountName ?? '',
    'spec.hostNetwork': String(p.spec?.hostNetwork ?? false),
    'status.phase': p.status?.phase ?? '',
    'status.podIP': p.status?.podIP ?? '',
    'status.nominatedNodeName': p.status?.nominatedNodeName ?? '',
  };
};

const terminal = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

export const podStrategy: Strategy = {
  ...strategy({ statusSubresource: true, defaults: defaults.pod, validate: validation.pod, fields }),
  /** A running pod on a node gets its grace period (the request's, else its own); never longer than one already set. */
  gracePeriod(obj, requested) {
    const p = obj as Pod;
    if (!p.spec?.nodeName || terminal(p)) return 0;
    const grace = requested ?? p.spec.terminationGracePeriodSeconds ?? 30;
    return p.metadata.deletionGracePeriodSeconds === undefined ? grace : Math.min(grace, p.metadata.deletionGracePeriodSeconds);
  },
  /** A pod bound to a node stays until its kubelet confirms the containers are gone (grace period 0). */
  awaitsFinalization(obj) {
    return !!(obj as Pod).spec?.nodeName && (obj.metadata.deletionGracePeriodSeconds ?? 0) > 0;
  },
};
