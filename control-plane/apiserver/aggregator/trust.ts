// What aggregated servers trust (kube: pkg/controlplane/controller/clusterauthenticationtrust): the
// `extension-apiserver-authentication` ConfigMap in kube-system — the client CA, and the front proxy's CA, allowed
// names and header names, which an aggregated server reads to accept the X-Remote-* headers this server sends.
// Also the front-proxy PKI itself (kubeadm's front-proxy-ca and front-proxy-client) and the Local APIServices.
import { isAlreadyExists, isNotFound } from '../../../api/errors.js';
import { createCA, ensureKeyPair, issueCert, type KeyPair } from '../../../api/pki.js';
import type { KubeObject } from '../../../api/types.js';
import { findByPlural, type ResourceDef } from '../registry/kinds.js';
import type { GenericStore } from '../registry/store.js';
import { localAPIServices } from './autoregister.js';

export const AUTHENTICATION_CONFIGMAP = 'extension-apiserver-authentication';
export const FRONT_PROXY_CLIENT_CN = 'front-proxy-client';

export interface FrontProxyPKI {
  ca: KeyPair;
  client: KeyPair;
}

/** front-proxy-ca.{crt,key} and front-proxy-client.{crt,key} in the pki dir, made once. */
export async function ensureFrontProxyPKI(pki: string): Promise<FrontProxyPKI> {
  const ca = await ensureKeyPair(pki, 'front-proxy-ca', () => createCA('front-proxy-ca'));
  const client = await ensureKeyPair(pki, 'front-proxy-client', () => issueCert(ca, { commonName: FRONT_PROXY_CLIENT_CN, client: true }));
  return { ca, client };
}

/** The ConfigMap's data, as kube-apiserver writes it (header names as JSON lists). */
export function authenticationConfigData(clientCA: string, frontProxyCA: string): Record<string, string> {
  return {
    'client-ca-file': clientCA,
    'requestheader-client-ca-file': frontProxyCA,
    'requestheader-allowed-names': JSON.stringify([FRONT_PROXY_CLIENT_CN]),
    'requestheader-username-headers': JSON.stringify(['X-Remote-User']),
    'requestheader-group-headers': JSON.stringify(['X-Remote-Group']),
    'requestheader-extra-headers-prefix': JSON.stringify(['X-Remote-Extra-']),
  };
}

async function upsert(store: GenericStore, def: ResourceDef, namespace: string | undefined, obj: KubeObject, same: (live: KubeObject) => boolean): Promise<void> {
  const live = await store.get(def, namespace, obj.metadata.name!).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
  if (live && same(live)) return;
  if (!live)
    try {
      await store.create(def, namespace, obj);
      return;
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
  await store.update(def, namespace, obj.metadata.name!, (cur) => ({ ...cur, ...obj, metadata: { ...cur.metadata, labels: obj.metadata.labels ?? cur.metadata.labels } }));
}

export async function publishAuthenticationConfig(store: GenericStore, clientCA: string, frontProxyCA: string): Promise<void> {
  const data = authenticationConfigData(clientCA, frontProxyCA);
  await upsert(store, findByPlural('', 'v1', 'configmaps')!, 'kube-system', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: AUTHENTICATION_CONFIGMAP, namespace: 'kube-system' }, data } as KubeObject, (live) => JSON.stringify((live as { data?: unknown }).data) === JSON.stringify(data));
}

/** A Local APIService for each built-in group-version, created or brought back to its spec. */
export async function registerLocalAPIServices(store: GenericStore, kinds: readonly ResourceDef[]): Promise<void> {
  const def = findByPlural('apiregistration.k8s.io', 'v1', 'apiservices')!;
  for (const api of localAPIServices(kinds)) await upsert(store, def, undefined, api, (live) => JSON.stringify((live as { spec?: unknown }).spec) === JSON.stringify(api.spec));
}
