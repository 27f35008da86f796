// Controllers with their own identities (kube: kube-controller-manager --use-service-account-credentials and its
// dynamic client builder): each controller runs as the service account kube-system/<controller>, created if missing,
// with a bound token from the TokenRequest API that is renewed before it expires. The shared informers keep the
// controller manager's own credentials; every write a controller makes is its own, under its own RBAC role.
import { ApiClient } from '../../api/client.js';
import { isAlreadyExists } from '../../api/errors.js';
import { logger } from '../../api/log.js';
import { Resources } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';

const log = logger('controller-manager.clients');

const TOKEN_SECONDS = 3600;
/** Renew when 80 % of the lifetime has passed. */
const RENEW_AT = 0.8;

export class ServiceAccountClients {
  private readonly clients = new Map<string, ApiClient>();
  /** The renewal timer of each controller's token. */
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(
    /** The controller manager's own client: creates the accounts and asks for their tokens. */
    private readonly root: ApiClient,
  ) {}

  private async token(name: string): Promise<string> {
    const req = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: { name, namespace: 'kube-system' }, spec: { expirationSeconds: TOKEN_SECONDS } } as unknown as KubeObject;
    const res = await this.root.createSubresource<{ status: { token: string } }>(Resources.serviceaccounts, 'kube-system', name, 'token', req);
    return res.status.token;
  }

  /** The client of controller `name`, acting as system:serviceaccount:kube-system:<name>. */
  async clientFor(name: string): Promise<ApiClient> {
    const have = this.clients.get(name);
    if (have) return have;
    await this.root.create(Resources.serviceaccounts, 'kube-system', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: 'kube-system' } }).catch((e) => (isAlreadyExists(e) ? undefined : Promise.reject(e)));
    const client = new ApiClient({ server: this.root.config.server, ca: this.root.config.ca, token: await this.token(name), userAgent: `kube-controller-manager/${name}` });
    this.clients.set(name, client);
    const renew = async (): Promise<void> => {
      if (this.closed) return;
      try {
        client.setToken(await this.token(name));
        this.schedule(name, renew, TOKEN_SECONDS * RENEW_AT * 1000);
      } catch (e) {
        log.warn({ controller: name, err: (e as Error).message }, 'token renewal failed; retrying in 10 s');
        this.schedule(name, renew, 10_000);
      }
    };
    this.schedule(name, renew, TOKEN_SECONDS * RENEW_AT * 1000);
    return client;
  }

  private schedule(name: string, fn: () => Promise<void>, ms: number): void {
    if (this.closed) return;
    const t = setTimeout(() => void fn(), ms);
    t.unref();
    this.timers.set(name, t);
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    for (const c of this.clients.values()) c.close();
  }
}
