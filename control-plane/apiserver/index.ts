// kube-apiserver's entry point: certificates, the store (optionally encrypted), the caches the server decides with
// (RBAC policy, the node graph), authentication, admission in kube-apiserver's order, bootstrap objects, then serving.
// `kubets apiserver` runs this alone (a static pod on a kubeadm-shaped master); `kubets server` adds the controller
// manager and scheduler in the same process.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isNotFound } from '../../api/errors.js';
import { logger } from '../../api/log.js';
import { nthAddress } from '../../api/net.js';
import { ensureCA, ensureKeyPair, issueCert, kubeconfigYaml, type KeyPair } from '../../api/pki.js';
import type { ClusterRole, KubeObject, PersistentVolumeClaim, Pod, Role, RoleBinding } from '../../api/types.js';
import type { ServerConfig } from '../config.js';
import { admissionChain } from './admission/chain.js';
import { PriorityAdmission } from './admission/priority.js';
import { DefaultIngressClass } from './admission/defaultingressclass.js';
import { DefaultStorageClass } from './admission/defaultstorageclass.js';
import { LimitRanger } from './admission/limitranger.js';
import { NamespaceLifecycle } from './admission/namespacelifecycle.js';
import { ResourceQuota } from './admission/resourcequota.js';
import { namespaceLister, objectGetter } from './admission/lister.js';
import { ServiceAllocation } from './admission/serviceallocation.js';
import { NodeRestriction } from './admission/noderestriction.js';
import { RBACEscalation } from './admission/rbacescalation.js';
import { ServiceAccountAdmission } from './admission/serviceaccount.js';
import { anonymousPath, Authenticator } from './authentication/index.js';
import { DEFAULT_ISSUER, loadOrCreateSigningKey, ServiceAccountTokens } from './authentication/serviceaccount.js';
import { parseTokenFile } from './authentication/tokens.js';
import { ClusterAuthorizer } from './authorization/index.js';
import { NodeGraph } from './authorization/node/graph.js';
import { PolicyIndex } from './authorization/rbac/index.js';
import { bootstrapClusterRoleBindings, bootstrapClusterRoles, bootstrapRoleBindings, bootstrapRoles, joinPolicy } from './authorization/rbac/policy.js';
import { bootstrap, publishClusterInfo, publishPodNetwork, reconcilePolicy } from './bootstrap.js';
import { CustomResourceDefinitionController } from './apiextensions/controller.js';
import { Aggregator } from './aggregator/controller.js';
import { ensureFrontProxyPKI, publishAuthenticationConfig, registerLocalAPIServices } from './aggregator/trust.js';
import { ObjectCache } from './registry/cache.js';
import { findByPlural, kinds as builtinKinds, storePrefix } from './registry/kinds.js';
import { ServedKinds } from './registry/served.js';
import { GenericStore } from './registry/store.js';
import { Cacher } from './registry/watchcache.js';
import { ApiServerMetrics, storageResource } from './metrics.js';
import { createApiServer } from './server.js';
import { EncryptingStore, loadEncryptionConfig } from '../storage/encryption.js';
import { InstrumentedStore } from '../storage/instrumented.js';
import { openStore } from '../storage/index.js';

import { Closers, step } from '../../api/startup.js';

const log = logger('apiserver');

export interface RunningApiServer {
  /** The URL clients use (the advertise address). */
  url: string;
  /** A system:masters kubeconfig, written in the data dir. */
  adminKubeconfig: string;
  /** The cluster CA (pki/ca.crt and ca.key in the data dir). */
  ca: KeyPair;
  close(): Promise<void>;
}

/** The serving certificate, re-issued when the wanted SANs change (e.g. a new advertise address). */
async function servingCert(pki: string, ca: KeyPair, ips: string[], dnsNames: string[]): Promise<KeyPair> {
  const crt = path.join(pki, 'apiserver.crt');
  const key = path.join(pki, 'apiserver.key');
  const sansFile = path.join(pki, 'apiserver.sans');
  const sans = JSON.stringify({ ips, dnsNames });
  if (fs.existsSync(crt) && fs.existsSync(key) && fs.existsSync(sansFile) && fs.readFileSync(sansFile, 'utf8') === sans)
    return { certPem: fs.readFileSync(crt, 'utf8'), keyPem: fs.readFileSync(key, 'utf8') };
  const kp = await issueCert(ca, { commonName: 'kube-apiserver', ips, dnsNames, server: true });
  fs.writeFileSync(key, kp.keyPem, { mode: 0o600 });
  fs.writeFileSync(crt, kp.certPem);
  fs.writeFileSync(sansFile, sans);
  return kp;
}

/** The kubelet client certificate, issued once and kept in the pki dir. */
function kubeletClientCert(pki: string, ca: KeyPair): Promise<KeyPair> {
  return ensureKeyPair(pki, 'apiserver-kubelet-client', () => issueCert(ca, { commonName: 'kube-apiserver-kubelet-client', organizations: ['system:masters'], client: true }));
}

export async function startApiServer(config: ServerConfig): Promise<RunningApiServer> {
  const closers = new Closers();
  try {
    const pki = path.join(config.dataDir, 'pki');
    // Keys, the database and the admin kubeconfig live here: readable by the owner only.
    fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    fs.chmodSync(config.dataDir, 0o700);
    fs.mkdirSync(pki, { recursive: true, mode: 0o700 });
    const ca = await step('certificate authority', () => ensureCA(pki));
    // The service CIDR's first address is the `kubernetes` Service's ClusterIP (10.96.0.1).
    const serviceIP = nthAddress(config.serviceCIDR, 1);
    const ips = [...new Set([config.advertiseAddress, '127.0.0.1', serviceIP, ...config.extraSANs.filter((s) => /^[\d.]+$/.test(s))])];
    const dnsNames = [...new Set(['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', os.hostname(), ...config.extraSANs.filter((s) => !/^[\d.]+$/.test(s))])];
    const serving = await step('serving certificate', () => servingCert(pki, ca, ips, dnsNames));
    // The API server's identity towards kubelets (pods/log, pods/exec), as kube-apiserver's --kubelet-client-certificate.
    const kubeletClient = await step('kubelet client certificate', () => kubeletClientCert(pki, ca));
    // The aggregator's identity towards aggregated servers, from a CA of its own (--proxy-client-cert-file).
    const frontProxy = await step('front-proxy certificates', () => ensureFrontProxyPKI(pki));

    const saKey = await step('service-account key', async () => loadOrCreateSigningKey(pki));
    const serviceAccounts = new ServiceAccountTokens(saKey, config.serviceAccountIssuer ?? DEFAULT_ISSUER);
    const staticTokens = config.tokenAuthFile ? await step('token file', async () => parseTokenFile(fs.readFileSync(config.tokenAuthFile!, 'utf8'))) : undefined;

    const metrics = new ApiServerMetrics();
    const plain = new InstrumentedStore(await step('datastore', () => openStore(config)), (operation, key, seconds) => metrics.storageDuration.observe({ operation, type: storageResource(key) }, seconds));
    closers.push(() => plain.close());
    const store = config.encryptionProviderConfig ? await step('encryption at rest', async () => new EncryptingStore(plain, loadEncryptionConfig(config.encryptionProviderConfig!))) : plain;

    // What the server decides with, from its own caches of the store: RBAC policy, and which pods each node runs.
    let authorizer!: ClusterAuthorizer;
    let policy!: PolicyIndex;
    // Admission plugins in kube-apiserver's order. Mutating, before validation: the namespace must exist, the pod's
    // service account and token volume, limits fill pod defaults, services get their addresses, an Ingress without a
    // class gets the default one, and so does a claim without a storage class. Validating, after: what a node may write, RBAC escalation, limits are checked, quota
    // charges the object.
    // LimitRanger, Priority and ResourceQuota list through the watch cache, made below (it reads through the store they admit for).
    let cacher: Cacher | undefined;
    const lister = namespaceLister(store, () => cacher);
    const admission = admissionChain([
      new NamespaceLifecycle(objectGetter(store, () => cacher)),
      new ServiceAccountAdmission(store),
      new LimitRanger(lister),
      new ServiceAllocation(store, config.serviceCIDR, config.nodePortRange),
      new DefaultIngressClass(store),
      new PriorityAdmission(lister),
      new DefaultStorageClass(store),
      new NodeRestriction(store),
      new RBACEscalation(() => authorizer, () => policy),
      new ResourceQuota(store, lister),
    ]);
    const registry = new GenericStore(store, admission);
    // Lists, watches and gets at resourceVersion 0 from memory (--watch-cache, on by default as in kube-apiserver).
    cacher = config.watchCache ? new Cacher(store, registry) : undefined;
    if (cacher) closers.push(() => cacher.close());
    // Every built-in kind's cache loads now, as kube-apiserver's do; until one has, its reads go to the store.
    cacher?.prime(builtinKinds);
    const caches = await step('caches', async () => {
      // Fed by the watch cache: the objects it decoded once (shared, frozen), not a second decode of every event.
      const cache = <T extends KubeObject>(plural: string, group = '') => new ObjectCache<T>(cacher ?? registry, findByPlural(group, 'v1', plural)!);
      const rbac = 'rbac.authorization.k8s.io';
      const c = { clusterRoles: cache<ClusterRole>('clusterroles', rbac), roles: cache<Role>('roles', rbac), clusterBindings: cache<RoleBinding>('clusterrolebindings', rbac), bindings: cache<RoleBinding>('rolebindings', rbac), pods: cache<Pod>('pods'), claims: cache<PersistentVolumeClaim>('persistentvolumeclaims') };
      policy = new PolicyIndex(c.clusterRoles, c.roles, c.clusterBindings, c.bindings);
      const graph = new NodeGraph();
      c.pods.addHandlers({ onUpsert: (p) => graph.upsertPod(p), onDelete: (p) => graph.deletePod(p) });
      // A node may read the volumes bound to its pods' claims.
      c.claims.addHandlers({ onUpsert: (pvc) => graph.setClaimVolume(pvc.metadata.namespace!, pvc.metadata.name!, pvc.spec?.volumeName || undefined), onDelete: (pvc) => graph.setClaimVolume(pvc.metadata.namespace!, pvc.metadata.name!, undefined) });
      authorizer = new ClusterAuthorizer(policy, graph);
      for (const x of Object.values(c)) x.start();
      return Object.values(c);
    });
    closers.push(() => caches.forEach((c) => c.close()));
    // The kinds served: the built-in ones, and each established CustomResourceDefinition's.
    const kinds = new ServedKinds();
    const crds = await step('custom resource definitions', async () => new CustomResourceDefinitionController(registry, kinds).start());
    closers.push(() => crds.close());

    const lookup = (plural: string) => (namespace: string | undefined, name: string) => registry.get(findByPlural('', 'v1', plural)!, namespace, name).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
    const authenticator = new Authenticator({
      staticTokens,
      serviceAccounts,
      lookups: { secret: lookup('secrets'), serviceAccount: lookup('serviceaccounts'), pod: lookup('pods') },
      anonymousAllowed: anonymousPath,
    });

    const url = `https://${config.advertiseAddress}:${config.port}`;
    await step('bootstrap objects', async () => {
      await bootstrap(registry, { serviceIP, advertiseAddress: config.advertiseAddress, port: config.port });
      const join = joinPolicy();
      await reconcilePolicy(registry, { clusterRoles: bootstrapClusterRoles(), clusterRoleBindings: [...bootstrapClusterRoleBindings(), ...join.clusterRoleBindings], roles: [...bootstrapRoles(), ...join.roles], roleBindings: [...bootstrapRoleBindings(), ...join.roleBindings] });
      await publishClusterInfo(registry, url, ca.certPem);
      await publishPodNetwork(registry, config.clusterCIDR, config.podNetwork);
      await publishAuthenticationConfig(registry, ca.certPem, frontProxy.ca.certPem);
      await registerLocalAPIServices(registry, kinds.list());
    });
    const aggregator = await step('aggregator', async () => new Aggregator(registry, frontProxy.client).start());
    closers.push(() => aggregator.close());
    await step('caches synced', () => Promise.all([...caches.map((c) => c.synced), crds.synced, aggregator.synced]));
    // apiserver_storage_objects: each stored resource's objects, counted by the store when scraped.
    metrics.countStoredObjects(async () => {
      const counts = new Map<string, number>();
      for (const def of kinds.list()) {
        if (def.review || def.storage) continue;
        const prefix = storePrefix(def);
        const resource = storageResource(prefix);
        if (counts.has(resource)) continue;
        counts.set(resource, await plain.list(prefix, { limit: 1 }).then((r) => r.items.length + (r.remaining ?? 0), () => -1));
      }
      return counts;
    });

    const server = createApiServer({
      cert: serving.certPem,
      key: serving.keyPem,
      ca: ca.certPem,
      store: registry,
      reads: cacher,
      authenticator,
      authorizer,
      advertiseAddress: config.advertiseAddress,
      port: config.port,
      serviceAccounts,
      inFlight: { readOnly: config.maxRequestsInflight, mutating: config.maxMutatingRequestsInflight },
      services: { authenticator, authorizer, rbac: policy, serviceAccounts },
      checks: {
        live: { etcd: async () => void (await store.currentRevision()) },
        ready: {
          'informer-sync': async () => {
            if (!caches.every((c) => c.hasSynced()) || !crds.hasSynced()) throw new Error('caches not synced');
          },
          'poststarthook/rbac/bootstrap-roles': async () => {},
        },
      },
      kubeletClient: { ...kubeletClient, caPem: ca.certPem },
      kinds,
      aggregator,
      metrics,
    });
    await step(`listen on ${config.bindAddress}:${config.port}`, () => new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.bindAddress, () => resolve());
    }));
    closers.push(() => new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    }));
    log.info({ url }, 'API server listening');

    const adminKubeconfig = path.join(config.dataDir, 'admin.kubeconfig');
    const admin = await issueCert(ca, { commonName: 'kubernetes-admin', organizations: ['system:masters'], client: true });
    fs.writeFileSync(adminKubeconfig, kubeconfigYaml({ server: url, caPem: ca.certPem, userName: 'kubernetes-admin', certPem: admin.certPem, keyPem: admin.keyPem }), { mode: 0o600 });

    return { url, adminKubeconfig, ca, close: () => closers.close() };
  } catch (e) {
    await closers.close();
    throw e;
  }
}
