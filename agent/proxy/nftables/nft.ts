// A thin layer over the nft command, as knftables is for kube-proxy: a transaction builder that writes `nft -f`
// commands for one table in knftables' exact text form, one `nft -f -` run per transaction (the kernel applies it all
// or nothing), and the two listings a full sync needs — run through the injected Exec, so tests capture the
// documents and the netns test runs them inside a namespace.
import type { Exec, ExecResult } from '../types.js';

export class NftError extends Error {
  readonly code = 'ERR_NFT';
  constructor(
    readonly command: string,
    readonly result: ExecResult,
    detail = '',
  ) {
    super(`${command} failed (exit ${result.exitCode}): ${(result.stderr.trim() || result.stdout.trim()).split('\n')[0]}${detail}`);
  }
}

/** A set or a map, the two containers elements go in. */
export interface Container {
  kind: 'set' | 'map';
  name: string;
}

export interface ChainSpec {
  /** Base chains only. */
  type?: string;
  hook?: string;
  priority?: number;
  comment?: string;
}

export interface SetSpec {
  /** e.g. `ipv4_addr`, or `ipv4_addr . inet_proto . inet_service : verdict` for a verdict map. */
  type: string;
  flags?: string[];
  timeoutSeconds?: number;
  comment?: string;
}

const q = (s: string) => JSON.stringify(s);

/** Commands for one table, in order; `toString()` is the `nft -f` document. */
export class Transaction {
  private readonly lines: string[] = [];
  private readonly prefix: string;

  constructor(family: string, table: string) {
    this.prefix = `${family} ${table}`;
  }

  get size(): number {
    return this.lines.length;
  }

  addTable(comment?: string): void {
    this.lines.push(`add table ${this.prefix}${comment ? ` { comment ${q(comment)} ; }` : ''}`);
  }
  deleteTable(): void {
    this.lines.push(`delete table ${this.prefix}`);
  }

  addChain(name: string, spec: ChainSpec = {}): void {
    const parts: string[] = [];
    if (spec.type) parts.push(` type ${spec.type} hook ${spec.hook} priority ${spec.priority} ;`);
    if (spec.comment) parts.push(` comment ${q(spec.comment)} ;`);
    this.lines.push(`add chain ${this.prefix} ${name}${parts.length ? ` {${parts.join('')} }` : ''}`);
  }
  flushChain(name: string): void {
    this.lines.push(`flush chain ${this.prefix} ${name}`);
  }
  deleteChain(name: string): void {
    this.lines.push(`delete chain ${this.prefix} ${name}`);
  }

  addRule(chain: string, rule: string, comment?: string): void {
    this.lines.push(`add rule ${this.prefix} ${chain} ${rule}${comment ? ` comment ${q(comment)}` : ''}`);
  }

  addContainer(c: Container, spec: SetSpec): void {
    let body = ` type ${spec.type} ;`;
    if (spec.flags?.length) body += ` flags ${spec.flags.join(',')} ;`;
    if (spec.timeoutSeconds !== undefined) body += ` timeout ${spec.timeoutSeconds}s ;`;
    if (spec.comment) body += ` comment ${q(spec.comment)} ;`;
    this.lines.push(`add ${c.kind} ${this.prefix} ${c.name} {${body} }`);
  }
  flushContainer(c: Container): void {
    this.lines.push(`flush ${c.kind} ${this.prefix} ${c.name}`);
  }
  deleteContainer(c: Container): void {
    this.lines.push(`delete ${c.kind} ${this.prefix} ${c.name}`);
  }

  /** `key` parts are joined with " . "; a map element needs a value (e.g. `goto chain`, `drop`). */
  addElement(c: Container, key: string, value?: string, comment?: string): void {
    this.lines.push(`add element ${this.prefix} ${c.name} { ${key}${comment ? ` comment ${q(comment)}` : ''}${value ? ` : ${value}` : ''} }`);
  }
  deleteElement(c: Container, key: string): void {
    this.lines.push(`delete element ${this.prefix} ${c.name} { ${key} }`);
  }

  toString(): string {
    return this.lines.length ? `${this.lines.join('\n')}\n` : '';
  }
}

/** Keys of a set or map element: the parts of a concatenation, joined as nft writes them. */
export const joinKey = (...parts: (string | number)[]): string => parts.join(' . ');

export class Nft {
  constructor(
    private readonly exec: Exec,
    readonly family: string,
    readonly table: string,
  ) {}

  transaction(): Transaction {
    return new Transaction(this.family, this.table);
  }

  /** Applies a transaction atomically. */
  async run(tx: Transaction): Promise<void> {
    const doc = tx.toString();
    const r = await this.exec('nft', ['-f', '-'], { input: doc });
    if (r.exitCode === 0) return;
    // nft names the failing line ("/dev/stdin:12:5-20: Error: …"); show it, as knftables does.
    const m = /:(\d+):\d+(?:-\d+)?: Error: (.*)/.exec(r.stderr);
    const line = m ? doc.split('\n')[Number(m[1]) - 1] : undefined;
    throw new NftError('nft -f -', m ? { ...r, stderr: `Error: ${m[2]}` } : r, line ? ` (line ${m![1]}: ${line})` : '');
  }

  /** Names of the chains in our table (none if the table doesn't exist). */
  listChains(): Promise<string[]> {
    return this.list('chains', 'chain');
  }

  /** Names of the sets in our table (declarations only: `list sets` omits the elements). */
  listSets(): Promise<string[]> {
    return this.list('sets', 'set');
  }

  private async list(what: 'chains' | 'sets', kind: 'chain' | 'set'): Promise<string[]> {
    const r = await this.exec('nft', ['--json', 'list', what, this.family]);
    if (r.exitCode !== 0) throw new NftError(`nft --json list ${what} ${this.family}`, r);
    const doc = JSON.parse(r.stdout) as { nftables?: Record<string, { table?: string; name?: string } | undefined>[] };
    const out: string[] = [];
    for (const o of doc.nftables ?? []) {
      const obj = o[kind];
      if (obj?.table === this.table && obj.name) out.push(obj.name);
    }
    return out;
  }
}
