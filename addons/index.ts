// kubeadm init's addon phase: the cluster add-ons every kubeadm-shaped cluster starts with — kube-proxy as a DaemonSet
// and cluster DNS (the coredns Deployment behind kube-dns) — the ingress controller (a DaemonSet on the workers, with
// its default IngressClass), metrics-server (with its APIService) and cluster logging (the log-collector DaemonSet and
// the cluster-logs store) and the Dashboard, applied with server-side apply under one field manager, so applying them again (a second
// init, an upgrade) changes only what changed.
import type { ApiClient } from '../api/client.js';
import { apiVersionOf, Resources, type ResourceRef } from '../api/resources.js';
import type { KubeObject } from '../api/types.js';
import { proxyManifests, type ProxyManifestOptions } from '../agent/proxy/manifests.js';
import { corednsManifests } from './dns/manifests.js';
import { dashboardManifests } from './dashboard/manifests.js';
import { ingressManifests } from './ingress/manifests.js';
import { loggingManifests } from './logging/manifests.js';
import { metricsServerManifests } from './metrics-server/manifests.js';

export const ADDON_FIELD_MANAGER = 'kubets-addons';

export interface AddonOptions extends ProxyManifestOptions {
  /** kube-dns's ClusterIP (every kubelet's --cluster-dns). */
  clusterDNS?: string;
  clusterDomain?: string;
  dnsReplicas?: number;
}

/** The objects of the add-ons, in the order they are applied. */
export function addonManifests(o: AddonOptions): KubeObject[] {
  return [...proxyManifests(o), ...corednsManifests({ image: o.image, clusterIP: o.clusterDNS, clusterDomain: o.clusterDomain, replicas: o.dnsReplicas }), ...ingressManifests({ image: o.image }), ...metricsServerManifests({ image: o.image }), ...loggingManifests({ image: o.image }), ...dashboardManifests({ image: o.image })];
}

function refFor(obj: KubeObject): ResourceRef {
  const ref = Object.values(Resources).find((r) => r.kind === obj.kind && apiVersionOf(r) === obj.apiVersion);
  if (!ref) throw new Error(`no resource for ${obj.apiVersion} ${obj.kind}`);
  return ref;
}

/** Server-side applies each object (forcing ownership of the fields it sets, as `kubectl apply --server-side --force-conflicts`). */
export async function applyObjects(client: ApiClient, objects: KubeObject[], fieldManager = ADDON_FIELD_MANAGER): Promise<void> {
  for (const obj of objects) {
    const ref = refFor(obj);
    await client.patch(ref, ref.namespaced ? obj.metadata.namespace : undefined, obj.metadata.name!, 'apply', obj, undefined, { fieldManager, force: 'true' });
  }
}

export async function installAddons(client: ApiClient, o: AddonOptions): Promise<KubeObject[]> {
  const objects = addonManifests(o);
  await applyObjects(client, objects);
  return objects;
}
