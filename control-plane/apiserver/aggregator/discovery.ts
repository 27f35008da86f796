// Discovery of aggregated groups (kube: kube-aggregator pkg/apiserver/handler_apis.go, handler_discovery.go and the
// aggregated discovery manager, and the openapiv3 spec proxier): the remote group-versions' resource lists, fetched
// from their servers, merged into /apis (legacy and aggregated) and served for /apis/<group>, and their OpenAPI v3
// documents listed in /openapi/v3; the version and OpenAPI documents themselves are proxied.
import type { APIService } from '../../../api/types.js';

type Any = any;

/** A remote group-version that answered discovery: its APIService and the resources it listed. */
export interface RemoteGroupVersion {
  api: APIService;
  resources: Any[];
  /** The serverRelativeURL of its OpenAPI v3 document, when its server's /openapi/v3 index lists one. */
  openapi?: string;
}

/** Groups by groupPriorityMinimum (highest first), versions in a group by versionPriority (highest first). */
function byGroup(remote: readonly RemoteGroupVersion[]): Map<string, RemoteGroupVersion[]> {
  const sorted = [...remote].sort((a, b) => b.api.spec.groupPriorityMinimum - a.api.spec.groupPriorityMinimum || (a.api.spec.group ?? '').localeCompare(b.api.spec.group ?? '') || b.api.spec.versionPriority - a.api.spec.versionPriority);
  const out = new Map<string, RemoteGroupVersion[]>();
  for (const r of sorted) {
    const g = r.api.spec.group ?? '';
    if (!out.has(g)) out.set(g, []);
    out.get(g)!.push(r);
  }
  return out;
}

/** The APIGroup document of a remote group. */
export function remoteGroup(group: string, versions: readonly RemoteGroupVersion[]) {
  const vs = versions.map((v) => ({ groupVersion: `${group}/${v.api.spec.version}`, version: v.api.spec.version! }));
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions: vs, preferredVersion: vs[0] };
}

/** /apis with the remote groups the local ones do not have. */
export function mergeGroupList(doc: Any, remote: readonly RemoteGroupVersion[]): Any {
  const local = new Set((doc.groups ?? []).map((g: Any) => g.name));
  const extra = [...byGroup(remote)].filter(([g]) => !local.has(g)).map(([g, vs]) => remoteGroup(g, vs));
  return { ...doc, groups: [...doc.groups, ...extra] };
}

/** A remote group-version's resources in the aggregated discovery shape (apidiscovery.k8s.io/v2). */
function aggregatedResources(group: string, version: string, list: readonly Any[]): Any[] {
  const top = list.filter((r) => typeof r.name === 'string' && !r.name.includes('/'));
  return top.map((r) => {
    const subs = list.filter((s) => typeof s.name === 'string' && s.name.startsWith(`${r.name}/`));
    return {
      resource: r.name,
      responseKind: { group: r.group ?? group, version: r.version ?? version, kind: r.kind },
      scope: r.namespaced ? 'Namespaced' : 'Cluster',
      singularResource: r.singularName || r.kind?.toLowerCase() || '',
      verbs: r.verbs ?? [],
      ...(r.shortNames?.length ? { shortNames: r.shortNames } : {}),
      ...(r.categories?.length ? { categories: r.categories } : {}),
      ...(subs.length ? { subresources: subs.map((s) => ({ subresource: s.name.slice(r.name.length + 1), responseKind: { group: s.group ?? group, version: s.version ?? version, kind: s.kind }, verbs: s.verbs ?? [] })) } : {}),
    };
  });
}

/** /apis as an APIGroupDiscoveryList with the remote groups added. */
export function mergeAggregated(doc: Any, remote: readonly RemoteGroupVersion[]): Any {
  const local = new Set((doc.items ?? []).map((g: Any) => g.metadata?.name));
  const extra = [...byGroup(remote)]
    .filter(([g]) => !local.has(g))
    .map(([g, vs]) => ({ metadata: { name: g }, versions: vs.map((v) => ({ version: v.api.spec.version, freshness: 'Current', resources: aggregatedResources(g, v.api.spec.version!, v.resources) })) }));
  return { ...doc, items: [...doc.items, ...extra] };
}

/** /openapi/v3 with the remote group-versions' documents the local ones do not have. */
export function mergeOpenAPIIndex(index: { paths: Record<string, { serverRelativeURL: string }> }, remote: readonly RemoteGroupVersion[]) {
  const paths = { ...index.paths };
  for (const r of remote) {
    const gvPath = `apis/${r.api.spec.group}/${r.api.spec.version}`;
    if (r.openapi && !Object.hasOwn(paths, gvPath)) paths[gvPath] = { serverRelativeURL: r.openapi };
  }
  return { ...index, paths };
}

export { byGroup as remoteByGroup };
