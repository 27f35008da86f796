// The kinds served right now (kube: the built-in storage the installer mounts, plus what the crdHandler serves for each
// established CustomResourceDefinition and discovery's dynamic ResourceManager lists): the built-in kinds, then the
// custom resources, set and removed per definition. Requests, discovery and the OpenAPI documents read it on every
// call, so a definition is served, listed and documented from the moment it is set.
import { findByPlural, kinds, type ResourceDef } from './kinds.js';

export class ServedKinds {
  private readonly custom = new Map<string, readonly ResourceDef[]>();
  private snapshot: readonly ResourceDef[];

  constructor(private readonly builtin: readonly ResourceDef[] = kinds) {
    this.snapshot = builtin;
  }

  /** Serves what one definition (by name) defines, in place of what it defined before. */
  set(owner: string, defs: readonly ResourceDef[]): void {
    this.custom.set(owner, defs);
    this.rebuild();
  }

  /** Stops serving what one definition defined. */
  remove(owner: string): void {
    if (this.custom.delete(owner)) this.rebuild();
  }

  private rebuild(): void {
    this.snapshot = [...this.builtin, ...[...this.custom.values()].flat()];
  }

  /** Every served kind: built-in ones first, so a custom resource never shadows one. */
  list(): readonly ResourceDef[] {
    return this.snapshot;
  }

  find(group: string, version: string, plural: string): ResourceDef | undefined {
    return findByPlural(group, version, plural, this.snapshot);
  }
}
