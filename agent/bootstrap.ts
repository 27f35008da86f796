// Joining a cluster with a bootstrap token, as kubeadm join and the kubelet's TLS bootstrap do it:
//   1. discovery — read kube-public/cluster-info without trusting the server yet, check its detached JWS with the
//      token (so the token holder vouches for it) and the CA's public-key hash against --discovery-token-ca-cert-hash
//      (so it is the CA the user meant);
//   2. TLS bootstrap — with the token as credentials, post a CertificateSigningRequest for the node's client
//      certificate (signer kubernetes.io/kube-apiserver-client-kubelet) and wait until it is signed;
//   3. write the node's kubeconfig with that certificate. No CA key ever leaves the control plane.
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { caCertHash, JWS_KEY_PREFIX, parseToken, verifyDetached } from '../api/bootstraptoken.js';
import { ApiClient } from '../api/client.js';
import { StatusError } from '../api/errors.js';
import { logger } from '../api/log.js';
import { createCSR, kubeconfigYaml } from '../api/pki.js';
import { Resources } from '../api/resources.js';
import { SIGNERS, type CertificateSigningRequest, type KubeObject } from '../api/types.js';

const log = logger('agent.bootstrap');

/** A join failure the user can act on; the message names the problem and the fix. */
export class JoinError extends Error {
  override name = 'JoinError';
}

export interface JoinConfig {
  /** https://IP:6443 */
  server: string;
  token: string;
  /** "sha256:<hex>" pins; at least one must match the cluster CA. */
  caCertHashes: string[];
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

const describe = (e: unknown) => (e instanceof StatusError ? `${e.code} ${e.reason}: ${e.message}` : ((e as NodeJS.ErrnoException).code ?? (e as Error).message));

/** Reads and verifies cluster-info; returns the cluster CA (PEM). Retries while the signature is not there yet. */
export async function discoverClusterCA(cfg: JoinConfig, o: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<string> {
  const token = parseToken(cfg.token);
  if (!token) throw new JoinError(`the token "${cfg.token}" is not a bootstrap token: it must look like abcdef.0123456789abcdef ([a-z0-9]{6}.[a-z0-9]{16}); create one with "kubets token create" on the control-plane node`);
  if (!cfg.caCertHashes.length) throw new JoinError('no --discovery-token-ca-cert-hash given: pass the sha256:… value that "kubets token create --print-join-command" prints');
  for (const h of cfg.caCertHashes) if (!/^sha256:[0-9a-f]{64}$/.test(h)) throw new JoinError(`--discovery-token-ca-cert-hash "${h}" is not of the form sha256:<64 hex digits>`);
  const insecure = new ApiClient({ server: cfg.server, ca: '', insecureSkipTLSVerify: true, userAgent: 'kubets-join' });
  const deadline = Date.now() + (o.timeoutMs ?? 60_000);
  let last = '';
  try {
    while (Date.now() < deadline && !o.signal?.aborted) {
      let cm: KubeObject & { data?: Record<string, string> };
      try {
        cm = await insecure.get(Resources.configmaps, 'kube-public', 'cluster-info');
      } catch (e) {
        last = `could not read cluster-info from ${cfg.server}: ${describe(e)}`;
        if (!(e instanceof StatusError)) throw new JoinError(`${last} — is the control plane running and reachable from this host?`);
        await sleep(1000, o.signal);
        continue;
      }
      const kubeconfig = cm.data?.kubeconfig;
      const jws = cm.data?.[`${JWS_KEY_PREFIX}${token.id}`];
      if (!kubeconfig || !jws) {
        // The bootstrap signer may not have signed a brand-new token yet.
        last = `there is no JWS signed token in the cluster-info ConfigMap: the token id "${token.id}" is invalid for this cluster or has expired; create a new one with "kubets token create" on the control-plane node`;
        await sleep(1000, o.signal);
        continue;
      }
      if (!verifyDetached(jws, kubeconfig, token)) throw new JoinError(`the cluster-info signature for token id "${token.id}" does not verify: the token secret is wrong`);
      const doc = parseYaml(kubeconfig) as { clusters?: { cluster?: { 'certificate-authority-data'?: string } }[] };
      const caData = doc.clusters?.[0]?.cluster?.['certificate-authority-data'];
      if (!caData) throw new JoinError('cluster-info holds no certificate authority');
      const caPem = Buffer.from(caData, 'base64').toString('utf8');
      const actual = caCertHash(caPem);
      if (!cfg.caCertHashes.includes(actual)) throw new JoinError(`the cluster CA's public key hash is ${actual}, which is not the --discovery-token-ca-cert-hash given (${cfg.caCertHashes.join(', ')}): check the join command, or this is not the cluster you meant`);
      return caPem;
    }
  } finally {
    insecure.close();
  }
  throw new JoinError(last || 'gave up waiting for cluster-info');
}

/** Posts a CSR for the node's client certificate with the token and waits for the signed certificate. */
export async function requestClientCertificate(cfg: JoinConfig, caPem: string, nodeName: string, o: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<{ certPem: string; keyPem: string }> {
  const client = new ApiClient({ server: cfg.server, ca: caPem, token: cfg.token, userAgent: `kubets-join/${nodeName}` });
  try {
    return await requestCertificate(client, { commonName: `system:node:${nodeName}`, organizations: ['system:nodes'], signerName: SIGNERS.kubeletClient, usages: ['digital signature', 'client auth'], namePrefix: 'node-csr-' }, o);
  } catch (e) {
    if (e instanceof StatusError && e.code === 401) throw new JoinError(`the API server refused the bootstrap token: it is unknown or has expired; create a new one with "kubets token create" on the control-plane node`);
    throw e;
  } finally {
    client.close();
  }
}

export interface CertificateRequestSpec {
  commonName: string;
  organizations: string[];
  ips?: string[];
  dnsNames?: string[];
  signerName: string;
  usages: string[];
  /** generateName of the CSR object. */
  namePrefix: string;
  expirationSeconds?: number;
}

/** Creates a key and a CSR object with `client`'s credentials and waits until it is signed (or denied/failed). */
export async function requestCertificate(client: ApiClient, spec: CertificateRequestSpec, o: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<{ certPem: string; keyPem: string }> {
  const { csrPem, keyPem } = await createCSR(spec);
  const created = await client.create<CertificateSigningRequest>(Resources.certificatesigningrequests, undefined, {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { generateName: spec.namePrefix },
    spec: { request: Buffer.from(csrPem).toString('base64'), signerName: spec.signerName, usages: spec.usages, ...(spec.expirationSeconds ? { expirationSeconds: spec.expirationSeconds } : {}) },
  });
  const name = created.metadata.name!;
  log.info({ csr: name, signer: spec.signerName }, 'certificate signing request posted');
  const deadline = Date.now() + (o.timeoutMs ?? 5 * 60_000);
  while (Date.now() < deadline && !o.signal?.aborted) {
    const csr = await client.get<CertificateSigningRequest>(Resources.certificatesigningrequests, undefined, name);
    const bad = csr.status?.conditions?.find((c) => (c.type === 'Denied' || c.type === 'Failed') && c.status === 'True');
    if (bad) throw new JoinError(`certificate signing request ${name} was ${bad.type.toLowerCase()}: ${bad.message ?? bad.reason ?? ''}`);
    if (csr.status?.certificate) return { certPem: Buffer.from(csr.status.certificate, 'base64').toString('utf8'), keyPem };
    await sleep(500, o.signal);
  }
  throw new JoinError(`certificate signing request ${name} was not signed in time: check "kubectl get csr" on the control plane (approve it with "kubectl certificate approve ${name}")`);
}

/**
 * Makes sure `kubeconfigPath` holds the node's credentials: kept when present, else obtained by joining with the
 * token. Returns whether it joined.
 */
export async function ensureNodeKubeconfig(kubeconfigPath: string, nodeName: string, join: JoinConfig | undefined, o: { signal?: AbortSignal } = {}): Promise<boolean> {
  if (fs.existsSync(kubeconfigPath)) return false;
  if (!join) throw new JoinError(`no kubeconfig at ${kubeconfigPath} and no bootstrap token to join with: pass --token and --discovery-token-ca-cert-hash (see "kubets token create --print-join-command")`);
  const caPem = await discoverClusterCA(join, o);
  log.info({ server: join.server }, 'cluster CA verified');
  const { certPem, keyPem } = await requestClientCertificate(join, caPem, nodeName, o);
  fs.mkdirSync(path.dirname(kubeconfigPath), { recursive: true, mode: 0o700 });
  fs.writeFileSync(kubeconfigPath, kubeconfigYaml({ server: join.server, caPem, userName: `system:node:${nodeName}`, certPem, keyPem }), { mode: 0o600 });
  log.info({ node: nodeName, kubeconfig: kubeconfigPath }, 'joined the cluster');
  return true;
}

/**
 * The embedded kube-proxy's own credentials (k3s gives its agents a system:kube-proxy certificate the same way): a
 * client certificate for system:kube-proxy through a CSR of the kube-apiserver-client signer, which the control plane
 * approves for nodes. Kept in `file` and reused while valid.
 */
export async function ensureProxyKubeconfig(client: ApiClient, file: string, o: { signal?: AbortSignal } = {}): Promise<string> {
  if (fs.existsSync(file)) return file;
  const { certPem, keyPem } = await requestCertificate(client, { commonName: 'system:kube-proxy', organizations: [], signerName: SIGNERS.apiserverClient, usages: ['digital signature', 'client auth'], namePrefix: 'kube-proxy-csr-' }, o);
  fs.writeFileSync(file, kubeconfigYaml({ server: client.config.server, caPem: String(client.config.ca), userName: 'system:kube-proxy', certPem, keyPem }), { mode: 0o600 });
  return file;
}
