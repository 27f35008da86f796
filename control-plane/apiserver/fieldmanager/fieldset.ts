// Sets of field paths, the currency of server-side apply: which fields a manager owns, which fields a write
// added, changed or removed. A set is a trie keyed by path elements in their FieldsV1 spelling:
//   f:<name>             a field of a struct or a key of a map
//   k:{"name":"web"}     an item of a list-map, by its key fields (sorted by name)
//   v:"x"                an item of a set-like list, by its value
//   i:3                  an item of a list by position (lists that are neither, rarely)
// A path is a member of the set, a prefix of members (a child node), or both; FieldsV1 marks "both" with ".".

type Json = unknown;

/** One step of a path, in its FieldsV1 spelling. */
export type PathElement = string;
export type Path = PathElement[];

export const fieldPE = (name: string): PathElement => `f:${name}`;
export const valuePE = (v: Json): PathElement => `v:${JSON.stringify(v)}`;
export const indexPE = (i: number): PathElement => `i:${i}`;

/** A list-map key: the key fields, sorted by name, as one JSON object. */
export function keyPE(fields: [string, Json][]): PathElement {
  const sorted = [...fields].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `k:{${sorted.map(([n, v]) => `${JSON.stringify(n)}:${JSON.stringify(v)}`).join(',')}}`;
}

/** The field name of an f: element, or undefined for other elements. */
export function fieldName(pe: PathElement): string | undefined {
  return pe.startsWith('f:') ? pe.slice(2) : undefined;
}

const typeRank: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };

/** The order structured-merge-diff gives values: numbers, strings, booleans, lists, maps (null first). */
function compareValues(a: Json, b: Json): number {
  const rank = (v: Json) => (v === null ? -1 : typeof v === 'number' ? 0 : typeof v === 'string' ? 1 : typeof v === 'boolean' ? 2 : Array.isArray(v) ? 3 : 4);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  if (typeof a === 'number') return a < (b as number) ? -1 : a > (b as number) ? 1 : 0;
  if (typeof a === 'string') return a < (b as string) ? -1 : a > (b as string) ? 1 : 0;
  if (typeof a === 'boolean') return a === b ? 0 : a ? 1 : -1;
  if (Array.isArray(a)) {
    const bl = b as Json[];
    for (let i = 0; i < Math.min(a.length, bl.length); i++) {
      const c = compareValues(a[i], bl[i]);
      if (c) return c;
    }
    return a.length - bl.length;
  }
  if (a && typeof a === 'object') return compareFieldLists(Object.entries(a).sort(), Object.entries(b as object).sort());
  return 0;
}

function compareFieldLists(a: [string, Json][], b: [string, Json][]): number {
  for (let i = 0; ; i++) {
    if (i >= a.length && i >= b.length) return 0;
    if (i >= a.length) return -1;
    if (i >= b.length) return 1;
    if (a[i][0] !== b[i][0]) return a[i][0] < b[i][0] ? -1 : 1;
    const c = compareValues(a[i][1], b[i][1]);
    if (c) return c;
  }
}

/** The order path elements are serialized in (fields, then keys, values, indices). */
export function comparePE(a: PathElement, b: PathElement): number {
  const ta = typeRank[a[0]] ?? 4;
  const tb = typeRank[b[0]] ?? 4;
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ra = a.slice(2);
  const rb = b.slice(2);
  switch (a[0]) {
    case 'f':
      return ra < rb ? -1 : ra > rb ? 1 : 0;
    case 'k':
      return compareFieldLists(Object.entries(JSON.parse(ra) as object), Object.entries(JSON.parse(rb) as object));
    case 'v':
      return compareValues(JSON.parse(ra), JSON.parse(rb));
    case 'i':
      return Number(ra) - Number(rb);
    default:
      return ra < rb ? -1 : ra > rb ? 1 : 0;
  }
}

/** Go's %q for a string is close enough to JSON's quoting for the printable strings keys hold. */
function valueString(v: Json): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(valueString).join(',')}]`;
  if (typeof v === 'object') return `{${Object.entries(v as object).map(([k, x]) => `${k}=${valueString(x)}`).join(',')}}`;
  return String(v);
}

/** A path as kube-apiserver prints it in conflicts: .spec.containers[name="web"].image */
export function pathString(path: Path): string {
  return path
    .map((pe) => {
      const rest = pe.slice(2);
      switch (pe[0]) {
        case 'f':
          return `.${rest}`;
        case 'k':
          return `[${Object.entries(JSON.parse(rest) as object).map(([k, v]) => `${k}=${valueString(v)}`).join(',')}]`;
        case 'v':
          return `[=${valueString(JSON.parse(rest))}]`;
        case 'i':
          return `[${rest}]`;
        default:
          return pe;
      }
    })
    .join('');
}

export class FieldSet {
  readonly members = new Set<PathElement>();
  /** Never holds an empty set. */
  readonly children = new Map<PathElement, FieldSet>();

  static of(...paths: Path[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  insert(path: Path): void {
    if (path.length === 0) return;
    let node: FieldSet = this;
    for (const pe of path.slice(0, -1)) {
      let child = node.children.get(pe);
      if (!child) node.children.set(pe, (child = new FieldSet()));
      node = child;
    }
    node.members.add(path[path.length - 1]);
  }

  has(path: Path): boolean {
    if (path.length === 0) return false;
    let node: FieldSet | undefined = this;
    for (const pe of path.slice(0, -1)) {
      node = node.children.get(pe);
      if (!node) return false;
    }
    return node.members.has(path[path.length - 1]);
  }

  isEmpty(): boolean {
    return this.members.size === 0 && this.children.size === 0;
  }

  /** The members below one path element, as a set of its own. */
  withPrefix(pe: PathElement): FieldSet {
    return this.children.get(pe) ?? new FieldSet();
  }

  copy(): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) out.members.add(m);
    for (const [pe, c] of this.children) out.children.set(pe, c.copy());
    return out;
  }

  union(o: FieldSet): FieldSet {
    const out = this.copy();
    for (const m of o.members) out.members.add(m);
    for (const [pe, c] of o.children) {
      const mine = out.children.get(pe);
      out.children.set(pe, mine ? mine.union(c) : c.copy());
    }
    return out;
  }

  intersection(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (o.members.has(m)) out.members.add(m);
    for (const [pe, c] of this.children) {
      const theirs = o.children.get(pe);
      if (!theirs) continue;
      const both = c.intersection(theirs);
      if (!both.isEmpty()) out.children.set(pe, both);
    }
    return out;
  }

  /** Members of this set that are not members of o (a member of o does not cover paths below it). */
  difference(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (!o.members.has(m)) out.members.add(m);
    for (const [pe, c] of this.children) {
      const theirs = o.children.get(pe);
      const rest = theirs ? c.difference(theirs) : c.copy();
      if (!rest.isEmpty()) out.children.set(pe, rest);
    }
    return out;
  }

  /** Like difference, but a member of o also removes everything below it. */
  recursiveDifference(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (!o.members.has(m)) out.members.add(m);
    for (const [pe, c] of this.children) {
      if (o.members.has(pe)) continue;
      const theirs = o.children.get(pe);
      const rest = theirs ? c.recursiveDifference(theirs) : c.copy();
      if (!rest.isEmpty()) out.children.set(pe, rest);
    }
    return out;
  }

  /** Only the paths under the given top-level elements. */
  only(pes: PathElement[]): FieldSet {
    const out = new FieldSet();
    for (const pe of pes) {
      if (this.members.has(pe)) out.members.add(pe);
      const c = this.children.get(pe);
      if (c) out.children.set(pe, c.copy());
    }
    return out;
  }

  equals(o: FieldSet): boolean {
    if (this.members.size !== o.members.size || this.children.size !== o.children.size) return false;
    for (const m of this.members) if (!o.members.has(m)) return false;
    for (const [pe, c] of this.children) {
      const theirs = o.children.get(pe);
      if (!theirs || !c.equals(theirs)) return false;
    }
    return true;
  }

  /** Every member path, members of a node before the paths below it, each in serialization order. */
  paths(prefix: Path = []): Path[] {
    const out: Path[] = [];
    for (const m of [...this.members].sort(comparePE)) out.push([...prefix, m]);
    for (const pe of [...this.children.keys()].sort(comparePE)) out.push(...this.children.get(pe)!.paths([...prefix, pe]));
    return out;
  }

  /** The FieldsV1 JSON form, with keys in structured-merge-diff's order. */
  toFieldsV1(): Record<string, unknown> {
    return this.emit(false);
  }

  private emit(self: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (self && !this.isEmpty()) out['.'] = {};
    const keys = [...new Set([...this.members, ...this.children.keys()])].sort(comparePE);
    for (const k of keys) {
      const c = this.children.get(k);
      out[k] = c ? c.emit(this.members.has(k)) : {};
    }
    return out;
  }

  static fromFieldsV1(json: unknown): FieldSet {
    if (!json || typeof json !== 'object' || Array.isArray(json)) throw new Error('FieldsV1 must be a JSON object');
    const out = new FieldSet();
    for (const [k, v] of Object.entries(json as Record<string, unknown>)) {
      if (k === '.') continue;
      if (!/^[fkvi]:/.test(k)) continue; // unknown element types are skipped, as kube-apiserver does
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error(`FieldsV1 entry ${k} must be an object`);
      const entries = Object.keys(v);
      const child = FieldSet.fromFieldsV1(v);
      if (entries.length === 0 || entries.includes('.')) out.members.add(normalizePE(k));
      if (!child.isEmpty()) out.children.set(normalizePE(k), child);
    }
    return out;
  }

  toString(): string {
    return this.paths().map(pathString).join('\n');
  }
}

/** Re-spells k: and v: elements canonically, so that sets read from stored FieldsV1 compare equal to computed ones. */
function normalizePE(pe: string): PathElement {
  if (pe.startsWith('k:')) return keyPE(Object.entries(JSON.parse(pe.slice(2)) as object));
  if (pe.startsWith('v:')) return valuePE(JSON.parse(pe.slice(2)));
  return pe;
}
