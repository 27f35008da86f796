// Joining nodes as kubeadm and the kubelet's TLS bootstrap do it, end to end against a real server: `kubets token
// create --print-join-command`; discovery of the cluster CA through the JWS-signed cluster-info (refused with a wrong
// CA hash or an unknown token, in words that say what to do); the node's client certificate through an auto-approved
// CSR that `kubectl get csr` shows Approved,Issued; CSRs nobody auto-approves waiting for `kubectl certificate
// approve|deny`; expired tokens refused; `kubets token list|delete`.
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { parse as parseYaml } from 'yaml';
import { discoverClusterCA, ensureNodeKubeconfig, JoinError, requestClientCertificate } from '../agent/bootstrap.js';
import { ApiClient } from '../api/client.js';
import { formatToken, generateToken, tokenSecret } from '../api/bootstraptoken.js';
import { certificateNotAfter, createCSR } from '../api/pki.js';
import { Resources } from '../api/resources.js';
import { SIGNERS, type CertificateSigningRequest, type KubeObject } from '../api/types.js';
import { caPem, clientFor, kubectlWith, type Kubectl } from './identities.js';
import { cliPath, startServer, type TestServer } from './server-fixture.js';
import { until } from './until.js';

let srv: TestServer;
let admin: Kubectl;
t.before(async () => {
  srv = await startServer();
  admin = kubectlWith(srv);
});
t.teardown(() => srv?.destroy());

/** `kubets token …` with the admin kubeconfig. */
async function kubetsToken(args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const r = await execa(process.execPath, [cliPath, 'token', ...args, '--kubeconfig', srv.kubeconfig], { reject: false });
  return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1 };
}

let join: { server: string; token: string; caCertHashes: string[] };

t.test('kubets token create --print-join-command prints the whole join command', async (t) => {
  const r = await kubetsToken(['create', '--print-join-command', '--description', 'for n1']);
  t.equal(r.exitCode, 0, r.stderr);
  const m = /^kubets join (https:\/\/127\.0\.0\.1:(\d+)) --token ([a-z0-9]{6}\.[a-z0-9]{16}) --discovery-token-ca-cert-hash (sha256:[0-9a-f]{64})$/.exec(r.stdout);
  t.ok(m, r.stdout);
  t.equal(Number(m![2]), srv.port);
  join = { server: m![1], token: m![3], caCertHashes: [m![4]] };
  const secret = await srv.client.get<KubeObject & { type: string; data: Record<string, string> }>(Resources.secrets, 'kube-system', `bootstrap-token-${join.token.slice(0, 6)}`);
  t.equal(secret.type, 'bootstrap.kubernetes.io/token');
  t.equal(Buffer.from(secret.data.description, 'base64').toString(), 'for n1');
  t.equal(Buffer.from(secret.data['token-secret'], 'base64').toString(), join.token.slice(7));
});

t.test('discovery with the token and the CA hash returns the cluster CA', async (t) => {
  t.equal(await discoverClusterCA(join, { timeoutMs: 30_000 }), caPem(srv), 'once the bootstrap signer has signed cluster-info for the token');
  const info = await srv.client.get<KubeObject & { data: Record<string, string> }>(Resources.configmaps, 'kube-public', 'cluster-info');
  t.match(info.data[`jws-kubeconfig-${join.token.slice(0, 6)}`], /^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]+$/, 'a detached JWS per token');
});

t.test('discovery refuses a wrong CA hash, naming both hashes', async (t) => {
  const wrong = `sha256:${'0'.repeat(64)}`;
  const e = await discoverClusterCA({ ...join, caCertHashes: [wrong] }, { timeoutMs: 10_000 }).catch((x: unknown) => x);
  t.ok(e instanceof JoinError);
  t.equal((e as Error).message, `the cluster CA's public key hash is ${join.caCertHashes[0]}, which is not the --discovery-token-ca-cert-hash given (${wrong}): check the join command, or this is not the cluster you meant`);
});

t.test('discovery with a token the cluster does not know says the token id is invalid or expired', async (t) => {
  const unknown = formatToken(generateToken());
  const e = await discoverClusterCA({ ...join, token: unknown }, { timeoutMs: 1500 }).catch((x: unknown) => x);
  t.ok(e instanceof JoinError);
  t.equal((e as Error).message, `there is no JWS signed token in the cluster-info ConfigMap: the token id "${unknown.slice(0, 6)}" is invalid for this cluster or has expired; create a new one with "kubets token create" on the control-plane node`);
  // The right id with the wrong secret half: cluster-info's signature does not verify with it.
  const forged = `${join.token.slice(0, 7)}${'a'.repeat(16)}`;
  const f = await discoverClusterCA({ ...join, token: forged }, { timeoutMs: 10_000 }).catch((x: unknown) => x);
  t.equal((f as Error).message, `the cluster-info signature for token id "${join.token.slice(0, 6)}" does not verify: the token secret is wrong`);
});

t.test('the joining node gets a client certificate; kubectl get csr shows it Approved,Issued', async (t) => {
  const dir = fs.mkdtempSync(path.join(srv.dir, 'node-'));
  const kubeconfig = path.join(dir, 'kubelet.kubeconfig');
  t.equal(await ensureNodeKubeconfig(kubeconfig, 'n1', join), true, 'joined');
  t.equal(fs.statSync(kubeconfig).mode & 0o777, 0o600);
  t.equal(await ensureNodeKubeconfig(kubeconfig, 'n1', join), false, 'a second start keeps the credentials it has');
  const doc = parseYaml(fs.readFileSync(kubeconfig, 'utf8'));
  t.equal(doc.clusters[0].cluster.server, join.server);
  const node = ApiClient.fromKubeconfig(kubeconfig);
  t.teardown(() => node.close());
  const who = await node.request<{ status: { userInfo: { username: string; groups: string[] } } }>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
  t.same(who.status.userInfo, { username: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] });
  const days = (certificateNotAfter(Buffer.from(doc.users[0].user['client-certificate-data'], 'base64').toString()).getTime() - Date.now()) / 86_400_000;
  t.ok(days > 364 && days <= 366, 'signed for the default year');

  const out = await admin.ok(['get', 'csr']);
  t.match(out, /^NAME\s+AGE\s+SIGNERNAME\s+REQUESTOR\s+REQUESTEDDURATION\s+CONDITION\n/);
  t.match(out, new RegExp(`\\nnode-csr-[a-z0-9]{5}\\s+\\d+s\\s+kubernetes\\.io/kube-apiserver-client-kubelet\\s+system:bootstrap:${join.token.slice(0, 6)}\\s+<none>\\s+Approved,Issued(\\n|$)`));
});

/** A CSR manifest for a new key. */
async function csrManifest(name: string, signerName: string, cn: string, orgs: string[] = []): Promise<string> {
  const { csrPem } = await createCSR({ commonName: cn, organizations: orgs });
  return JSON.stringify({
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name },
    spec: { request: Buffer.from(csrPem).toString('base64'), signerName, usages: ['digital signature', 'client auth'] },
  });
}

const csrRow = async (name: string) => (await admin.ok(['get', 'csr', name, '--no-headers'])).split(/\s+/);

t.test('a CSR nobody auto-approves stays Pending until kubectl certificate approve or deny', async (t) => {
  // A client certificate for a person (kube-apiserver-client signer), and a node's requested by a user who may post
  // CSRs but holds no nodeclient grant: neither is the controllers' to approve.
  await admin.ok(['create', '-f', '-'], await csrManifest('jane', SIGNERS.apiserverClient, 'jane', ['devs']));
  await admin.ok(['create', 'clusterrolebinding', 'csr-poster', '--clusterrole=system:node-bootstrapper', '--user=csr-poster']);
  await until('csr-poster may post CSRs', async () => (await admin(['auth', 'can-i', 'create', 'csr', '--as', 'csr-poster'])).stdout === 'yes');
  await admin.ok(['create', '-f', '-', '--as', 'csr-poster'], await csrManifest('node-by-someone', SIGNERS.kubeletClient, 'system:node:n9', ['system:nodes']));
  // A node CSR posted after them through a bootstrap token: once it is issued, the controller has long been through
  // both (each is one SubjectAccessReview or less; this one is reviewed, approved, then signed).
  const token = formatToken(generateToken());
  await srv.client.create(Resources.secrets, 'kube-system', tokenSecret({ id: token.slice(0, 6), secret: token.slice(7) }, { ttlSeconds: 600 }) as unknown as KubeObject);
  await requestClientCertificate({ ...join, token }, caPem(srv), 'n2', { timeoutMs: 30_000 });
  t.same((await csrRow('jane')).slice(-1), ['Pending']);
  t.same((await csrRow('node-by-someone')).slice(-1), ['Pending'], 'csr-poster holds no nodeclient grant: not auto-approved');

  t.equal(await admin.ok(['certificate', 'approve', 'jane']), 'certificatesigningrequest.certificates.k8s.io/jane approved');
  const issued = await until('jane issued', async () => (await csrRow('jane')).at(-1) === 'Approved,Issued');
  t.ok(issued, 'approved, the signer issues it');
  const jane = await srv.client.get<CertificateSigningRequest>(Resources.certificatesigningrequests, undefined, 'jane');
  const cert = new X509Certificate(Buffer.from(jane.status!.certificate!, 'base64'));
  t.equal(cert.subject, 'CN=jane\nO=devs', 'the subject asked for');
  t.ok(cert.checkIssued(new X509Certificate(caPem(srv))), 'signed by the cluster CA');

  t.equal(await admin.ok(['certificate', 'deny', 'node-by-someone']), 'certificatesigningrequest.certificates.k8s.io/node-by-someone denied');
  t.same((await csrRow('node-by-someone')).slice(-1), ['Denied']);
  const denied = await srv.client.get<CertificateSigningRequest>(Resources.certificatesigningrequests, undefined, 'node-by-someone');
  t.notOk(denied.status?.certificate, 'a denied request is never signed');
});

t.test('an expired bootstrap token is refused as a bearer token and by the join', async (t) => {
  const t0 = generateToken();
  const token = formatToken(t0);
  // Made an hour ago with a minute to live.
  await srv.client.create(Resources.secrets, 'kube-system', tokenSecret(t0, { ttlSeconds: 60, now: Date.now() - 3600_000 }) as unknown as KubeObject);
  const c = clientFor(srv, { token });
  t.equal((await c.raw('GET', '/apis/certificates.k8s.io/v1/certificatesigningrequests')).status, 401);
  t.equal((await c.raw('GET', '/healthz')).status, 401);
  c.close();
  const e = await requestClientCertificate({ ...join, token }, caPem(srv), 'n3', { timeoutMs: 5000 }).catch((x: unknown) => x);
  t.ok(e instanceof JoinError);
  t.equal((e as Error).message, 'the API server refused the bootstrap token: it is unknown or has expired; create a new one with "kubets token create" on the control-plane node');
  // The token cleaner removes it, and `kubets token list` never shows it.
  t.notMatch((await kubetsToken(['list'])).stdout, new RegExp(t0.id));
  await until('the token cleaner deletes the expired token', async () => (await admin(['get', 'secret', `bootstrap-token-${t0.id}`, '-n', 'kube-system'])).exitCode === 1);
});

t.test('kubets token list and delete', async (t) => {
  const created = (await kubetsToken(['create', '--ttl', '2h', '--description', 'listed'])).stdout;
  const list = await kubetsToken(['list']);
  t.equal(list.exitCode, 0);
  const rows = list.stdout.trimEnd().split('\n');
  t.match(rows[0], /^TOKEN\s+TTL\s+EXPIRES\s+USAGES\s+DESCRIPTION\s+EXTRA GROUPS$/);
  const row = rows.find((r) => r.startsWith(created));
  t.match(row, /^[a-z0-9.]+\s+1h\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+authentication,signing\s+listed\s+system:bootstrappers:kubets:default-node-token$/);
  t.ok(rows.some((r) => r.startsWith(join.token)), 'the join token');

  const del = await kubetsToken(['delete', created.slice(0, 6)]);
  t.equal(del.stdout, `bootstrap token "${created.slice(0, 6)}" deleted`);
  t.notMatch((await kubetsToken(['list'])).stdout, new RegExp(created.slice(0, 6)));
  const again = await kubetsToken(['delete', created]);
  t.equal(again.exitCode, 1);
  t.equal(again.stderr, `kubets token: bootstrap token "${created.slice(0, 6)}" not found`);
  // Deleted, the token no longer authenticates, and its signature leaves cluster-info.
  const c = clientFor(srv, { token: created });
  t.equal((await c.raw('GET', '/apis/certificates.k8s.io/v1/certificatesigningrequests')).status, 401);
  c.close();
  await until('cluster-info drops the deleted token\'s signature', async () => {
    const info = await srv.client.get<KubeObject & { data: Record<string, string> }>(Resources.configmaps, 'kube-public', 'cluster-info');
    return !(`jws-kubeconfig-${created.slice(0, 6)}` in info.data);
  });
});
