// CustomResourceDefinitions (kube: k8s.io/apiextensions-apiserver/pkg/registry/customresourcedefinition — strategy.go
// and etcd.go's Delete, and the v1 defaults): the status is the server's (accepted names, conditions, the versions
// ever stored), the storage version joins storedVersions on every write, and a delete first adds the
// customresourcecleanup finalizer and a Terminating condition, so the CRD stays until its objects are gone.
import type { CustomResourceDefinition, CustomResourceDefinitionCondition, KubeObject } from '../../../../api/types.js';
import { formatTime } from '../../../../api/time.js';
import { validateCRD, validateCRDStatus, validateCRDUpdate } from '../../apiextensions/validation.js';
import { statusStrategy, strategy, type Strategy } from '../strategy.js';

type Any = any;

/** The finalizer that holds a CRD until the objects of its resource are deleted. */
export const CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

/** Sets a condition, keeping its transition time when its status does not change (kube's SetCRDCondition). */
export function setCondition(crd: CustomResourceDefinition, c: CustomResourceDefinitionCondition): void {
  crd.status ??= {};
  const conditions = (crd.status.conditions ??= []);
  const i = conditions.findIndex((x) => x.type === c.type);
  const old = i >= 0 ? conditions[i] : undefined;
  const next = { ...c, lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime : formatTime() };
  const ordered = { type: next.type, status: next.status, lastTransitionTime: next.lastTransitionTime, reason: next.reason, message: next.message };
  if (i >= 0) conditions[i] = ordered;
  else conditions.push(ordered);
}

export function conditionTrue(crd: CustomResourceDefinition, type: CustomResourceDefinitionCondition['type']): boolean {
  return (crd.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

/** The v1 defaults: singular and list kind from the kind, the None conversion. */
function defaults(obj: KubeObject): void {
  const spec = (obj as Any).spec;
  if (!spec || typeof spec !== 'object') return;
  const names = spec.names;
  if (names && typeof names === 'object') {
    if (!names.singular && typeof names.kind === 'string') names.singular = names.kind.toLowerCase();
    if (!names.listKind && names.kind) names.listKind = `${names.kind}List`;
  }
  spec.conversion ??= { strategy: 'None' };
}

/** The version marked storage joins the versions ever stored. */
function recordStorageVersion(crd: CustomResourceDefinition): void {
  const versions = Array.isArray(crd.spec?.versions) ? crd.spec.versions : [];
  const storage = versions.find((v) => v && v.storage);
  if (!storage) return;
  crd.status ??= {};
  const stored = (crd.status.storedVersions ??= []);
  if (!stored.includes(storage.name)) stored.push(storage.name);
}

const base = strategy({ statusSubresource: true, defaults, validate: (o, old) => (old ? validateCRDUpdate(o as CustomResourceDefinition, old as CustomResourceDefinition) : validateCRD(o as CustomResourceDefinition)) });

export const crdStrategy: Strategy = {
  ...base,
  // The name rules are validateCRD's own (a subdomain that is <plural>.<group>).
  validate: (obj) => validateCRD(obj as CustomResourceDefinition),
  prepareForCreate(obj) {
    const crd = obj as CustomResourceDefinition;
    crd.status = { acceptedNames: { plural: '', kind: '' }, storedVersions: [] };
    recordStorageVersion(crd);
  },
  prepareForUpdate(obj, old) {
    const next = base.prepareForUpdate(obj, old) as CustomResourceDefinition;
    recordStorageVersion(next);
    return next;
  },
  prepareForDelete(obj, stored) {
    if (stored?.metadata.deletionTimestamp) return;
    const crd = obj as CustomResourceDefinition;
    const finalizers = (crd.metadata.finalizers ??= []);
    if (!finalizers.includes(CLEANUP_FINALIZER)) finalizers.push(CLEANUP_FINALIZER);
    setCondition(crd, { type: 'Terminating', status: 'True', reason: 'InstanceDeletionPending', message: 'CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon' });
  },
};

/** Writes through /status: the accepted names and conditions, nothing else. */
export const crdStatusStrategy: Strategy = {
  ...statusStrategy(crdStrategy),
  validateUpdate: (obj) => validateCRDStatus(obj as CustomResourceDefinition),
};
