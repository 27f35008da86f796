// Which files a configMap, secret, downwardAPI or projected volume holds (kubernetes pkg/volume/configmap and
// secret MakePayload, downwardapi CollectData, projected collectData): pure functions from the volume source, the
// objects it names (already read) and the pod to a payload of path → {data, mode}. The atomic writer puts it on disk.
import type { Pod } from '../../../api/types.js';
import { extractFieldPath, resourceValueByContainerName, type NodeAllocatable } from '../fieldpath.js';
import { cleanPath, type Payload } from './atomicwriter.js';
import { DEFAULT_MODE, type ConfigMap, type DownwardAPIVolumeFile, type KeyToPath, type Secret, type ServiceAccountTokenProjection, type Volume } from './types.js';

/** An object read by name: the object, undefined when the API has none, or the error the read failed with. */
export type Lookup<T> = ReadonlyMap<string, T | undefined | Error>;

/** What a volume needs read from the API before its payload can be computed. */
export interface VolumeReferences {
  configMaps: string[];
  secrets: string[];
  tokens: ServiceAccountTokenProjection[];
}

export interface ProjectionInputs {
  configMaps: Lookup<ConfigMap>;
  secrets: Lookup<Secret>;
  /** Service-account tokens by the projection's path. */
  tokens: Lookup<string>;
  allocatable?: NodeAllocatable;
}

/** A volume whose files could not be computed; the message is what kubelet puts after "MountVolume.SetUp failed … :". */
export class ProjectionError extends Error {
  override name = 'ProjectionError';
}

/** utilerrors.NewAggregate's wording: one error as itself, several as [a, b]. */
export function aggregate(messages: string[]): string {
  return messages.length === 1 ? messages[0] : `[${messages.join(', ')}]`;
}

/** The volume kinds whose files come from the API and the pod, written by the atomic writer and kept up to date. */
export const isProjectedKind = (v: Volume): boolean => !!(v.configMap || v.secret || v.downwardAPI || v.projected);

export function volumeReferences(v: Volume): VolumeReferences {
  const refs: VolumeReferences = { configMaps: [], secrets: [], tokens: [] };
  if (v.configMap?.name) refs.configMaps.push(v.configMap.name);
  if (v.secret?.secretName) refs.secrets.push(v.secret.secretName);
  for (const s of v.projected?.sources ?? []) {
    if (s.configMap?.name) refs.configMaps.push(s.configMap.name);
    if (s.secret?.name) refs.secrets.push(s.secret.name);
    if (s.serviceAccountToken) refs.tokens.push(s.serviceAccountToken);
  }
  return refs;
}

const fromBase64 = (s: string) => Buffer.from(s, 'base64');

/** Keys (or the chosen items) of a ConfigMap or Secret as files; `missingKey` words the error for an item's absent key. */
function keysPayload(entries: Map<string, Buffer>, items: KeyToPath[] | undefined, defaultMode: number, optional: boolean, missingKey: (key: string) => string): Payload {
  const payload: Payload = new Map();
  if (!items?.length) {
    for (const [key, data] of entries) payload.set(key, { data, mode: defaultMode });
    return payload;
  }
  for (const item of items) {
    const data = entries.get(item.key);
    if (!data) {
      if (optional) continue;
      throw new ProjectionError(missingKey(item.key));
    }
    payload.set(item.path, { data, mode: item.mode ?? defaultMode });
  }
  return payload;
}

export function configMapPayload(cm: ConfigMap, items: KeyToPath[] | undefined, defaultMode: number, optional: boolean): Payload {
  const entries = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(cm.data ?? {})) entries.set(k, Buffer.from(v, 'utf8'));
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) entries.set(k, fromBase64(v));
  return keysPayload(entries, items, defaultMode, optional, (key) => `configmap references non-existent config key: ${key}`);
}

export function secretPayload(secret: Secret, items: KeyToPath[] | undefined, defaultMode: number, optional: boolean): Payload {
  const entries = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(secret.data ?? {})) entries.set(k, fromBase64(v));
  return keysPayload(entries, items, defaultMode, optional, (key) => `references non-existent secret key: ${key}`);
}

/** downwardapi.CollectData: each item's field or resource value; failures are collected, not thrown one by one. */
export function downwardAPIPayload(items: DownwardAPIVolumeFile[] | undefined, pod: Pod, defaultMode: number, allocatable: NodeAllocatable | undefined): Payload {
  const payload: Payload = new Map();
  const errors: string[] = [];
  for (const item of items ?? []) {
    let value = '';
    try {
      if (item.fieldRef) value = extractFieldPath(pod, item.fieldRef.fieldPath);
      else if (item.resourceFieldRef) value = resourceValueByContainerName(item.resourceFieldRef, pod, allocatable);
    } catch (e) {
      errors.push((e as Error).message);
    }
    payload.set(cleanPath(item.path), { data: Buffer.from(value, 'utf8'), mode: item.mode ?? defaultMode });
  }
  if (errors.length) throw new ProjectionError(aggregate(errors));
  return payload;
}

const notFoundMessage = (kind: 'configmap' | 'secret', name: string) => `${kind} "${name}" not found`;

/**
 * An object a volume names: the object itself, an empty one when it is missing but optional, or the kubelet's error
 * (`configmap "x" not found`, or the read's own failure).
 */
function required<T extends object>(lookup: Lookup<T>, kind: 'configmap' | 'secret', name: string, optional: boolean): T {
  const got = lookup.get(name);
  if (got instanceof Error) throw new ProjectionError(got.message);
  if (got) return got;
  if (optional) return {} as T;
  throw new ProjectionError(notFoundMessage(kind, name));
}

/** The files of one volume of a projected kind; throws ProjectionError with kubelet's message when it cannot. */
export function volumePayload(v: Volume, pod: Pod, inputs: ProjectionInputs): Payload {
  if (v.configMap) {
    const optional = !!v.configMap.optional;
    const cm = required(inputs.configMaps, 'configmap', v.configMap.name ?? '', optional);
    return configMapPayload(cm, v.configMap.items, v.configMap.defaultMode ?? DEFAULT_MODE, optional);
  }
  if (v.secret) {
    const optional = !!v.secret.optional;
    const secret = required(inputs.secrets, 'secret', v.secret.secretName ?? '', optional);
    return secretPayload(secret, v.secret.items, v.secret.defaultMode ?? DEFAULT_MODE, optional);
  }
  if (v.downwardAPI) return downwardAPIPayload(v.downwardAPI.items, pod, v.downwardAPI.defaultMode ?? DEFAULT_MODE, inputs.allocatable);
  if (v.projected) {
    const defaultMode = v.projected.defaultMode ?? DEFAULT_MODE;
    const payload: Payload = new Map();
    const errors: string[] = [];
    const merge = (compute: () => Payload) => {
      try {
        for (const [k, f] of compute()) payload.set(k, f);
      } catch (e) {
        errors.push((e as Error).message);
      }
    };
    for (const s of v.projected.sources ?? []) {
      if (s.secret) {
        const { name = '', items, optional = false } = s.secret;
        merge(() => secretPayload(required(inputs.secrets, 'secret', name, optional), items, defaultMode, optional));
      } else if (s.configMap) {
        const { name = '', items, optional = false } = s.configMap;
        merge(() => configMapPayload(required(inputs.configMaps, 'configmap', name, optional), items, defaultMode, optional));
      } else if (s.downwardAPI) {
        merge(() => downwardAPIPayload(s.downwardAPI!.items, pod, defaultMode, inputs.allocatable));
      } else if (s.serviceAccountToken) {
        const path = s.serviceAccountToken.path;
        merge(() => {
          const token = inputs.tokens.get(path);
          if (token instanceof Error) throw token;
          if (token === undefined) throw new ProjectionError(`no token for ${path}`);
          return new Map([[path, { data: Buffer.from(token, 'utf8'), mode: defaultMode }]]);
        });
      }
    }
    if (errors.length) throw new ProjectionError(aggregate(errors));
    return payload;
  }
  return new Map();
}
