// Data at rest, as kube-apiserver and k3s keep it: the data dir, the pki dir, the keys, the credentials and the
// database are the owner's alone; with --encryption-provider-config (aescbc) a Secret's value never reaches the
// database file in plaintext while kubectl reads it as usual, and rotating to a new key re-encrypts what is rewritten.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { stringify } from 'yaml';
import { kubectlWith, type Kubectl } from './identities.js';
import { startServer, type TestServer } from './server-fixture.js';

const key1 = randomBytes(32).toString('base64');
const key2 = randomBytes(32).toString('base64');
const encryptionConfig = (keys: { name: string; secret: string }[]) =>
  stringify({ apiVersion: 'apiserver.config.k8s.io/v1', kind: 'EncryptionConfiguration', resources: [{ resources: ['secrets'], providers: [{ aescbc: { keys } }, { identity: {} }] }] });

let srv: TestServer;
let admin: Kubectl;
let dir: string;
let configFile: string;
t.before(async () => {
  // A data dir made by someone else with a lax mode: the server makes it its own.
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-test-'));
  fs.chmodSync(dir, 0o755);
  configFile = path.join(dir, 'encryption.yaml');
  fs.writeFileSync(configFile, encryptionConfig([{ name: 'key1', secret: key1 }]), { mode: 0o600 });
  srv = await startServer({ dir, args: ['--encryption-provider-config', configFile] });
  admin = kubectlWith(srv);
});
t.teardown(() => srv?.destroy());

const mode = (p: string) => fs.statSync(p).mode & 0o777;

t.test('the data dir, pki and database are the owner\'s alone', async (t) => {
  t.equal(mode(dir).toString(8), '700', 'data dir');
  t.equal(mode(path.join(dir, 'pki')).toString(8), '700', 'pki');
  for (const key of ['ca.key', 'apiserver.key', 'apiserver-kubelet-client.key', 'sa.key']) t.equal(mode(path.join(dir, 'pki', key)).toString(8), '600', `pki/${key}`);
  for (const f of ['state.db', 'state.db-wal', 'state.db-shm']) t.equal(mode(path.join(dir, f)).toString(8), '600', f);
  for (const f of ['admin.kubeconfig', 'controller-manager.kubeconfig', 'scheduler.kubeconfig']) t.equal(mode(path.join(dir, f)).toString(8), '600', `${f} holds a client key`);
  // Nothing that holds a private key is readable by anyone else anywhere under the data dir.
  const walk = (d: string): string[] => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
  const exposed = walk(dir).filter((f) => /PRIVATE KEY|client-key-data/.test(fs.readFileSync(f, 'latin1')) && mode(f) & 0o077);
  t.same(exposed, []);
});

/** The database as it lies on disk: the main file and the write-ahead log not yet checkpointed into it. */
const databaseBytes = () => Buffer.concat(['state.db', 'state.db-wal'].map((f) => fs.readFileSync(path.join(dir, f))));

t.test('with aescbc, a Secret\'s value is not in the database file, and kubectl reads it as usual', async (t) => {
  const value = `plaintext-${randomBytes(8).toString('hex')}`;
  t.equal(await admin.ok(['create', 'secret', 'generic', 'db-pass', `--from-literal=password=${value}`]), 'secret/db-pass created');
  // The same value in a ConfigMap, which the configuration leaves unencrypted: the search of the file works.
  await admin.ok(['create', 'configmap', 'not-secret', `--from-literal=password=${value}`]);
  const db = databaseBytes();
  t.ok(db.includes(value), 'the ConfigMap\'s copy is there in plaintext');
  t.notOk(db.includes(Buffer.from(value).toString('base64')), 'the Secret\'s value is not there base64-encoded');
  t.ok(db.includes('k8s:enc:aescbc:v1:key1:'), 'the Secret is stored sealed with key1');

  const yaml = await admin.ok(['get', 'secret', 'db-pass', '-o', 'yaml']);
  t.match(yaml, new RegExp(`\\n  password: ${Buffer.from(value).toString('base64')}\\n`));
  t.equal(Buffer.from(await admin.ok(['get', 'secret', 'db-pass', '-o', 'jsonpath={.data.password}']), 'base64').toString(), value);
  // stringData is write-only: merged into data, never stored as given.
  await admin.ok(['apply', '-f', '-'], stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'from-string-data' }, stringData: { token: value } }));
  const stored = JSON.parse(await admin.ok(['get', 'secret', 'from-string-data', '-o', 'json']));
  t.equal(stored.stringData, undefined);
  t.equal(Buffer.from(stored.data.token, 'base64').toString(), value);
  t.notOk(databaseBytes().includes(Buffer.from(value).toString('base64')), 'nor is that one\'s');
});

t.test('rotation: with a new key first, rewritten Secrets are sealed with it and the old ones still read', async (t) => {
  fs.writeFileSync(configFile, encryptionConfig([{ name: 'key2', secret: key2 }, { name: 'key1', secret: key1 }]));
  await srv.stop();
  srv = await startServer({ dir, port: srv.port, args: ['--encryption-provider-config', configFile] });
  admin = kubectlWith(srv);
  t.equal(Buffer.from(await admin.ok(['get', 'secret', 'db-pass', '-o', 'jsonpath={.data.password}']), 'base64').toString().slice(0, 10), 'plaintext-', 'key1 still opens what it sealed');
  // kube's documented rotation: rewrite every Secret.
  const all = await admin.ok(['get', 'secrets', '-A', '-o', 'json']);
  await admin.ok(['replace', '-f', '-'], all);
  await admin.ok(['annotate', 'secret', 'db-pass', 'rotated=yes']);
  t.ok(databaseBytes().includes('k8s:enc:aescbc:v1:key2:'), 'sealed with key2 now');

  // Without key1, what key2 sealed still reads.
  fs.writeFileSync(configFile, encryptionConfig([{ name: 'key2', secret: key2 }]));
  await srv.stop();
  srv = await startServer({ dir, port: srv.port, args: ['--encryption-provider-config', configFile] });
  admin = kubectlWith(srv);
  t.match(Buffer.from(await admin.ok(['get', 'secret', 'db-pass', '-o', 'jsonpath={.data.password}']), 'base64').toString(), /^plaintext-/);
});
