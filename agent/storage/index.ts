// The node's local-path provisioner (kubets.io/local-path; rancher/local-path-provisioner's job, run by each agent
// because the data lives on its node): watches claims, volumes and classes with the node's credentials; provisions a
// claim selected to this node as <dataDir>/storage/<pv-name> and a PersistentVolume pre-bound to it (the binder
// completes the binding); removes the directory, then the volume, when a volume it made is Released with reclaim
// policy Delete.
import { chmod, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { ApiClient } from '../../api/client.js';
import { isAlreadyExists, isNotFound } from '../../api/errors.js';
import { EventRecorder } from '../../api/events.js';
import { InformerFactory } from '../../api/informer.js';
import { logger } from '../../api/log.js';
import { Resources } from '../../api/resources.js';
import { LOCAL_PATH_PROVISIONER, objectKey, type PersistentVolume, type PersistentVolumeClaim, type StorageClass } from '../../api/types.js';
import { runWorkers, WorkQueue } from '../../api/workqueue.js';
import { classToProvision, provisionedHere, provisionedVolume, shouldDelete, volumeNameFor } from './actions.js';

export { classToProvision, provisionedVolume, shouldDelete } from './actions.js';

const log = logger('local-path-provisioner');

export interface ProvisionerOptions {
  nodeName: string;
  /** The agent's data dir: volumes live under <dataDir>/storage. */
  dataDir: string;
}

/** Where a volume's data lives on this node. */
export const volumeDir = (dataDir: string, pvName: string) => path.join(dataDir, 'storage', pvName);

export async function startLocalPathProvisioner(client: ApiClient, o: ProvisionerOptions): Promise<{ close(): Promise<void> }> {
  const informers = new InformerFactory(client);
  const claims = informers.for<PersistentVolumeClaim>(Resources.persistentvolumeclaims);
  const volumes = informers.for<PersistentVolume>(Resources.persistentvolumes);
  const classes = informers.for<StorageClass>(Resources.storageclasses);
  const recorder = new EventRecorder(client, `${LOCAL_PATH_PROVISIONER}_${o.nodeName}`);
  const queue = new WorkQueue();
  const classMap = () => new Map(classes.list().map((c) => [c.metadata.name!, c]));
  claims.addHandlers({ onAdd: (c) => queue.add(`claim:${objectKey(c)}`), onUpdate: (_o, c) => queue.add(`claim:${objectKey(c)}`) });
  const onVolume = (pv: PersistentVolume) => provisionedHere(pv, o.nodeName) && queue.add(`volume:${pv.metadata.name}`);
  volumes.addHandlers({ onAdd: onVolume, onUpdate: (_o, pv) => onVolume(pv) });
  classes.addHandlers({ onAdd: () => claims.list().forEach((c) => queue.add(`claim:${objectKey(c)}`)) });

  async function sync(key: string): Promise<void> {
    if (key.startsWith('volume:')) {
      const pv = volumes.get(key.slice('volume:'.length));
      if (pv && shouldDelete(pv, o.nodeName)) await deleteVolume(pv);
      return;
    }
    const claim = claims.get(key.slice('claim:'.length));
    const cls = claim && classToProvision(claim, classMap(), o.nodeName);
    if (!claim || !cls || volumes.get(volumeNameFor(claim))) return;
    await provision(claim, cls);
  }

  async function provision(claim: PersistentVolumeClaim, cls: StorageClass): Promise<void> {
    const name = volumeNameFor(claim);
    const dir = volumeDir(o.dataDir, name);
    void recorder.record(claim, 'Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${objectKey(claim)}"`);
    try {
      await mkdir(dir, { recursive: true });
      // Any user of any pod may write it, as local-path-provisioner's directories allow.
      await chmod(dir, 0o777);
      await client.create(Resources.persistentvolumes, undefined, provisionedVolume(claim, cls, o.nodeName, dir));
    } catch (e) {
      if (isAlreadyExists(e)) return;
      void recorder.record(claim, 'Warning', 'ProvisioningFailed', `failed to provision volume with StorageClass "${cls.metadata.name}": ${(e as Error).message}`);
      throw e;
    }
    log.info({ claim: objectKey(claim), volume: name, dir }, 'provisioned');
    void recorder.record(claim, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${name}`);
  }

  async function deleteVolume(pv: PersistentVolume): Promise<void> {
    const dir = volumeDir(o.dataDir, pv.metadata.name!);
    // Only a directory this provisioner made under its own root is ever removed.
    if (pv.spec.hostPath?.path === dir) await rm(dir, { recursive: true, force: true });
    await client.delete(Resources.persistentvolumes, undefined, pv.metadata.name!, { preconditions: { uid: pv.metadata.uid } }).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
    log.info({ volume: pv.metadata.name, dir }, 'deleted');
  }

  informers.start();
  await informers.waitForSync();
  const workers = runWorkers('local-path-provisioner', queue, 1, sync);
  return {
    async close() {
      queue.close();
      await workers;
      await informers.close();
    },
  };
}
