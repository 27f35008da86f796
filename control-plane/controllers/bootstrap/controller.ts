// pkg/controller/bootstrap: the bootstrap signer keeps kube-public/cluster-info signed with every valid bootstrap
// token (what `kubets join` verifies before trusting the CA it reads there), and the token cleaner deletes bootstrap
// token Secrets when they expire.
import { ignoreNotFound } from '../../../api/errors.js';
import { Resources } from '../../../api/resources.js';
import { queueController, type Controller, type ControllerContext } from '../controller.js';
import { computeExpiredTokens, computeSignedClusterInfo, type ConfigMapObject, type SecretObject } from './actions.js';

const CLUSTER_INFO = 'kube-public/cluster-info';

export function bootstrapSigner(ctx: ControllerContext): Controller {
  const { client, informers } = ctx;
  const configMaps = informers.for<ConfigMapObject>(Resources.configmaps);
  const secrets = informers.for<SecretObject>(Resources.secrets);
  const c = queueController('bootstrap-signer', 1, sync);
  const kick = () => c.queue.add(CLUSTER_INFO);
  configMaps.addHandlers({ onAdd: (cm) => cm.metadata.namespace === 'kube-public' && kick(), onUpdate: (_o, cm) => cm.metadata.namespace === 'kube-public' && kick() });
  const onSecret = (s: SecretObject) => s.metadata.namespace === 'kube-system' && kick();
  secrets.addHandlers({ onAdd: onSecret, onUpdate: (_o, s) => onSecret(s), onDelete: onSecret });

  async function sync(): Promise<void> {
    const clusterInfo = configMaps.get(CLUSTER_INFO);
    if (!clusterInfo) return;
    const now = Date.now();
    const tokens = secrets.list().filter((s) => s.metadata.namespace === 'kube-system');
    const signed = computeSignedClusterInfo(clusterInfo, tokens, now);
    if (signed) await ignoreNotFound(client.update(Resources.configmaps, signed));
    // A token that expires later stops signing then: look again at the next expiry.
    const { nextExpiry } = computeExpiredTokens(tokens, now);
    if (nextExpiry) c.queue.addAfter(CLUSTER_INFO, Math.max(0, nextExpiry - now) + 1000);
  }
  return c;
}

export function tokenCleaner(ctx: ControllerContext): Controller {
  const { client, informers } = ctx;
  const secrets = informers.for<SecretObject>(Resources.secrets);
  const c = queueController('token-cleaner', 1, sync);
  const KEY = 'kube-system';
  secrets.addHandlers({ onAdd: (s) => s.metadata.namespace === KEY && c.queue.add(KEY), onUpdate: (_o, s) => s.metadata.namespace === KEY && c.queue.add(KEY) });

  async function sync(): Promise<void> {
    const now = Date.now();
    const { expired, nextExpiry } = computeExpiredTokens(secrets.list().filter((s) => s.metadata.namespace === KEY), now);
    for (const s of expired) await ignoreNotFound(client.delete(Resources.secrets, KEY, s.metadata.name!, { preconditions: { uid: s.metadata.uid } }));
    if (nextExpiry) c.queue.addAfter(KEY, Math.max(0, nextExpiry - now) + 1000);
  }
  return c;
}
