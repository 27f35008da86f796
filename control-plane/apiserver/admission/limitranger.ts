// The LimitRanger admission plugin (kube: plugin/pkg/admission/limitranger): a pod's containers get the requests and
// limits defaults of their namespace's LimitRanges (mutating), and the pod must keep within their min, max and
// limit/request ratios (validating).
import { formatQuantity, parseQuantity } from '../../../api/quantity.js';
import { podResources, qosClass } from '../../../api/pods.js';
import type { Usage } from '../../../api/quota.js';
import { findByPlural } from '../registry/kinds.js';
import type { WriteAttributes } from '../registry/store.js';
import { forbidden, type AdmissionPlugin } from './chain.js';
import type { NamespaceLister } from './lister.js';

type Any = any;

const limitRanges = findByPlural('', 'v1', 'limitranges')!;

/** Go's error aggregate: one message alone, several in brackets. */
const aggregate = (errs: string[]) => (errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`);

const limitAnnotation = 'kubernetes.io/limit-ranger';

function applyDefaults(c: Any, item: Any, prefix: string, notes: string[]): void {
  c.resources ??= {};
  const set = { limits: [] as string[], requests: [] as string[] };
  for (const [which, from] of [['limits', item.default], ['requests', item.defaultRequest]] as const) {
    for (const [r, v] of Object.entries(from ?? {})) {
      c.resources[which] ??= {};
      if (c.resources[which][r] === undefined) {
        c.resources[which][r] = v;
        set[which].push(r);
      }
    }
  }
  if (set.requests.length) notes.push(`${set.requests.sort().join(', ')} request for ${prefix} ${c.name}`);
  if (set.limits.length) notes.push(`${set.limits.sort().join(', ')} limit for ${prefix} ${c.name}`);
}

/** min / max / maxLimitRequestRatio of one item against one container's (or the pod's) requests and limits. */
function checkItem(item: Any, kind: string, requests: Record<string, unknown>, limits: Record<string, unknown>, errs: string[]): void {
  for (const [r, min] of Object.entries(item.min ?? {})) {
    const m = parseQuantity(min as string);
    if (requests[r] === undefined) errs.push(`minimum ${r} usage per ${kind} is ${min}.  No request is specified`);
    else if (parseQuantity(requests[r] as string) < m) errs.push(`minimum ${r} usage per ${kind} is ${min}, but request is ${requests[r]}`);
    else if (limits[r] !== undefined && parseQuantity(limits[r] as string) < m) errs.push(`minimum ${r} usage per ${kind} is ${min}, but limit is ${limits[r]}`);
  }
  for (const [r, max] of Object.entries(item.max ?? {})) {
    const m = parseQuantity(max as string);
    if (limits[r] === undefined) errs.push(`maximum ${r} usage per ${kind} is ${max}.  No limit is specified`);
    else if (parseQuantity(limits[r] as string) > m) errs.push(`maximum ${r} usage per ${kind} is ${max}, but limit is ${limits[r]}`);
    else if (requests[r] !== undefined && parseQuantity(requests[r] as string) > m) errs.push(`maximum ${r} usage per ${kind} is ${max}, but request is ${requests[r]}`);
  }
  for (const [r, ratio] of Object.entries(item.maxLimitRequestRatio ?? {})) {
    const req = parseQuantity(requests[r] as string);
    const lim = parseQuantity(limits[r] as string);
    if (requests[r] === undefined || req === 0) {
      if (limits[r] !== undefined) errs.push(`${r} max limit to request ratio per ${kind} is ${ratio}, but no request is specified or request is 0`);
      continue;
    }
    if (limits[r] === undefined) {
      errs.push(`${r} max limit to request ratio per ${kind} is ${ratio}, but no limit is specified`);
      continue;
    }
    const observed = lim / req;
    if (observed > parseQuantity(ratio as string)) errs.push(`${r} max limit to request ratio per ${kind} is ${ratio}, but provided ratio is ${observed.toFixed(6)}`);
  }
}

const toStrings = (u: Usage): Record<string, string> => Object.fromEntries(Object.entries(u).map(([r, v]) => [r, formatQuantity(v)]));

export class LimitRanger implements AdmissionPlugin {
  readonly name = 'LimitRanger';

  constructor(private readonly list: NamespaceLister) {}

  /** The new pod's LimitRanges, in name order; none for anything else. */
  private async ranges({ operation, def, object }: WriteAttributes): Promise<Any[]> {
    if (operation !== 'CREATE' || def.kind !== 'Pod' || def.group) return [];
    const ranges = await this.list(limitRanges, object.metadata.namespace!);
    return ranges.sort((a, b) => String(a.metadata.name).localeCompare(b.metadata.name));
  }

  /** Fills the containers' unset requests and limits from the Container items' defaults, and says so in an annotation. */
  async admit(a: WriteAttributes): Promise<void> {
    const pod = a.object as Any;
    const notes: string[] = [];
    for (const lr of await this.ranges(a)) {
      for (const item of ((lr.spec?.limits ?? []) as Any[]).filter((i) => i.type === 'Container')) {
        for (const c of pod.spec?.containers ?? []) applyDefaults(c, item, 'container', notes);
        for (const c of pod.spec?.initContainers ?? []) applyDefaults(c, item, 'init container', notes);
      }
    }
    if (!notes.length) return;
    pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), [limitAnnotation]: `LimitRanger plugin set: ${notes.join('; ')}` };
    if (pod.status?.qosClass) pod.status.qosClass = qosClass(pod.spec);
  }

  /** Refuses a pod whose containers (or whole) break a min, max or ratio. */
  async validate(a: WriteAttributes): Promise<void> {
    const pod = a.object as Any;
    const errs: string[] = [];
    for (const lr of await this.ranges(a)) {
      for (const item of (lr.spec?.limits ?? []) as Any[]) {
        if (item.type === 'Container') {
          for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) checkItem(item, 'Container', c.resources?.requests ?? {}, c.resources?.limits ?? {}, errs);
        } else if (item.type === 'Pod') {
          checkItem(item, 'Pod', toStrings(podResources(pod.spec, 'requests')), toStrings(podResources(pod.spec, 'limits')), errs);
        }
      }
    }
    if (errs.length) throw forbidden(a.def, a.object, aggregate(errs));
  }
}
