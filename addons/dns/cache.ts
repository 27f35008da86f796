// CoreDNS's cache plugin (plugin/cache): answers from upstream kept for their TTL, capped (`cache 30`), in two
// bounded tables — success (answers) and denial (NXDOMAIN and NODATA with an SOA, and SERVFAIL for 5 s). A cached
// answer is served with its TTLs counting down; truncated answers and other errors are never kept.
import type { Answer, DecodedPacket } from 'dns-packet';
import { flagBits, rcodes, type RR } from './message.js';

export interface CachedAnswer {
  rcode: number;
  recursionAvailable: boolean;
  authenticData: boolean;
  answers: RR[];
  authorities: RR[];
  additionals: RR[];
  kind: 'success' | 'denial';
}

interface Item extends CachedAnswer {
  storedAt: number;
  /** Seconds the item lives, and the TTL every record is given when it is stored. */
  ttl: number;
}

export interface CacheOptions {
  /** Entries per table. */
  capacity: number;
  /** The longest any answer is kept, in seconds (for both tables, as `cache 30` sets). */
  maxTTL: number;
  now?: () => number;
  onEvict?: (kind: 'success' | 'denial') => void;
}

/** The shortest any answer is kept, and how long a SERVFAIL is (MinimalDefaultTTL). */
const MIN_TTL = 5;

/** The cache key: DO and CD bits, type, class and the name in lower case (the answer to one is not the other's). */
export function cacheKey(name: string, type: string, klass: string, dnssecOK: boolean, checkingDisabled: boolean): string {
  return `${dnssecOK ? 1 : 0}${checkingDisabled ? 1 : 0}|${type}|${klass}|${name.toLowerCase()}`;
}

const withTTL = (rrs: Answer[], ttl: number): RR[] => rrs.filter((r): r is RR => r.type !== 'OPT').map((r) => ({ ...r, ttl }));

export class ResponseCache {
  private readonly success = new Map<string, Item>();
  private readonly denial = new Map<string, Item>();
  private readonly now: () => number;

  constructor(private readonly opts: CacheOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** A live entry for key, its records carrying the seconds it has left; undefined on a miss. */
  get(key: string): CachedAnswer | undefined {
    for (const table of [this.success, this.denial]) {
      const item = table.get(key);
      if (!item) continue;
      const left = item.ttl - Math.floor((this.now() - item.storedAt) / 1000);
      if (left <= 0) {
        table.delete(key);
        continue;
      }
      return { ...item, answers: withTTL(item.answers, left), authorities: withTTL(item.authorities, left), additionals: withTTL(item.additionals, left) };
    }
    return undefined;
  }

  /**
   * Stores a reply from upstream when it may be kept, and returns it as the client gets it (every record's TTL the
   * time it is kept, as CoreDNS's cache writes it); undefined when it is not kept.
   */
  set(key: string, reply: DecodedPacket): CachedAnswer | undefined {
    const flags = reply.flags ?? 0;
    if (flags & flagBits.TC) return undefined;
    const rcode = flags & 0xf;
    const answers = reply.answers ?? [];
    const authorities = reply.authorities ?? [];
    const additionals = (reply.additionals ?? []).filter((a) => a.type !== 'OPT');
    const hasSOA = authorities.some((r) => r.type === 'SOA');
    let kind: 'success' | 'denial';
    let ttl: number;
    if (rcode === rcodes.SERVFAIL) {
      kind = 'denial';
      ttl = MIN_TTL;
    } else if (rcode === rcodes.NXDOMAIN || (rcode === rcodes.NOERROR && !answers.length)) {
      // A negative answer is only as good as the SOA that says how long to believe it.
      if (!hasSOA) return undefined;
      kind = 'denial';
      ttl = this.clamp(minimalTTL([...answers, ...authorities, ...additionals]));
    } else if (rcode === rcodes.NOERROR) {
      kind = 'success';
      ttl = this.clamp(minimalTTL([...answers, ...authorities, ...additionals]));
    } else {
      return undefined;
    }
    const item: Item = {
      kind,
      rcode,
      recursionAvailable: !!(flags & flagBits.RA),
      authenticData: !!(flags & flagBits.AD),
      answers: withTTL(answers, ttl),
      authorities: withTTL(authorities, ttl),
      additionals: withTTL(additionals, ttl),
      storedAt: this.now(),
      ttl,
    };
    const table = kind === 'success' ? this.success : this.denial;
    table.delete(key);
    table.set(key, item);
    if (table.size > this.opts.capacity) {
      // The oldest entry makes room.
      table.delete(table.keys().next().value!);
      this.opts.onEvict?.(kind);
    }
    return item;
  }

  size(kind: 'success' | 'denial'): number {
    return (kind === 'success' ? this.success : this.denial).size;
  }

  private clamp(ttl: number): number {
    return Math.min(Math.max(ttl, MIN_TTL), this.opts.maxTTL);
  }
}

/** The smallest TTL among the records (MIN_TTL when there are none). */
function minimalTTL(rrs: Answer[]): number {
  let min = Infinity;
  for (const r of rrs) if (r.type !== 'OPT' && (r.ttl ?? 0) < min) min = r.ttl ?? 0;
  return min === Infinity ? MIN_TTL : min;
}
