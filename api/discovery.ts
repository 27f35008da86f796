// Client-side discovery (client-go's discovery.ServerPreferredResources): the resources a server serves, each in its
// group's preferred version, with the verbs it supports — read from /api, /apis and the group-version lists.
import type { ApiClient } from './client.js';
import type { ResourceRef } from './resources.js';

/** meta/v1 APIVersions (/api). */
export interface APIVersions {
  versions: string[];
}
/** meta/v1 APIGroupList (/apis). */
export interface APIGroupList {
  groups: { name: string; preferredVersion?: { groupVersion: string; version: string }; versions: { groupVersion: string; version: string }[] }[];
}
/** meta/v1 APIResourceList (/api/v1, /apis/<group>/<version>). */
export interface APIResourceList {
  groupVersion: string;
  resources: { name: string; namespaced: boolean; kind: string; verbs: string[] }[];
}

export interface DiscoveredResource extends ResourceRef {
  verbs: string[];
}

/** The group versions to read: the core group's first version, then each group's preferred one. */
export function preferredGroupVersions(core: APIVersions, groups: APIGroupList): string[] {
  const out = core.versions.slice(0, 1);
  for (const g of groups.groups) {
    const gv = g.preferredVersion?.groupVersion ?? g.versions[0]?.groupVersion;
    if (gv) out.push(gv);
  }
  return out;
}

/** The resources of one group-version list; subresources (`pods/status`) are not resources of their own. */
export function resourcesOf(list: APIResourceList): DiscoveredResource[] {
  const [group, version] = list.groupVersion.includes('/') ? list.groupVersion.split('/') : ['', list.groupVersion];
  return list.resources.filter((r) => !r.name.includes('/')).map((r) => ({ group, version, plural: r.name, kind: r.kind, namespaced: r.namespaced, verbs: r.verbs }));
}

export function supportsVerbs(r: DiscoveredResource, verbs: string[]): boolean {
  return verbs.every((v) => r.verbs.includes(v));
}

/** Every resource the server prefers, core group first, in the order discovery lists them. */
export async function serverPreferredResources(client: ApiClient): Promise<DiscoveredResource[]> {
  const [core, groups] = await Promise.all([client.request<APIVersions>('GET', '/api'), client.request<APIGroupList>('GET', '/apis')]);
  const lists = await Promise.all(preferredGroupVersions(core, groups).map((gv) => client.request<APIResourceList>('GET', gv.includes('/') ? `/apis/${gv}` : `/api/${gv}`)));
  return lists.flatMap(resourcesOf);
}
