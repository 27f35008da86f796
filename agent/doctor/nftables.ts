// The doctor's nftables check: parses `nft -j list table ip kube-proxy` and compares kube-proxy's nftables layout
// (pkg/proxy/nftables) with the service ports the API has — the service-ips and service-nodeports verdict map
// elements, the no-endpoint-services element of a Service without endpoints, and in each policy chain one goto per
// ready endpoint to an endpoint chain that DNATs to it. Names come from the proxier's own chains.ts.
import {
  clusterPolicyChainPrefix,
  endpointChainPrefix,
  externalChainPrefix,
  localPolicyChainPrefix,
  noEndpointServicesMap,
  serviceIPsMap,
  serviceNodePortsMap,
  servicePortChainNameBase,
  servicePortEndpointChainNameBase,
  type PortName,
} from '../proxy/nftables/chains.js';
import type { EndpointInfo } from '../proxy/endpointschange.js';
import { describe, type Difference, type ExpectedServicePort } from './expected.js';

export interface NftTable {
  chains: Set<string>;
  /** Map name → element key (`10.96.0.10 . tcp . 53`) → verdict (`goto service-…`, `drop`). */
  maps: Map<string, Map<string, string>>;
  /** Chain → the chains its rules goto or jump to. */
  targets: Map<string, Set<string>>;
  /** Chain → the `ip:port` its rules DNAT to. */
  dnat: Map<string, string>;
}

type Json = unknown;
const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `{concat: [a, b]}`, a plain value, or `{elem: {val: …, comment}}` → `a . b`. */
function keyText(v: Json): string {
  if (isObject(v) && isObject(v.elem)) return keyText(v.elem.val);
  if (isObject(v) && Array.isArray(v.concat)) return v.concat.map(keyText).join(' . ');
  return String(v);
}

function verdictText(v: Json): string {
  if (isObject(v)) {
    for (const kind of ['goto', 'jump']) {
      const t = v[kind];
      if (isObject(t)) return `${kind} ${String(t.target)}`;
    }
    return Object.keys(v)[0] ?? '';
  }
  return String(v);
}

/** Every goto/jump target and dnat anywhere in a rule's expressions (vmap elements included). */
function walk(v: Json, visit: (node: Record<string, Json>) => void): void {
  if (Array.isArray(v)) v.forEach((x) => walk(x, visit));
  else if (isObject(v)) {
    visit(v);
    Object.values(v).forEach((x) => walk(x, visit));
  }
}

/** Parses `nft -j list table ip kube-proxy` output; empty text (no table) is an empty table. */
export function parseNftJson(text: string): NftTable {
  const table: NftTable = { chains: new Set(), maps: new Map(), targets: new Map(), dnat: new Map() };
  if (!text.trim()) return table;
  const doc = JSON.parse(text) as { nftables?: Json[] };
  for (const item of doc.nftables ?? []) {
    if (!isObject(item)) continue;
    if (isObject(item.chain)) table.chains.add(String(item.chain.name));
    if (isObject(item.map)) {
      const elements = new Map<string, string>();
      for (const el of (item.map.elem as Json[] | undefined) ?? []) {
        if (Array.isArray(el)) elements.set(keyText(el[0]), verdictText(el[1]));
      }
      table.maps.set(String(item.map.name), elements);
    }
    if (isObject(item.rule)) {
      const chain = String(item.rule.chain);
      walk(item.rule.expr, (node) => {
        for (const kind of ['goto', 'jump']) {
          const t = node[kind];
          if (isObject(t) && typeof t.target === 'string') {
            if (!table.targets.has(chain)) table.targets.set(chain, new Set());
            table.targets.get(chain)!.add(t.target);
          }
        }
        if (isObject(node.dnat)) table.dnat.set(chain, `${String(node.dnat.addr)}:${String(node.dnat.port)}`);
      });
    }
  }
  return table;
}

/** The endpoint an endpoint chain's name ends in (`…__10.244.2.5/8080` → `10.244.2.5:8080`). */
function endpointOfChain(chain: string): string {
  const m = /__([^_]+)\/(\d+)$/.exec(chain);
  return m ? `${m[1]}:${m[2]}` : chain;
}

export function compareNftables(expected: ExpectedServicePort[], table: NftTable): Difference[] {
  const out: Difference[] = [];
  const map = (name: string) => table.maps.get(name) ?? new Map<string, string>();
  const wantedServiceIPs = new Set<string>();
  for (const e of expected) {
    const { svc } = e;
    const what = describe(svc);
    const [namespace, name] = svc.serviceName.split('/') as [string, string];
    const portName: PortName = { namespace, name, port: svc.portName, protocol: svc.protocol.toLowerCase() };
    const base = servicePortChainNameBase(portName);
    const clusterChain = clusterPolicyChainPrefix + base;
    const localChain = localPolicyChainPrefix + base;
    const externalChain = externalChainPrefix + base;
    const endpointChain = (ep: EndpointInfo) => endpointChainPrefix + servicePortEndpointChainNameBase(portName, ep.endpoint);
    const clusterIPKey = `${svc.clusterIP} . ${portName.protocol} . ${svc.port}`;

    if (e.hasInternalEndpoints) {
      const want = `goto ${svc.internalPolicyLocal ? localChain : clusterChain}`;
      wantedServiceIPs.add(`${clusterIPKey}>${want}`);
      const got = map(serviceIPsMap).get(clusterIPKey);
      if (got !== want) out.push({ kind: 'missing-service', message: `missing service ${what}: no ${serviceIPsMap} element${got ? ` (it says ${got}, not ${want})` : ''}` });
    } else if (!map(noEndpointServicesMap).has(clusterIPKey)) {
      out.push({ kind: 'missing-service', message: `missing service ${what}: no ${noEndpointServicesMap} element (it has no ${e.hasAnyEndpoints ? 'local ' : ''}endpoints)` });
    }
    // External and load-balancer IPs are checked only so that their elements are not reported as stale.
    if (e.hasAnyEndpoints) for (const ip of [...svc.externalIPs, ...svc.loadBalancerIPs]) wantedServiceIPs.add(`${ip} . ${portName.protocol} . ${svc.port}>goto ${externalChain}`);

    if (svc.nodePort !== 0 && e.hasAnyEndpoints && map(serviceNodePortsMap).get(`${portName.protocol} . ${svc.nodePort}`) !== `goto ${externalChain}`) {
      out.push({ kind: 'missing-service', message: `missing service ${what}: no ${serviceNodePortsMap} element for node port ${svc.nodePort}` });
    }

    const policies: [string, EndpointInfo[], boolean][] = [
      [clusterChain, e.clusterEndpoints, e.usesClusterPolicyChain],
      [localChain, e.localEndpoints, e.usesLocalPolicyChain],
    ];
    for (const [chain, endpoints, used] of policies) {
      if (!used) continue;
      if (!table.chains.has(chain)) {
        out.push({ kind: 'missing-service', message: `missing service ${what}: no ${chain} chain` });
        continue;
      }
      const targets = new Set([...(table.targets.get(chain) ?? [])].filter((t) => t.startsWith(endpointChainPrefix)));
      const wanted = new Set<string>();
      for (const ep of endpoints) {
        const c = endpointChain(ep);
        wanted.add(c);
        if (!targets.has(c)) out.push({ kind: 'missing-endpoint', message: `missing endpoint ${what} -> ${ep.endpoint}: ${chain} does not go to ${c}` });
        else if (!table.chains.has(c) || table.dnat.get(c) !== ep.endpoint) out.push({ kind: 'missing-endpoint', message: `missing endpoint ${what} -> ${ep.endpoint}: ${c} does not DNAT to it` });
      }
      for (const c of targets) {
        if (!wanted.has(c)) out.push({ kind: 'stale-endpoint', message: `stale endpoint ${what}: ${chain} goes to ${c} (${table.dnat.get(c) ?? endpointOfChain(c)} is not a ready endpoint)` });
      }
    }
  }

  for (const [key, verdict] of map(serviceIPsMap)) {
    if (wantedServiceIPs.has(`${key}>${verdict}`)) continue;
    const [ip, protocol, port] = key.split(' . ');
    // The chain name carries ns/svc/proto/port: name the service port as kube-proxy does.
    const m = /^goto [a-z]+-[A-Z0-9]{8}-([^/]+)\/([^/]+)\/[^/]+\/([^/]*)$/.exec(verdict);
    const name = m ? `${m[1]}/${m[2]}${m[3] ? `:${m[3]}` : ''}` : verdict;
    out.push({ kind: 'stale-service', message: `stale service ${name} (${ip}:${port}/${protocol?.toUpperCase()}): ${serviceIPsMap} has an element the API has no service port with ready endpoints for` });
  }
  return out;
}
