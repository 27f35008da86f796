// CoreDNS's kubernetes plugin (plugin/kubernetes/{handler,kubernetes,parse,reverse,ns}.go with plugin/backend_lookup.go):
// the records of the Kubernetes DNS specification computed from a ClusterView. Pure: a question in, an answer out;
// the server adds the transport's concerns (flags, EDNS, truncation) and looks up CNAME targets outside the zone.
import { isIP } from 'node:net';
import type { RecordType, SoaAnswer, StringAnswer } from 'dns-packet';
import type { RR } from './message.js';
export type { RR } from './message.js';
import { canonicalIP, type ClusterView, type ServiceEntry, type SliceEntry } from './store.js';

/** The schema version of the specification this implements (dns-version.<zone> TXT). */
export const dnsSchemaVersion = '1.1.0';

export interface ZoneOptions {
  /** The cluster domain, lower case, no trailing dot. */
  zone: string;
  ttl: number;
  /** This server's own addresses: NS records name the Service whose endpoints they are. */
  localIPs: string[];
}

export interface ClusterAnswer {
  rcode: 'NOERROR' | 'NXDOMAIN' | 'REFUSED';
  answers: RR[];
  additionals: RR[];
  /** The zone's SOA, for the authority section when the answer ends up empty or the name does not exist. */
  soa?: SoaAnswer;
  /**
   * CNAMEs (ExternalName Services) whose targets lie outside the zone: the server resolves each target upstream and,
   * when that works, appends the CNAME followed by what it found — as CoreDNS does through its upstream.
   */
  chase: { cname: StringAnswer; target: string; type: RecordType }[];
}

/** One thing a name stands for, before it becomes records (CoreDNS's msg.Service). */
interface Entry {
  /** An IP address, or a name for a CNAME. */
  host: string;
  /** -1: none declared. */
  port: number;
  /** The name SRV and NS records point at for this entry. */
  target: string;
  ttl: number;
}

/** The parts of a name below the zone (CoreDNS's recordRequest). */
interface Request {
  port: string;
  protocol: string;
  endpoint: string;
  service: string;
  namespace: string;
  podOrSvc: '' | 'pod' | 'svc';
}

class NameError extends Error {
  constructor() {
    super('name does not exist');
  }
}

const maxCnameChain = 10;

const lower = (s: string) => s.toLowerCase();
const equal = (a: string, b: string) => a === b || lower(a) === lower(b);

/** Whether name is zone or below it (both lower case, no trailing dot). */
export function inZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

function parseRequest(name: string, zone: string): Request {
  const r: Request = { port: '', protocol: '', endpoint: '', service: '', namespace: '', podOrSvc: '' };
  const base = name === zone ? '' : name.slice(0, -(zone.length + 1));
  // The apex and the svc/pod subdomains exist but hold nothing: NODATA.
  if (base === '' || base === 'svc' || base === 'pod') return r;
  const segs = base.split('.');
  const kind = segs.pop()!;
  if (kind !== 'svc' && kind !== 'pod') throw new NameError();
  r.podOrSvc = kind;
  r.namespace = segs.pop() ?? '';
  r.service = segs.pop() ?? '';
  if (segs.length === 1) r.endpoint = segs[0];
  else if (segs.length === 2) {
    r.port = segs[0].replace(/^_/, '');
    r.protocol = segs[1].replace(/^_/, '');
  } else if (segs.length > 2) throw new NameError();
  return r;
}

/** An endpoint's name in its Service: its hostname, else its address with dashes (CoreDNS's endpointHostname). */
export function endpointHostname(a: { ip: string; hostname?: string }): string {
  if (a.hostname) return a.hostname;
  if (a.ip.includes('.')) return a.ip.replaceAll('.', '-');
  const v6 = a.ip.replaceAll(':', '-');
  return v6.endsWith('-') ? `${v6}0` : v6;
}

const portMatches = (r: Request, p: { name: string; protocol: string }) => (!r.port || equal(r.port, p.name)) && (!r.protocol || equal(r.protocol, p.protocol));

export class ClusterResolver {
  constructor(
    private readonly view: ClusterView,
    private readonly opts: ZoneOptions,
  ) {}

  /** The zone's SOA record (CoreDNS's: ns.dns.<zone> hostmaster.<zone>, serial = last change). */
  soa(zoneAsAsked: string): SoaAnswer {
    const { ttl } = this.opts;
    return {
      type: 'SOA',
      name: zoneAsAsked,
      ttl: Math.min(ttl, 300),
      class: 'IN',
      data: { mname: `ns.dns.${zoneAsAsked}`, rname: `hostmaster.${zoneAsAsked}`, serial: this.view.serial() >>> 0, refresh: 7200, retry: 1800, expire: 86400, minimum: ttl },
    };
  }

  /** Answers a question for a name in the cluster zone. qname is as asked (any case, no trailing dot). */
  answer(qname: string, qtype: RecordType): ClusterAnswer {
    const name = lower(qname);
    const { zone } = this.opts;
    const zoneAsAsked = qname.slice(qname.length - zone.length);
    const out: ClusterAnswer = { rcode: 'NOERROR', answers: [], additionals: [], chase: [] };
    try {
      switch (qtype) {
        case 'A':
        case 'AAAA':
          out.answers = this.addresses(qname, qtype, out, []);
          break;
        case 'TXT':
          out.answers = this.txt(qname);
          break;
        case 'CNAME': {
          const e = this.entries(name, qtype)[0];
          if (e && !isIP(e.host)) out.answers = [{ type: 'CNAME', name: qname, ttl: e.ttl, class: 'IN', data: e.host }];
          break;
        }
        case 'PTR':
          // A forward name asked for PTR: it exists or not, but has no PTR.
          this.entries(name, qtype);
          break;
        case 'SRV':
          this.srv(qname, out);
          break;
        case 'SOA':
          if (name === zone) out.answers = [this.soa(zoneAsAsked)];
          break;
        case 'AXFR':
        case 'IXFR':
          return { rcode: 'REFUSED', answers: [], additionals: [], chase: [] };
        case 'NS':
          if (name === zone) this.ns(zoneAsAsked, out);
          else this.exists(qname);
          break;
        default:
          this.exists(qname);
      }
    } catch (e) {
      if (!(e instanceof NameError)) throw e;
      return { rcode: 'NXDOMAIN', answers: [], additionals: [], soa: this.soa(zoneAsAsked), chase: [] };
    }
    out.soa = this.soa(zoneAsAsked);
    return out;
  }

  /**
   * A PTR question in a reverse zone. Undefined when the address is no Service's and no endpoint's: the question
   * falls through to the upstream resolvers (`fallthrough in-addr.arpa ip6.arpa`).
   */
  reverse(qname: string): ClusterAnswer | undefined {
    const ip = addressFromReverse(lower(qname));
    if (!ip) return undefined;
    const { zone, ttl } = this.opts;
    const ptr = (target: string): RR => ({ type: 'PTR', name: qname, ttl, class: 'IN', data: target });
    // A Service's address names the Service; only when none has it are endpoints searched.
    const svc = this.view.servicesByIP(ip)[0];
    if (svc) return { rcode: 'NOERROR', answers: [ptr(`${svc.name}.${svc.namespace}.svc.${zone}`)], additionals: [], chase: [] };
    const seen = new Set<string>();
    const answers: RR[] = [];
    for (const slice of this.view.slicesByIP(ip)) {
      for (const a of slice.addresses) {
        if (a.ip !== ip) continue;
        const target = `${endpointHostname(a)}.${slice.service}.${slice.namespace}.svc.${zone}`;
        if (!seen.has(target)) seen.add(target), answers.push(ptr(target));
      }
    }
    return answers.length ? { rcode: 'NOERROR', answers, additionals: [], chase: [] } : undefined;
  }

  /** Throws NameError unless the name exists: a type it has no records of gets NODATA, not NXDOMAIN. */
  private exists(qname: string): void {
    this.addresses(qname, 'A', { rcode: 'NOERROR', answers: [], additionals: [], chase: [] }, []);
  }

  private addresses(qname: string, qtype: 'A' | 'AAAA', out: ClusterAnswer, chain: StringAnswer[]): RR[] {
    const name = lower(qname);
    const entries = name === this.opts.zone ? [] : this.entries(name, qtype);
    const records: RR[] = [];
    const seen = new Set<string>();
    for (const e of entries) {
      const family = isIP(e.host);
      if (family === 0) {
        // A CNAME: to itself is a loop; a long chain is cut.
        if (equal(e.host, name) || chain.length > maxCnameChain) continue;
        const cname: StringAnswer = { type: 'CNAME', name: qname, ttl: e.ttl, class: 'IN', data: e.host };
        if (chain.some((c) => equal(c.name, cname.name) && equal(c.data, cname.data))) continue;
        if (inZone(lower(e.host), this.opts.zone)) {
          try {
            const next = this.addresses(e.host, qtype, out, [...chain, cname]);
            if (next.length) records.push(cname, ...next);
          } catch (err) {
            if (!(err instanceof NameError)) throw err;
          }
        } else {
          out.chase.push({ cname, target: e.host, type: qtype });
        }
        continue;
      }
      if ((family === 4) !== (qtype === 'A') || seen.has(e.host)) continue;
      seen.add(e.host);
      records.push({ type: qtype, name: qname, ttl: e.ttl, class: 'IN', data: e.host });
    }
    return records;
  }

  private txt(qname: string): RR[] {
    const name = lower(qname);
    if (name === `dns-version.${this.opts.zone}`) return [{ type: 'TXT', name: qname, ttl: 28800, class: 'IN', data: dnsSchemaVersion }];
    // Any other name: NODATA where something lives, NXDOMAIN where nothing does.
    if (!this.entries(name, 'TXT').length) throw new NameError();
    return [];
  }

  private srv(qname: string, out: ClusterAnswer): void {
    const entries = this.entries(lower(qname), 'SRV').filter((e) => isIP(e.host));
    // RFC 2782 weights: every entry of a priority shares 100 (CoreDNS counts the port-less ones too).
    const weight = Math.max(1, Math.floor(100 / Math.max(1, entries.length)));
    const seenSrv = new Set<string>();
    const seenAddr = new Set<string>();
    for (const e of entries) {
      if (e.port === -1) continue;
      const k = `${e.target}|${e.port}`;
      if (!seenSrv.has(k)) {
        seenSrv.add(k);
        out.answers.push({ type: 'SRV', name: qname, ttl: e.ttl, class: 'IN', data: { priority: 0, weight, port: e.port, target: e.target } });
      }
      const a = `${e.target}|${e.host}`;
      if (!seenAddr.has(a)) {
        seenAddr.add(a);
        out.additionals.push({ type: isIP(e.host) === 4 ? 'A' : 'AAAA', name: e.target, ttl: e.ttl, class: 'IN', data: e.host });
      }
    }
  }

  private ns(zoneAsAsked: string, out: ClusterAnswer): void {
    const seen = new Set<string>();
    for (const { name, ip } of this.nsAddresses(zoneAsAsked)) {
      out.additionals.push({ type: isIP(ip) === 4 ? 'A' : 'AAAA', name, ttl: this.opts.ttl, class: 'IN', data: ip });
      if (!seen.has(name)) seen.add(name), out.answers.push({ type: 'NS', name: zoneAsAsked, ttl: this.opts.ttl, class: 'IN', data: name });
    }
  }

  /** The addresses of this DNS server as the cluster knows it: the Service its endpoints belong to, else itself. */
  private nsAddresses(zone: string): { name: string; ip: string }[] {
    const out: { name: string; ip: string }[] = [];
    let found = false;
    for (const local of this.opts.localIPs) {
      for (const slice of this.view.slicesByIP(local)) {
        found = true;
        const svc = this.view.service(slice.namespace, slice.service);
        if (!svc) continue;
        const svcName = `${svc.name}.${svc.namespace}.svc.${zone}`;
        if (svc.headless) for (const a of slice.addresses) out.push({ name: `${endpointHostname(a)}.${svcName}`, ip: a.ip });
        else for (const ip of svc.clusterIPs) out.push({ name: svcName, ip });
      }
    }
    if (!found) for (const ip of this.opts.localIPs) out.push({ name: `ns.dns.${zone}`, ip });
    return out;
  }

  /** What a name below the zone stands for; throws NameError where the name does not exist. */
  private entries(name: string, qtype: RecordType): Entry[] {
    const { zone, ttl } = this.opts;
    if ((qtype === 'A' || qtype === 'AAAA') && name === `ns.dns.${zone}`) {
      return this.nsAddresses(zone).map((a) => ({ host: a.ip, port: 0, target: a.name, ttl }));
    }
    const r = parseRequest(name, zone);
    if (r.podOrSvc === '') return [];
    if (!this.view.namespaceExists(r.namespace)) throw new NameError();
    const entries = r.podOrSvc === 'pod' ? this.pods(r) : this.services(r);
    // SRV points at addresses only: an ExternalName has no SRV.
    return qtype === 'SRV' ? entries.filter((e) => isIP(e.host)) : entries;
  }

  /** `pods insecure`: a-b-c-d.<ns>.pod.<zone> is a-b-c-d's address, whoever has it, in any existing namespace. */
  private pods(r: Request): Entry[] {
    if (!r.service) return [];
    const { zone, ttl } = this.opts;
    const ip = (r.service.split('-').length === 4 && !r.service.includes('--') ? r.service.replaceAll('-', '.') : r.service.replaceAll('-', ':'));
    if (!isIP(ip)) throw new NameError();
    return [{ host: canonicalIP(ip), port: -1, target: `${r.service}.${r.namespace}.pod.${zone}`, ttl }];
  }

  private services(r: Request): Entry[] {
    if (!r.service) return [];
    const svc = this.view.service(r.namespace, r.service);
    if (!svc) throw new NameError();
    const entries = this.serviceEntries(svc, r);
    if (!entries.length) throw new NameError();
    return entries;
  }

  private serviceEntries(svc: ServiceEntry, r: Request): Entry[] {
    const { zone, ttl } = this.opts;
    const svcName = `${svc.name}.${svc.namespace}.svc.${zone}`;
    if (svc.type === 'ExternalName') {
      if (r.endpoint || r.port || r.protocol || !svc.externalName || isIP(svc.externalName)) return [];
      return [{ host: svc.externalName.replace(/\.$/, ''), port: -1, target: svcName, ttl }];
    }
    if (svc.headless || r.endpoint) return this.endpointEntries(svc, r, this.view.slicesOf(svc.namespace, svc.name));
    const out: Entry[] = [];
    for (const p of svc.ports) {
      if (!portMatches(r, p)) continue;
      for (const ip of svc.clusterIPs) out.push({ host: ip, port: p.port, target: svcName, ttl });
    }
    return out;
  }

  private endpointEntries(svc: ServiceEntry, r: Request, slices: SliceEntry[]): Entry[] {
    const { zone, ttl } = this.opts;
    const out: Entry[] = [];
    for (const slice of slices) {
      for (const a of slice.addresses) {
        const host = endpointHostname(a);
        if (r.endpoint && !equal(r.endpoint, host)) continue;
        for (const p of slice.ports) {
          if (!portMatches(r, p)) continue;
          out.push({ host: a.ip, port: p.port, target: `${host}.${svc.name}.${svc.namespace}.svc.${zone}`, ttl });
        }
      }
    }
    return out;
  }
}

/** The address a reverse name stands for ("4.3.2.1.in-addr.arpa" → "1.2.3.4"), or undefined. */
export function addressFromReverse(name: string): string | undefined {
  if (name.endsWith('.in-addr.arpa')) {
    const parts = name.slice(0, -'.in-addr.arpa'.length).split('.');
    const ip = parts.reverse().join('.');
    return parts.length === 4 && isIP(ip) === 4 ? ip : undefined;
  }
  if (name.endsWith('.ip6.arpa')) {
    const nibbles = name.slice(0, -'.ip6.arpa'.length).split('.');
    if (nibbles.length !== 32 || nibbles.some((n) => !/^[0-9a-f]$/.test(n))) return undefined;
    const hex = nibbles.reverse().join('');
    return canonicalIP(hex.match(/.{4}/g)!.join(':'));
  }
  return undefined;
}
