// NetworkPolicies in the store (kube: pkg/registry/networking/networkpolicy/strategy.go): defaulted as
// pkg/apis/networking/v1/defaults.go does (protocol TCP; policyTypes Ingress, plus Egress when there are egress rules)
// and validated with pkg/apis/networking/validation's wording: selectors, ports and named ports, peers, ipBlock CIDRs.
import { isIPv6 } from 'node:net';
import { parseIPv4 } from '../../../../api/net.js';
import type { KubeObject, StatusCause } from '../../../../api/types.js';
import { strategy, type Strategy } from '../strategy.js';
import { forbidden, invalidGo, invalidValue, labelSelectorErrors, notSupported, required } from '../validation.js';

type Any = any;

const list = (v: unknown): Any[] => (Array.isArray(v) ? v : []);

export function defaults(obj: KubeObject): void {
  const spec = ((obj as Any).spec ??= {});
  spec.podSelector ??= {};
  for (const r of [...list(spec.ingress), ...list(spec.egress)]) for (const p of list(r?.ports)) if (p && typeof p === 'object') p.protocol ??= 'TCP';
  if (!list(spec.policyTypes).length) spec.policyTypes = list(spec.egress).length ? ['Ingress', 'Egress'] : ['Ingress'];
}

/** A CIDR as Go's net.ParseCIDR reads it (IPv4 or IPv6, host bits allowed): its masked address, family and prefix. */
export interface ParsedCIDR {
  bits: 32 | 128;
  prefix: number;
  /** The network address, host bits cleared. */
  base: bigint;
}

function ipv6Value(ip: string): bigint | undefined {
  if (!isIPv6(ip) || ip.includes('%')) return undefined;
  let text = ip;
  // A trailing dotted quad is the last 32 bits.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = parseIPv4(dotted[1]!);
    if (v4 === undefined) return undefined;
    text = `${text.slice(0, -dotted[1]!.length)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const tl = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - tl.length).fill('0'), ...tl];
  if (groups.length !== 8) return undefined;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

export function parseAnyCIDR(cidr: string): ParsedCIDR | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  if (!m) return undefined;
  const prefix = Number(m[2]);
  const v4 = parseIPv4(m[1]!);
  const [value, bits] = v4 !== undefined ? [BigInt(v4), 32 as const] : [ipv6Value(m[1]!), 128 as const];
  if (value === undefined || prefix > bits) return undefined;
  const host = (1n << BigInt(bits - prefix)) - 1n;
  return { bits, prefix, base: value & ~host };
}

/** Whether `inner` lies inside `outer` and is strictly smaller (ValidateIPBlock's "strict subset"). */
export function strictSubset(outer: ParsedCIDR, inner: ParsedCIDR): boolean {
  if (outer.bits !== inner.bits || outer.prefix >= inner.prefix) return false;
  const shift = BigInt(outer.bits - outer.prefix);
  return inner.base >> shift === outer.base >> shift;
}

const CIDR_MESSAGE = 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)';
export const PORT_RANGE = 'must be between 1 and 65535, inclusive';
export const isPortNumber = (n: number) => Number.isInteger(n) && n >= 1 && n <= 65535;

/** IsValidPortName's complaints, in its order. */
export function portNameMessages(name: string): string[] {
  const out: string[] = [];
  if (name.length > 15) out.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(name)) out.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(name)) out.push('must contain at least one letter (a-z)');
  if (name.includes('--')) out.push('must not contain consecutive hyphens');
  if (name.startsWith('-') || name.endsWith('-')) out.push('must not begin or end with a hyphen');
  return out;
}

function portErrors(p: Any, path: string): StatusCause[] {
  const out: StatusCause[] = [];
  if (!p || typeof p !== 'object') return out;
  if (p.protocol !== undefined && p.protocol !== null && !['TCP', 'UDP', 'SCTP'].includes(p.protocol)) out.push(notSupported(`${path}.protocol`, p.protocol, ['TCP', 'UDP', 'SCTP']));
  const hasEnd = p.endPort !== undefined && p.endPort !== null;
  if (p.port === undefined || p.port === null) {
    if (hasEnd) out.push(invalidValue(`${path}.endPort`, p.endPort, 'may not be specified when `port` is not specified'));
  } else if (typeof p.port === 'number') {
    if (!isPortNumber(p.port)) out.push(invalidValue(`${path}.port`, p.port, PORT_RANGE));
    if (hasEnd) {
      if (p.endPort < p.port) out.push(invalidValue(`${path}.endPort`, p.endPort, 'must be greater than or equal to `port`'));
      if (!isPortNumber(p.endPort)) out.push(invalidValue(`${path}.endPort`, p.endPort, PORT_RANGE));
    }
  } else {
    if (hasEnd) out.push(invalidValue(`${path}.endPort`, p.endPort, 'may not be specified when `port` is non-numeric'));
    for (const m of portNameMessages(String(p.port))) out.push(invalidValue(`${path}.port`, p.port, m));
  }
  return out;
}

function ipBlockErrors(b: Any, path: string): StatusCause[] {
  const cidr = typeof b?.cidr === 'string' ? b.cidr : '';
  if (!cidr) return [required(`${path}.cidr`)];
  const outer = parseAnyCIDR(cidr);
  if (!outer) return [invalidValue(`${path}.cidr`, cidr, CIDR_MESSAGE)];
  const out: StatusCause[] = [];
  list(b.except).forEach((e, i) => {
    const at = `${path}.except[${i}]`;
    const inner = typeof e === 'string' ? parseAnyCIDR(e) : undefined;
    if (!inner) out.push(invalidValue(at, e, CIDR_MESSAGE));
    else if (!strictSubset(outer, inner)) out.push(invalidValue(at, e, 'must be a strict subset of `cidr`'));
  });
  return out;
}

function peerErrors(peer: Any, path: string): StatusCause[] {
  const p = peer && typeof peer === 'object' ? peer : {};
  const out: StatusCause[] = [];
  let count = 0;
  if (p.podSelector) {
    count++;
    out.push(...labelSelectorErrors(`${path}.podSelector`, p.podSelector));
  }
  if (p.namespaceSelector) {
    count++;
    out.push(...labelSelectorErrors(`${path}.namespaceSelector`, p.namespaceSelector));
  }
  if (p.ipBlock) {
    count++;
    out.push(...ipBlockErrors(p.ipBlock, `${path}.ipBlock`));
  }
  if (count === 0) out.push(required(path, 'must specify a peer'));
  else if (count > 1 && p.ipBlock) out.push(forbidden(path, 'may not specify both ipBlock and another peer'));
  return out;
}

/** ValidateNetworkPolicySpec. */
export function validate(obj: KubeObject): StatusCause[] {
  const spec = (obj as Any).spec ?? {};
  const out = labelSelectorErrors('spec.podSelector', spec.podSelector);
  for (const [dir, peers] of [['ingress', 'from'], ['egress', 'to']] as const) {
    list(spec[dir]).forEach((r, i) => {
      const at = `spec.${dir}[${i}]`;
      list(r?.ports).forEach((p, j) => out.push(...portErrors(p, `${at}.ports[${j}]`)));
      list(r?.[peers]).forEach((p, j) => out.push(...peerErrors(p, `${at}.${peers}[${j}]`)));
    });
  }
  const types = list(spec.policyTypes);
  if (types.length > 2) {
    out.push(invalidGo('spec.policyTypes', `[]networking.PolicyType{${types.map((x) => JSON.stringify(x)).join(', ')}}`, 'may not specify more than two policyTypes'));
    return out;
  }
  types.forEach((x, i) => {
    if (x !== 'Ingress' && x !== 'Egress') out.push(notSupported(`spec.policyTypes[${i}]`, x, ['Ingress', 'Egress']));
  });
  return out;
}

export const networkPolicyStrategy: Strategy = strategy({ defaults, validate });
