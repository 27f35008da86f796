// Encryption at rest (k8s.io/apiserver/pkg/storage/value/encrypt and server/options/encryptionconfig): an
// EncryptionConfiguration names, per resource, an ordered list of providers — aescbc, aesgcm, secretbox, identity.
// The first provider encrypts every write; any listed provider decrypts a read, found by the value's
// "k8s:enc:<provider>:v1:<key name>:" prefix. Adding a new key first and rewriting the objects rotates keys.
// It wraps a Store, so both SQLite and etcd keep Secrets encrypted.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { xsalsa20poly1305 } from '@noble/ciphers/salsa.js';
import { parse as parseYaml } from 'yaml';
import type { KeyValue, ListOptions, ListResult, Store, StoreEvent, Watch } from './store.js';

interface KeyConfig {
  name: string;
  secret: string;
}

type ProviderConfig = { aescbc: { keys: KeyConfig[] } } | { aesgcm: { keys: KeyConfig[] } } | { secretbox: { keys: KeyConfig[] } } | { identity: Record<string, never> };

export interface EncryptionConfiguration {
  apiVersion: string;
  kind: 'EncryptionConfiguration';
  resources: { resources: string[]; providers: ProviderConfig[] }[];
}

export class EncryptionConfigError extends Error {
  override name = 'EncryptionConfigError';
}

/** One way to store a value: the prefix that marks it and how to seal and open it. */
interface Transformer {
  prefix: string;
  seal(plain: Buffer, storageKey: string): Buffer;
  open(sealed: Buffer, storageKey: string): Buffer;
}

const ALGORITHMS: Record<number, string> = { 16: 'aes-128', 24: 'aes-192', 32: 'aes-256' };

function keyBytes(provider: string, k: KeyConfig, sizes: number[]): Buffer {
  if (!k?.name || typeof k.secret !== 'string') throw new EncryptionConfigError(`${provider}: every key needs a name and a secret`);
  const key = Buffer.from(k.secret, 'base64');
  if (!sizes.includes(key.length)) throw new EncryptionConfigError(`${provider} key "${k.name}": secret is ${key.length} bytes, must be ${sizes.join(', ')} bytes (base64-encoded)`);
  return key;
}

function aescbc(k: KeyConfig): Transformer {
  const key = keyBytes('aescbc', k, [16, 24, 32]);
  const alg = `${ALGORITHMS[key.length]}-cbc`;
  return {
    prefix: `k8s:enc:aescbc:v1:${k.name}:`,
    seal(plain) {
      const iv = randomBytes(16);
      const c = createCipheriv(alg, key, iv);
      return Buffer.concat([iv, c.update(plain), c.final()]);
    },
    open(sealed) {
      const d = createDecipheriv(alg, key, sealed.subarray(0, 16));
      return Buffer.concat([d.update(sealed.subarray(16)), d.final()]);
    },
  };
}

function aesgcm(k: KeyConfig): Transformer {
  const key = keyBytes('aesgcm', k, [16, 24, 32]);
  const alg = `${ALGORITHMS[key.length]}-gcm` as 'aes-256-gcm';
  return {
    prefix: `k8s:enc:aesgcm:v1:${k.name}:`,
    // The storage key is authenticated data: a value copied under another key does not open.
    seal(plain, storageKey) {
      const nonce = randomBytes(12);
      const c = createCipheriv(alg, key, nonce).setAAD(Buffer.from(storageKey));
      const body = Buffer.concat([c.update(plain), c.final()]);
      return Buffer.concat([nonce, body, c.getAuthTag()]);
    },
    open(sealed, storageKey) {
      const d = createDecipheriv(alg, key, sealed.subarray(0, 12)).setAAD(Buffer.from(storageKey));
      d.setAuthTag(sealed.subarray(sealed.length - 16));
      return Buffer.concat([d.update(sealed.subarray(12, sealed.length - 16)), d.final()]);
    },
  };
}

function secretbox(k: KeyConfig): Transformer {
  const key = keyBytes('secretbox', k, [32]);
  return {
    prefix: `k8s:enc:secretbox:v1:${k.name}:`,
    seal(plain) {
      const nonce = randomBytes(24);
      return Buffer.concat([nonce, Buffer.from(xsalsa20poly1305(key, nonce).encrypt(plain))]);
    },
    open(sealed) {
      return Buffer.from(xsalsa20poly1305(key, sealed.subarray(0, 24)).decrypt(sealed.subarray(24)));
    },
  };
}

const ENCRYPTED = 'k8s:enc:';

/** The providers of one resource entry in order; identity is `undefined` (values stored as they are). */
function transformers(providers: ProviderConfig[]): (Transformer | undefined)[] {
  const out: (Transformer | undefined)[] = [];
  for (const p of providers ?? []) {
    if ('identity' in p) out.push(undefined);
    else if ('aescbc' in p) out.push(...(p.aescbc.keys ?? []).map(aescbc));
    else if ('aesgcm' in p) out.push(...(p.aesgcm.keys ?? []).map(aesgcm));
    else if ('secretbox' in p) out.push(...(p.secretbox.keys ?? []).map(secretbox));
    else throw new EncryptionConfigError(`unsupported provider ${JSON.stringify(Object.keys(p)[0])}: use aescbc, aesgcm, secretbox or identity`);
  }
  if (!out.length) throw new EncryptionConfigError('every resource entry needs at least one provider');
  return out;
}

/** "secrets" → core/secrets, "deployments.apps" → apps/deployments, "*.apps" and "*.*" as wildcards. */
function keyMatcher(resource: string): (storageKey: string) => boolean {
  const dot = resource.indexOf('.');
  const plural = dot < 0 ? resource : resource.slice(0, dot);
  const group = dot < 0 ? 'core' : resource.slice(dot + 1);
  return (key) => {
    const [, , g, p] = key.split('/');
    return (group === '*' || g === group) && (plural === '*' || p === plural);
  };
}

export function parseEncryptionConfig(text: string): EncryptionConfiguration {
  let doc: EncryptionConfiguration;
  try {
    doc = parseYaml(text) as EncryptionConfiguration;
  } catch (e) {
    throw new EncryptionConfigError(`not YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (doc?.kind !== 'EncryptionConfiguration' || !Array.isArray(doc.resources)) throw new EncryptionConfigError('expected kind EncryptionConfiguration (apiserver.config.k8s.io/v1) with a resources list');
  return doc;
}

export function loadEncryptionConfig(file: string): EncryptionConfiguration {
  return parseEncryptionConfig(fs.readFileSync(file, 'utf8'));
}

/** A Store whose values are encrypted at rest for the configured resources. */
export class EncryptingStore implements Store {
  private readonly rules: { matches: (key: string) => boolean; providers: (Transformer | undefined)[] }[];

  constructor(
    private readonly inner: Store,
    config: EncryptionConfiguration,
  ) {
    this.rules = config.resources.flatMap((r) => {
      const providers = transformers(r.providers);
      return (r.resources ?? []).map((res) => ({ matches: keyMatcher(res), providers }));
    });
  }

  private providersFor(key: string): (Transformer | undefined)[] | undefined {
    return this.rules.find((r) => r.matches(key))?.providers;
  }

  private encode(key: string, value: string): string {
    const first = this.providersFor(key)?.[0];
    if (!first) return value;
    return first.prefix + first.seal(Buffer.from(value, 'utf8'), key).toString('base64');
  }

  private decode(key: string, value: string): string {
    if (!value.startsWith(ENCRYPTED)) return value;
    for (const t of this.providersFor(key) ?? []) {
      if (!t || !value.startsWith(t.prefix)) continue;
      return t.open(Buffer.from(value.slice(t.prefix.length), 'base64'), key).toString('utf8');
    }
    throw new Error(`no configured provider can decrypt the value stored at ${key} (${value.slice(0, value.indexOf(':', ENCRYPTED.length + 12) + 1)}…)`);
  }

  private decodeKV(kv: KeyValue): KeyValue {
    return { ...kv, value: this.decode(kv.key, kv.value) };
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const kv = await this.inner.get(key);
    return kv && this.decodeKV(kv);
  }

  async list(prefix: string, opts?: ListOptions): Promise<ListResult> {
    const r = await this.inner.list(prefix, opts);
    return { ...r, items: r.items.map((kv) => this.decodeKV(kv)) };
  }

  create(key: string, value: string): Promise<number> {
    return this.inner.create(key, this.encode(key, value));
  }

  update(key: string, value: string, expectedModRevision: number): Promise<number> {
    return this.inner.update(key, this.encode(key, value), expectedModRevision);
  }

  delete(key: string, expectedModRevision?: number): Promise<number> {
    return this.inner.delete(key, expectedModRevision);
  }

  watch(prefix: string, fromRevision: number, onEvent: (e: StoreEvent) => void, onError: (e: Error) => void): Watch {
    return this.inner.watch(
      prefix,
      fromRevision,
      (e) => onEvent({ ...e, value: this.decode(e.key, e.value), ...(e.prevValue !== undefined ? { prevValue: this.decode(e.key, e.prevValue) } : {}) }),
      onError,
    );
  }

  currentRevision(): Promise<number> {
    return this.inner.currentRevision();
  }

  /** Values are decrypted in the watch callback itself: the inner store's timing holds. */
  get synchronousWatch(): boolean | undefined {
    return this.inner.synchronousWatch;
  }

  compact(rev: number): Promise<void> {
    return this.inner.compact(rev);
  }

  compactedRevision(): Promise<number> {
    return this.inner.compactedRevision();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
