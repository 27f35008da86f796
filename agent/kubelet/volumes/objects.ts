// How the kubelet reads the objects its pods name (kubernetes pkg/kubelet/configmap, secret and token managers, in
// their GET-by-name form): ConfigMaps, Secrets and the claims and volumes of PVC volumes one at a time by name — the only reads the Node authorizer allows
// a node — with a short cache so the pods of one refresh round share a read, and TokenRequests bound to a pod.
import type { ApiClient } from '../../../api/client.js';
import { isNotFound } from '../../../api/errors.js';
import { Resources } from '../../../api/resources.js';
import type { KubeObject, PersistentVolume, PersistentVolumeClaim } from '../../../api/types.js';
import { systemClock, type Clock } from '../backoff.js';
import type { ConfigMap, Secret } from './types.js';

export interface TokenRequestSpec {
  audiences?: string[];
  expirationSeconds: number;
  boundObjectRef: { kind: 'Pod'; apiVersion: 'v1'; name: string; uid: string };
}

export interface IssuedToken {
  token: string;
  /** ms since the epoch. */
  expiresAt: number;
  /** The lifetime the API server granted. */
  expirationSeconds: number;
}

export interface PodObjectReader {
  /** The ConfigMap, or undefined when there is none of that name. */
  configMap(namespace: string, name: string): Promise<ConfigMap | undefined>;
  secret(namespace: string, name: string): Promise<Secret | undefined>;
  requestToken(namespace: string, serviceAccount: string, spec: TokenRequestSpec): Promise<IssuedToken>;
  /** A claim of a pod's persistentVolumeClaim volume, and the volume it is bound to (undefined: none of that name). */
  persistentVolumeClaim(namespace: string, name: string): Promise<PersistentVolumeClaim | undefined>;
  persistentVolume(name: string): Promise<PersistentVolume | undefined>;
}

/** A kubelet without an API server (static pods only) cannot read objects. */
export const noApiReader: PodObjectReader = {
  async configMap(namespace, name) {
    throw new Error(`couldn't get configMap ${namespace}/${name}, no kubeClient defined`);
  },
  async secret(namespace, name) {
    throw new Error(`couldn't get secret ${namespace}/${name}, no kubeClient defined`);
  },
  async requestToken() {
    throw new Error('cannot request a service account token without a kubeClient');
  },
  async persistentVolumeClaim(namespace, name) {
    throw new Error(`couldn't get persistentvolumeclaim ${namespace}/${name}, no kubeClient defined`);
  },
  async persistentVolume(name) {
    throw new Error(`couldn't get persistentvolume ${name}, no kubeClient defined`);
  },
};

/** Reads through the API with GETs by name, each answer (found or not) shared for ttlMs. */
export function apiObjectReader(client: ApiClient, o: { ttlMs?: number; clock?: Clock } = {}): PodObjectReader {
  const ttlMs = o.ttlMs ?? 1000;
  const clock = o.clock ?? systemClock;
  const cache = new Map<string, { at: number; value: Promise<KubeObject | undefined> }>();
  const get = <T extends KubeObject>(kind: 'configmaps' | 'secrets' | 'persistentvolumeclaims' | 'persistentvolumes', namespace: string | undefined, name: string): Promise<T | undefined> => {
    const key = `${kind}/${namespace}/${name}`;
    const now = clock.now();
    const hit = cache.get(key);
    if (hit && now - hit.at < ttlMs) return hit.value as Promise<T | undefined>;
    for (const [k, v] of cache) if (now - v.at >= ttlMs) cache.delete(k);
    const value = client.get<T>(Resources[kind], namespace, name).catch((e) => {
      if (isNotFound(e)) return undefined;
      cache.delete(key);
      throw e;
    });
    cache.set(key, { at: now, value });
    return value;
  };
  return {
    configMap: (namespace, name) => get<ConfigMap & KubeObject>('configmaps', namespace, name),
    secret: (namespace, name) => get<Secret & KubeObject>('secrets', namespace, name),
    persistentVolumeClaim: (namespace, name) => get<PersistentVolumeClaim>('persistentvolumeclaims', namespace, name),
    persistentVolume: (name) => get<PersistentVolume>('persistentvolumes', undefined, name),
    async requestToken(namespace, serviceAccount, spec) {
      const res = await client.createSubresource<{ spec?: { expirationSeconds?: number }; status: { token: string; expirationTimestamp: string } }>(Resources.serviceaccounts, namespace, serviceAccount, 'token', {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        metadata: { name: serviceAccount, namespace },
        spec,
      });
      return { token: res.status.token, expiresAt: Date.parse(res.status.expirationTimestamp), expirationSeconds: res.spec?.expirationSeconds ?? spec.expirationSeconds };
    },
  };
}

/** Reads each named object once: the object, undefined when missing, or the read's error. */
export async function readObjects<T>(names: string[], read: (name: string) => Promise<T | undefined>): Promise<Map<string, T | undefined | Error>> {
  const out = new Map<string, T | undefined | Error>();
  await Promise.all(
    [...new Set(names)].map(async (n) => {
      try {
        out.set(n, await read(n));
      } catch (e) {
        out.set(n, e as Error);
      }
    }),
  );
  return out;
}
