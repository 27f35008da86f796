// The cluster's certificates: a self-signed CA, serving certificates with IP SANs, client certificates whose CN/O
// become the user and groups (as kube-apiserver reads them), and kubeconfig files that carry them inline.
import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { stringify as toYaml } from 'yaml';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;

export interface KeyPair {
  certPem: string;
  keyPem: string;
}

async function exportKey(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key as webcrypto.CryptoKey);
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').trimEnd();
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
}

async function importKey(pem: string): Promise<CryptoKey> {
  const b64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return (await webcrypto.subtle.importKey('pkcs8', Buffer.from(b64, 'base64'), alg, true, ['sign'])) as unknown as CryptoKey;
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1');
}

function dn(cn: string, orgs: string[] = []): string {
  const esc = (s: string) => s.replace(/([,+"\\<>;=])/g, '\\$1');
  return [`CN=${esc(cn)}`, ...orgs.map((o) => `O=${esc(o)}`)].join(', ');
}

/** A self-signed certificate for a new key, valid ten years, with the extensions `extensions(publicKey)` gives. */
async function selfSigned(commonName: string, extensions: (publicKey: CryptoKey) => Promise<x509.Extension[]>): Promise<KeyPair> {
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: dn(commonName),
    notBefore: new Date(Date.now() - 3600_000),
    notAfter: new Date(Date.now() + TEN_YEARS_MS),
    keys,
    signingAlgorithm: alg,
    extensions: await extensions(keys.publicKey),
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await exportKey(keys.privateKey) };
}

export async function createCA(commonName = 'kubets-ca'): Promise<KeyPair> {
  return selfSigned(commonName, async (publicKey) => [
    new x509.BasicConstraintsExtension(true, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
    await x509.SubjectKeyIdentifierExtension.create(publicKey),
  ]);
}

/** A self-signed serving certificate (no CA behind it): what a TLS server presents when it has no better one. */
export async function selfSignedServingCert(commonName: string, dnsNames: string[] = []): Promise<KeyPair> {
  return selfSigned(commonName, async () => [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
    ...(dnsNames.length ? [new x509.SubjectAlternativeNameExtension(dnsNames.map((v) => ({ type: 'dns' as const, value: v })), false)] : []),
  ]);
}

export interface CertRequest {
  commonName: string;
  organizations?: string[];
  ips?: string[];
  dnsNames?: string[];
  server?: boolean;
  client?: boolean;
}

export async function issueCert(ca: KeyPair, req: CertRequest): Promise<KeyPair> {
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
  const caCert = new x509.X509Certificate(ca.certPem);
  const usages: string[] = [];
  if (req.server) usages.push(x509.ExtendedKeyUsage.serverAuth);
  if (req.client) usages.push(x509.ExtendedKeyUsage.clientAuth);
  const sans = [...(req.dnsNames ?? []).map((v) => ({ type: 'dns' as const, value: v })), ...(req.ips ?? []).map((v) => ({ type: 'ip' as const, value: v }))];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension(usages, false),
    await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
  ];
  if (sans.length) extensions.push(new x509.SubjectAlternativeNameExtension(sans, false));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: dn(req.commonName, req.organizations),
    issuer: caCert.subject,
    notBefore: new Date(Date.now() - 3600_000),
    notAfter: new Date(Date.now() + TEN_YEARS_MS),
    publicKey: keys.publicKey,
    signingKey: await importKey(ca.keyPem),
    signingAlgorithm: alg,
    extensions,
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await exportKey(keys.privateKey) };
}

// ---- certificate signing requests (certificates.k8s.io) ----

export interface CSRSubject {
  commonName: string;
  organizations: string[];
  ips: string[];
  dnsNames: string[];
}

/** A new key and a PKCS#10 request for it (what a kubelet sends to get its client or serving certificate). */
export async function createCSR(req: { commonName: string; organizations?: string[]; ips?: string[]; dnsNames?: string[] }): Promise<{ csrPem: string; keyPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
  const sans = [...(req.dnsNames ?? []).map((v) => ({ type: 'dns' as const, value: v })), ...(req.ips ?? []).map((v) => ({ type: 'ip' as const, value: v }))];
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: dn(req.commonName, req.organizations),
    keys,
    signingAlgorithm: alg,
    extensions: sans.length ? [new x509.SubjectAlternativeNameExtension(sans, false)] : [],
  });
  return { csrPem: csr.toString('pem') + '\n', keyPem: await exportKey(keys.privateKey) };
}

/** The request's subjectAltName extension (2.5.29.17), if it has one. */
function csrSANs(csr: x509.Pkcs10CertificateRequest): x509.SubjectAlternativeNameExtension | undefined {
  const ext = csr.getExtension('2.5.29.17');
  return ext ? new x509.SubjectAlternativeNameExtension(ext.rawData) : undefined;
}

/** Subject and SANs of a PKCS#10 request; throws when it is not one or its self-signature does not verify. */
export async function parseCSR(pem: string): Promise<CSRSubject> {
  const csr = new x509.Pkcs10CertificateRequest(pem);
  if (!(await csr.verify())) throw new Error('the certificate request signature does not verify');
  const names = csrSANs(csr)?.names.toJSON() ?? [];
  return {
    commonName: csr.subjectName.getField('CN')[0] ?? '',
    organizations: csr.subjectName.getField('O'),
    ips: names.filter((n) => n.type === 'ip').map((n) => n.value),
    dnsNames: names.filter((n) => n.type === 'dns').map((n) => n.value),
  };
}

/** Signs a verified request with the CA for client and/or server use, copying its subject and SANs. */
export async function signCSR(ca: KeyPair, csrPem: string, o: { client?: boolean; server?: boolean; durationSeconds?: number; now?: number }): Promise<string> {
  const csr = new x509.Pkcs10CertificateRequest(csrPem);
  if (!(await csr.verify())) throw new Error('the certificate request signature does not verify');
  const caCert = new x509.X509Certificate(ca.certPem);
  const usages: string[] = [];
  if (o.server) usages.push(x509.ExtendedKeyUsage.serverAuth);
  if (o.client) usages.push(x509.ExtendedKeyUsage.clientAuth);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension(usages, false),
    await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
  ];
  const san = csrSANs(csr);
  if (san) extensions.push(new x509.SubjectAlternativeNameExtension(san.names.toJSON(), false));
  const now = o.now ?? Date.now();
  // The CA never signs past its own expiry (kube's signer caps the duration the same way).
  const notAfter = Math.min(now + (o.durationSeconds ?? 365 * 24 * 3600) * 1000, caCert.notAfter.getTime());
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: csr.subjectName,
    issuer: caCert.subject,
    notBefore: new Date(now - 5 * 60_000),
    notAfter: new Date(notAfter),
    publicKey: csr.publicKey,
    signingKey: await importKey(ca.keyPem),
    signingAlgorithm: alg,
    extensions,
  });
  return cert.toString('pem') + '\n';
}

/** When a certificate stops being valid (for rotation before expiry). */
export function certificateNotAfter(certPem: string): Date {
  return new x509.X509Certificate(certPem).notAfter;
}

/** Loads DIR/NAME.crt + DIR/NAME.key, making them the first time (the key readable by the owner only). */
export async function ensureKeyPair(dir: string, name: string, make: () => Promise<KeyPair>): Promise<KeyPair> {
  const crt = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  if (fs.existsSync(crt) && fs.existsSync(key)) return { certPem: fs.readFileSync(crt, 'utf8'), keyPem: fs.readFileSync(key, 'utf8') };
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const kp = await make();
  fs.writeFileSync(key, kp.keyPem, { mode: 0o600 });
  fs.writeFileSync(crt, kp.certPem);
  return kp;
}

/** Loads DIR/ca.crt + DIR/ca.key, creating them the first time. */
export function ensureCA(dir: string): Promise<KeyPair> {
  return ensureKeyPair(dir, 'ca', () => createCA());
}

export interface KubeconfigSpec {
  server: string;
  caPem: string;
  clusterName?: string;
  userName: string;
  certPem?: string;
  keyPem?: string;
  token?: string;
}

export function kubeconfigYaml(spec: KubeconfigSpec): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const cluster = spec.clusterName ?? 'kubets';
  const user: Record<string, string> = {};
  if (spec.certPem) user['client-certificate-data'] = b64(spec.certPem);
  if (spec.keyPem) user['client-key-data'] = b64(spec.keyPem);
  if (spec.token) user.token = spec.token;
  return toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster, cluster: { server: spec.server, 'certificate-authority-data': b64(spec.caPem) } }],
    users: [{ name: spec.userName, user }],
    contexts: [{ name: `${spec.userName}@${cluster}`, context: { cluster, user: spec.userName } }],
    'current-context': `${spec.userName}@${cluster}`,
    preferences: {},
  });
}

/** Issues a client certificate for (user, groups) and writes a kubeconfig holding it. */
export async function writeClientKubeconfig(file: string, ca: KeyPair, server: string, user: string, groups: string[]): Promise<void> {
  const kp = await issueCert(ca, { commonName: user, organizations: groups, client: true });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, kubeconfigYaml({ server, caPem: ca.certPem, userName: user, certPem: kp.certPem, keyPem: kp.keyPem }), { mode: 0o600 });
}
