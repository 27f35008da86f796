// The ServiceAccount admission plugin (kube: plugin/pkg/admission/serviceaccount): every pod runs as a service
// account — "default" unless it names one — which must exist; unless either opts out (automountServiceAccountToken:
// false), the pod gets the projected kube-api-access-<random> volume (a bound token, the cluster CA from
// kube-root-ca.crt, the namespace) mounted read-only at /var/run/secrets/kubernetes.io/serviceaccount in every
// container. Mirror pods of static pods may not use service accounts at all.
import { randomBytes } from 'node:crypto';
import type { KubeObject, Pod } from '../../../api/types.js';
import type { Store } from '../../storage/store.js';
import { findByPlural, storeKey } from '../registry/kinds.js';
import type { WriteAttributes } from '../registry/store.js';
import { forbidden, type AdmissionPlugin } from './chain.js';

type Any = any;

export const TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
export const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
/** kube's default bound token lifetime for pods: an hour and a bit, refreshed by the kubelet well before. */
const TOKEN_EXPIRATION_SECONDS = 3607;

const serviceAccounts = findByPlural('', 'v1', 'serviceaccounts')!;

/** The projected volume kube-apiserver adds (serviceaccount.go's TokenVolumeSource). */
export function apiAccessVolume(name: string): Any {
  return {
    name,
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: TOKEN_EXPIRATION_SECONDS, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    },
  };
}

const containersOf = (spec: Any): Any[] => [...(spec.initContainers ?? []), ...(spec.containers ?? [])];

/** A volume that carries a secret or a config map (what a mirror pod may not have). */
function referencesAPIObjects(v: Any): boolean {
  return !!(v.secret || v.configMap || v.persistentVolumeClaim || v.projected?.sources?.some((s: Any) => s.secret || s.configMap || s.serviceAccountToken));
}

export class ServiceAccountAdmission implements AdmissionPlugin {
  readonly name = 'ServiceAccount';

  constructor(
    private readonly store: Store,
    private readonly sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
  ) {}

  /**
   * The service account, looked up again a few times when it is the default one (the controller creates it just after
   * its namespace: a pod created in a brand-new namespace rides that out, as kube-apiserver's plugin does).
   */
  private async lookup(namespace: string, name: string) {
    const attempts = name === 'default' ? 10 : 1;
    for (let i = 0; ; i++) {
      const kv = await this.store.get(storeKey(serviceAccounts, namespace, name));
      if (kv || i + 1 >= attempts) return kv;
      await this.sleep(100 + Math.floor(Math.random() * 100));
    }
  }

  async admit(a: WriteAttributes): Promise<void> {
    if (a.operation !== 'CREATE' || a.def.kind !== 'Pod' || a.def.group || a.subresource) return;
    const pod = a.object as Pod;
    const spec = pod.spec as Any;
    if (pod.metadata.annotations?.[MIRROR_ANNOTATION] !== undefined) {
      if (spec.serviceAccountName) throw forbidden(a.def, pod, 'a mirror pod may not reference service accounts');
      if ((spec.volumes ?? []).some(referencesAPIObjects)) throw forbidden(a.def, pod, 'a mirror pod may not reference secrets or config maps');
      // Static pods run without API credentials: the defaulted account is dropped.
      delete spec.serviceAccountName;
      delete spec.serviceAccount;
      return;
    }
    const name = spec.serviceAccountName || spec.serviceAccount || 'default';
    spec.serviceAccountName = name;
    spec.serviceAccount = name;
    const namespace = pod.metadata.namespace!;
    const kv = await this.lookup(namespace, name);
    if (!kv) throw forbidden(a.def, pod, `error looking up service account ${namespace}/${name}: serviceaccount "${name}" not found`);
    const sa = JSON.parse(kv.value) as KubeObject & { automountServiceAccountToken?: boolean; imagePullSecrets?: { name: string }[] };
    if (!spec.imagePullSecrets?.length && sa.imagePullSecrets?.length) spec.imagePullSecrets = sa.imagePullSecrets.map((s) => ({ name: s.name }));
    const automount = spec.automountServiceAccountToken ?? sa.automountServiceAccountToken ?? true;
    if (!automount) return;
    if (containersOf(spec).some((c) => (c.volumeMounts ?? []).some((m: Any) => m.mountPath === TOKEN_MOUNT_PATH))) return;
    const volumeName = `kube-api-access-${[...randomBytes(5)].map((b) => 'bcdfghjklmnpqrstvwxz2456789'[b % 27]).join('')}`;
    spec.volumes = [...(spec.volumes ?? []), apiAccessVolume(volumeName)];
    for (const c of containersOf(spec)) c.volumeMounts = [...(c.volumeMounts ?? []), { name: volumeName, readOnly: true, mountPath: TOKEN_MOUNT_PATH }];
  }
}
