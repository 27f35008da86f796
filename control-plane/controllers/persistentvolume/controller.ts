// pkg/controller/volume/persistentvolume PersistentVolumeController (the PV binder): one queue of claims and volumes,
// each synced from the informer caches by computeClaimSync / computeVolumeSync; writes go volume first, then claim,
// as the binder does, so that a crash between them leaves a reservation the next sync completes.
import { isConflict, isNotFound } from '../../../api/errors.js';
import { Resources } from '../../../api/resources.js';
import { formatTime } from '../../../api/time.js';
import { objectKey, type PersistentVolume, type PersistentVolumeClaim, type StorageClass } from '../../../api/types.js';
import { queueController, type Controller, type ControllerContext } from '../controller.js';
import { boundClaim, boundVolume, computeClaimSync, computeVolumeSync, type BinderStep } from './actions.js';

export function persistentVolumeBinder(ctx: ControllerContext): Controller {
  const { client, informers, recorder } = ctx;
  const claims = informers.for<PersistentVolumeClaim>(Resources.persistentvolumeclaims);
  const volumes = informers.for<PersistentVolume>(Resources.persistentvolumes);
  const classes = informers.for<StorageClass>(Resources.storageclasses);
  const c = queueController('persistentvolume-binder-controller', 1, sync);
  const claimKey = (pvc: PersistentVolumeClaim) => `claim:${objectKey(pvc)}`;
  const volumeKey = (pv: PersistentVolume) => `volume:${pv.metadata.name}`;
  const pendingClaims = () => {
    for (const pvc of claims.list()) if (pvc.status?.phase !== 'Bound') c.queue.add(claimKey(pvc));
  };
  claims.addHandlers({
    onAdd: (pvc) => c.queue.add(claimKey(pvc)),
    onUpdate: (_o, pvc) => c.queue.add(claimKey(pvc)),
    // A gone claim releases its volume.
    onDelete: (pvc) => {
      for (const pv of volumes.list()) if (pv.spec?.claimRef?.uid === pvc.metadata.uid) c.queue.add(volumeKey(pv));
    },
  });
  volumes.addHandlers({
    onAdd: (pv) => {
      c.queue.add(volumeKey(pv));
      pendingClaims();
    },
    onUpdate: (_o, pv) => {
      c.queue.add(volumeKey(pv));
      const ref = pv.spec?.claimRef;
      if (ref) c.queue.add(`claim:${ref.namespace}/${ref.name}`);
      else pendingClaims();
    },
    onDelete: (pv) => {
      const ref = pv.spec?.claimRef;
      if (ref) c.queue.add(`claim:${ref.namespace}/${ref.name}`);
    },
  });
  classes.addHandlers({ onAdd: pendingClaims, onUpdate: pendingClaims });

  async function sync(key: string): Promise<void> {
    try {
      if (key.startsWith('claim:')) {
        const claim = claims.get(key.slice('claim:'.length));
        if (claim) await run(computeClaimSync({ claim, volumes: volumes.list(), classes: new Map(classes.list().map((s) => [s.metadata.name!, s])) }));
        return;
      }
      const volume = volumes.get(key.slice('volume:'.length));
      if (!volume) return;
      const ref = volume.spec?.claimRef;
      let claim = ref ? claims.get(`${ref.namespace}/${ref.name}`) : undefined;
      // The cache may not have seen a new claim yet: ask the API before releasing a volume.
      if (ref?.uid && claim?.metadata.uid !== ref.uid)
        claim = await client.get<PersistentVolumeClaim>(Resources.persistentvolumeclaims, ref.namespace, ref.name!).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
      await run(computeVolumeSync({ volume, claim }));
    } catch (e) {
      // Another writer got there first: the informer brings the new state and the key comes back.
      if (isConflict(e) || isNotFound(e)) return;
      throw e;
    }
  }

  async function run(steps: BinderStep[]): Promise<void> {
    // Each write returns the stored object; later steps build on it.
    let volume: PersistentVolume | undefined;
    let claim: PersistentVolumeClaim | undefined;
    for (const step of steps) {
      switch (step.type) {
        case 'bindVolume': {
          const target = claim ?? step.claim;
          let v = volume ?? step.volume;
          if (JSON.stringify(boundVolume(v, target).spec.claimRef) !== JSON.stringify(v.spec.claimRef) || !v.spec.claimRef?.uid) v = await client.update(Resources.persistentvolumes, boundVolume(v, target));
          if (v.status?.phase !== 'Bound') v = await client.updateStatus(Resources.persistentvolumes, { ...v, status: { ...v.status, phase: 'Bound', lastPhaseTransitionTime: formatTime() } });
          volume = v;
          break;
        }
        case 'bindClaim': {
          const v = volume ?? step.volume;
          let pvc = claim ?? step.claim;
          const next = boundClaim(pvc, v);
          if (JSON.stringify(next.metadata.annotations) !== JSON.stringify(pvc.metadata.annotations) || next.spec.volumeName !== pvc.spec.volumeName) pvc = await client.update(Resources.persistentvolumeclaims, next);
          pvc = await client.updateStatus(Resources.persistentvolumeclaims, { ...pvc, status: { ...pvc.status, phase: 'Bound', accessModes: v.spec.accessModes, capacity: v.spec.capacity } });
          claim = pvc;
          break;
        }
        case 'volumePhase': {
          const v = volume ?? step.volume;
          volume = await client.updateStatus(Resources.persistentvolumes, { ...v, status: { ...v.status, phase: step.phase, ...(step.message ? { message: step.message } : {}), lastPhaseTransitionTime: formatTime() } });
          break;
        }
        case 'claimPhase': {
          const pvc = claim ?? step.claim;
          claim = await client.updateStatus(Resources.persistentvolumeclaims, { ...pvc, status: { ...pvc.status, phase: step.phase } });
          break;
        }
        case 'annotateClaim': {
          const pvc = claim ?? step.claim;
          claim = await client.update(Resources.persistentvolumeclaims, { ...pvc, metadata: { ...pvc.metadata, annotations: { ...pvc.metadata.annotations, ...step.annotations } } });
          break;
        }
        case 'event':
          void recorder.record(step.object, step.eventType, step.reason, step.message);
          break;
      }
    }
  }

  return c;
}
