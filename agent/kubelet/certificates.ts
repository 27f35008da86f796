// The kubelet's certificate manager (pkg/kubelet/certificate): its client certificate is renewed through a CSR
// (signer kube-apiserver-client-kubelet, approved as selfnodeclient) when 70–90 % of its lifetime has passed; its
// :10250 serving certificate is issued by the cluster CA through the kubelet-serving signer for the node's name and
// address, and renewed the same way. Both are written to disk before use, so a restart picks up the newest.
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import type { ApiClient } from '../../api/client.js';
import { logger } from '../../api/log.js';
import { SIGNERS } from '../../api/types.js';
import { requestCertificate } from '../bootstrap.js';

const log = logger('kubelet.certificates');

/** When to renew: a random point between 70 % and 90 % of the validity (kubelet's jittered deadline). */
export function renewalDeadline(notBefore: number, notAfter: number, random = Math.random()): number {
  return notBefore + (notAfter - notBefore) * (0.7 + 0.2 * random);
}

function validity(certPem: string): { notBefore: number; notAfter: number } {
  const c = new X509Certificate(certPem);
  return { notBefore: Date.parse(c.validFrom), notAfter: Date.parse(c.validTo) };
}

/** Writes a file through a temporary sibling and a rename, so a crash never leaves half a certificate. */
function writeAtomic(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  fs.writeFileSync(tmp, text, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

export interface Rotation {
  close(): void;
}

/** Renews on a timer: `renew` gets a new pair, `store` saves and applies it; failures retry after a minute. */
function rotate(name: string, currentCert: () => string, renew: () => Promise<{ certPem: string; keyPem: string }>, store: (kp: { certPem: string; keyPem: string }) => void, clock = Date.now): Rotation {
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const schedule = (at: number) => {
    if (closed) return;
    // setTimeout overflows past 2^31 ms: wake up at least daily and look again.
    timer = setTimeout(tick, Math.min(Math.max(0, at - clock()), 86_400_000));
    timer.unref();
  };
  const plan = () => {
    const { notBefore, notAfter } = validity(currentCert());
    return renewalDeadline(notBefore, notAfter);
  };
  const tick = async () => {
    const due = plan();
    if (clock() < due) return schedule(due);
    try {
      const kp = await renew();
      if (closed) return;
      store(kp);
      log.info({ certificate: name, notAfter: new X509Certificate(kp.certPem).validTo }, 'certificate rotated');
      schedule(plan());
    } catch (e) {
      log.warn({ certificate: name, err: (e as Error).message }, 'certificate renewal failed; retrying in a minute');
      schedule(clock() + 60_000);
    }
  };
  schedule(plan());
  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
    },
  };
}

/** Keeps the node's client certificate (in its kubeconfig) fresh, switching `client` to each new one. */
export function startClientCertificateRotation(client: ApiClient, kubeconfigPath: string, nodeName: string): Rotation {
  const read = () => parseYaml(fs.readFileSync(kubeconfigPath, 'utf8')) as { users: { user: Record<string, string> }[] };
  const currentCert = () => Buffer.from(read().users[0].user['client-certificate-data'], 'base64').toString('utf8');
  return rotate(
    'client',
    currentCert,
    () => requestCertificate(client, { commonName: `system:node:${nodeName}`, organizations: ['system:nodes'], signerName: SIGNERS.kubeletClient, usages: ['digital signature', 'client auth'], namePrefix: 'node-csr-' }),
    ({ certPem, keyPem }) => {
      const doc = read();
      doc.users[0].user['client-certificate-data'] = Buffer.from(certPem).toString('base64');
      doc.users[0].user['client-key-data'] = Buffer.from(keyPem).toString('base64');
      writeAtomic(kubeconfigPath, toYaml(doc));
      client.setClientCertificate(certPem, keyPem);
    },
  );
}

export interface ServingCertificateOptions {
  client: ApiClient;
  nodeName: string;
  nodeIP: string;
  /** DIR/pki/kubelet-server.{crt,key} */
  dataDir: string;
  /** The cluster CA: a kept certificate must chain to it. */
  caPem: string;
  signal?: AbortSignal;
}

const servingFiles = (dataDir: string) => ({ crt: path.join(dataDir, 'pki', 'kubelet-server.crt'), key: path.join(dataDir, 'pki', 'kubelet-server.key') });

/** The names a serving certificate must carry for this node. */
function servesNode(certPem: string, nodeName: string, nodeIP: string, caPem: string): boolean {
  const c = new X509Certificate(certPem);
  const sans = c.subjectAltName ?? '';
  return c.verify(new X509Certificate(caPem).publicKey) && sans.includes(`IP Address:${nodeIP}`) && sans.includes(`DNS:${nodeName}`) && Date.parse(c.validTo) > Date.now();
}

const servingRequest = (nodeName: string, nodeIP: string) => ({
  commonName: `system:node:${nodeName}`,
  organizations: ['system:nodes'],
  ips: [nodeIP],
  dnsNames: [nodeName],
  signerName: SIGNERS.kubeletServing,
  usages: ['digital signature', 'key encipherment', 'server auth'],
  namePrefix: 'csr-',
});

/** The node's serving certificate from the cluster CA: the kept one if it still serves this node, else a new one. */
export async function requestServingCertificate(o: ServingCertificateOptions): Promise<{ certPem: string; keyPem: string }> {
  const f = servingFiles(o.dataDir);
  if (fs.existsSync(f.crt) && fs.existsSync(f.key)) {
    const certPem = fs.readFileSync(f.crt, 'utf8');
    if (servesNode(certPem, o.nodeName, o.nodeIP, o.caPem)) return { certPem, keyPem: fs.readFileSync(f.key, 'utf8') };
  }
  const kp = await requestCertificate(o.client, servingRequest(o.nodeName, o.nodeIP), { signal: o.signal });
  fs.mkdirSync(path.dirname(f.crt), { recursive: true, mode: 0o700 });
  writeAtomic(f.key, kp.keyPem);
  writeAtomic(f.crt, kp.certPem);
  return kp;
}

/** Renews the serving certificate before it expires and hands each new one to `apply` (the server's TLS context). */
export function startServingCertificateRotation(o: ServingCertificateOptions, apply: (kp: { certPem: string; keyPem: string }) => void): Rotation {
  const f = servingFiles(o.dataDir);
  return rotate(
    'serving',
    () => fs.readFileSync(f.crt, 'utf8'),
    () => requestCertificate(o.client, servingRequest(o.nodeName, o.nodeIP)),
    (kp) => {
      writeAtomic(f.key, kp.keyPem);
      writeAtomic(f.crt, kp.certPem);
      apply(kp);
    },
  );
}
