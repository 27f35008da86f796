// What the default-class admission plugins share (kube: the DefaultIngressClass and DefaultStorageClass plugins pick
// alike): among the classes marked default, the newest, then the first by name.
import type { KubeObject } from '../../../api/types.js';

export function newestMarkedDefault<T extends KubeObject>(classes: T[], isDefault: (c: T) => boolean): T | undefined {
  const created = (c: T) => Date.parse(c.metadata.creationTimestamp ?? '') || 0;
  const byName = (a: T, b: T) => (a.metadata.name! < b.metadata.name! ? -1 : a.metadata.name! > b.metadata.name! ? 1 : 0);
  return classes.filter(isDefault).sort((a, b) => created(b) - created(a) || byName(a, b))[0];
}
