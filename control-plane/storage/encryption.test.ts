// Encryption at rest on the SQLite store: the store conformance suite through the encrypting wrapper, and what
// encryption itself promises — nothing readable at rest, every provider, key rotation, refusal of what no key opens.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { storeConformance } from './conformance.js';
import { EncryptingStore, parseEncryptionConfig, type EncryptionConfiguration } from './encryption.js';
import { SqliteStore } from './sqlite.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-enc-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const fresh = () => new SqliteStore(path.join(tmp, String(n++), 'state.db'));
const key = (bytes: number, fill: number) => Buffer.alloc(bytes, fill).toString('base64');

const config = (resources: string[], providers: string): EncryptionConfiguration =>
  parseEncryptionConfig(`apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: ${JSON.stringify(resources)}
    providers:
${providers}`);

const SECRET = '/registry/core/secrets/default/s';
const secretJSON = JSON.stringify({ kind: 'Secret', data: { password: 'aHVudGVyMg==' } });

t.test('conformance through the encrypting store', async (t) => {
  storeConformance(t, async () => {
    const inner = fresh();
    const store = new EncryptingStore(inner, config(['*.*'], `      - aesgcm:\n          keys: [{ name: k1, secret: ${key(32, 1)} }]`));
    return { store, cleanup: () => store.close() };
  });
});

for (const [provider, secret] of [
  ['aescbc', key(32, 2)],
  ['aesgcm', key(16, 3)],
  ['secretbox', key(32, 4)],
] as const) {
  t.test(`${provider}: secrets are sealed at rest, other kinds are not`, async (t) => {
    const inner = fresh();
    const store = new EncryptingStore(inner, config(['secrets'], `      - ${provider}:\n          keys: [{ name: key1, secret: ${secret} }]\n      - identity: {}`));
    t.teardown(() => store.close());
    await store.create(SECRET, secretJSON);
    await store.create('/registry/core/configmaps/default/c', '{"kind":"ConfigMap"}');
    const raw = (await inner.get(SECRET))!.value;
    t.ok(raw.startsWith(`k8s:enc:${provider}:v1:key1:`), raw.slice(0, 30));
    t.notMatch(raw, /aHVudGVyMg|Secret/, 'no plaintext at rest');
    t.equal((await store.get(SECRET))!.value, secretJSON);
    t.equal((await inner.get('/registry/core/configmaps/default/c'))!.value, '{"kind":"ConfigMap"}');
    t.equal((await store.list('/registry/core/secrets/')).items[0].value, secretJSON);
  });
}

t.test('rotation: a new first key encrypts, the old one still decrypts; identity reads old plaintext', async (t) => {
  const inner = fresh();
  const plain = new EncryptingStore(inner, config(['secrets'], '      - identity: {}'));
  await plain.create(SECRET, secretJSON);
  const v1 = new EncryptingStore(inner, config(['secrets'], `      - aescbc:\n          keys: [{ name: old, secret: ${key(32, 5)} }]\n      - identity: {}`));
  t.equal((await v1.get(SECRET))!.value, secretJSON, 'plaintext written before encryption is read through identity');
  let rev = await v1.update(SECRET, secretJSON, (await inner.get(SECRET))!.modRevision);
  const v2 = new EncryptingStore(inner, config(['secrets'], `      - aescbc:\n          keys: [{ name: new, secret: ${key(32, 6)} }, { name: old, secret: ${key(32, 5)} }]`));
  t.equal((await v2.get(SECRET))!.value, secretJSON, 'the old key still opens');
  rev = await v2.update(SECRET, secretJSON, rev);
  t.ok((await inner.get(SECRET))!.value.startsWith('k8s:enc:aescbc:v1:new:'), 'a rewrite re-encrypts with the new key');
  const onlyOld = new EncryptingStore(inner, config(['secrets'], `      - aescbc:\n          keys: [{ name: old, secret: ${key(32, 5)} }]`));
  await t.rejects(onlyOld.get(SECRET), /no configured provider can decrypt the value stored at \/registry\/core\/secrets\/default\/s/);
  await inner.close();
});

t.test('aesgcm binds the value to its key; bad configurations are refused with the reason', async (t) => {
  const inner = fresh();
  t.teardown(() => inner.close());
  const store = new EncryptingStore(inner, config(['secrets'], `      - aesgcm:\n          keys: [{ name: k, secret: ${key(32, 7)} }]`));
  await store.create(SECRET, secretJSON);
  await inner.create('/registry/core/secrets/default/copy', (await inner.get(SECRET))!.value);
  await t.rejects(store.get('/registry/core/secrets/default/copy'), /unable to authenticate|Unsupported state/);
  t.throws(() => new EncryptingStore(inner, config(['secrets'], `      - aescbc:\n          keys: [{ name: k, secret: ${key(7, 1)} }]`)), /aescbc key "k": secret is 7 bytes, must be 16, 24, 32 bytes/);
  t.throws(() => new EncryptingStore(inner, config(['secrets'], '      - kms: {}')), /unsupported provider "kms"/);
  t.throws(() => parseEncryptionConfig('kind: Nope'), /expected kind EncryptionConfiguration/);
});
