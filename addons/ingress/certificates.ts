// The certificates the HTTPS server presents (ingress-nginx's SSL certificate store and its fake certificate): one
// TLS context per kubernetes.io/tls Secret that an Ingress's spec.tls names, picked by SNI, and a self-signed
// fallback for names no Secret covers (or whose Secret is missing or unusable).
import tls from 'node:tls';
import { logger } from '../../api/log.js';
import type { KeyPair } from '../../api/pki.js';
import type { Secret } from '../../api/types.js';
import { tlsSecretFor, type RouteTable } from './routes.js';

const log = logger('ingress-certificates');

export const FALLBACK_CERT_NAME = 'Kubernetes Ingress Controller Fake Certificate';

export class CertificateStore {
  private readonly fallback: tls.SecureContext;
  /** The fallback's certificate and key, for clients that send no server name (SNI is then not consulted). */
  readonly fallbackPair: KeyPair;
  /** namespace/name → the context built from the Secret at a resourceVersion. */
  private contexts = new Map<string, { version: string; context: tls.SecureContext }>();
  private table?: RouteTable;

  constructor(fallback: KeyPair) {
    this.fallbackPair = fallback;
    this.fallback = tls.createSecureContext({ cert: fallback.certPem, key: fallback.keyPem });
  }

  /** Takes the routes' certificates from the Secrets at hand; a Secret that did not change keeps its context. */
  update(table: RouteTable, secret: (key: string) => Secret | undefined): void {
    const next = new Map<string, { version: string; context: tls.SecureContext }>();
    for (const key of new Set(table.tls.map((t) => t.secret))) {
      const s = secret(key);
      if (!s) {
        log.warn({ secret: key }, 'TLS secret not found; serving the fallback certificate');
        continue;
      }
      const version = s.metadata.resourceVersion ?? '';
      const had = this.contexts.get(key);
      if (had && had.version === version) {
        next.set(key, had);
        continue;
      }
      try {
        const data = s.data ?? {};
        if (!data['tls.crt'] || !data['tls.key']) throw new Error('no tls.crt and tls.key');
        const context = tls.createSecureContext({ cert: Buffer.from(data['tls.crt'], 'base64'), key: Buffer.from(data['tls.key'], 'base64') });
        next.set(key, { version, context });
      } catch (e) {
        log.warn({ secret: key, err: (e as Error).message }, 'TLS secret unusable; serving the fallback certificate');
      }
    }
    this.contexts = next;
    this.table = table;
  }

  /** The context for a TLS server name (the SNI callback's answer). */
  contextFor(serverName: string | undefined): tls.SecureContext {
    const key = this.table && serverName ? tlsSecretFor(this.table, serverName) : undefined;
    return (key && this.contexts.get(key)?.context) || this.fallback;
  }

  /** The contexts held, by Secret (namespace/name). */
  secrets(): string[] {
    return [...this.contexts.keys()].sort();
  }
}
