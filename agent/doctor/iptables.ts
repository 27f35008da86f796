// The doctor's iptables check: parses `iptables-save` and compares kube-proxy's chains (pkg/proxy/iptables) with the
// service ports the API has — the KUBE-SERVICES jump per ClusterIP, the KUBE-NODEPORTS jump per NodePort, and one
// KUBE-SEP jump (with its DNAT) per ready endpoint in each KUBE-SVC/KUBE-SVL chain. Chain names come from the
// proxier's own chains.ts.
import {
  endpointChainPrefix,
  kubeNodePortsChain,
  kubeServicesChain,
  serviceExternalChain,
  servicePortEndpointChain,
  servicePortPolicyClusterChain,
  servicePortPolicyLocalChain,
} from '../proxy/iptables/chains.js';
import type { EndpointInfo } from '../proxy/endpointschange.js';
import { describe, type Difference, type ExpectedServicePort } from './expected.js';

export interface IptablesRule {
  table: string;
  chain: string;
  /** Option → value, in whatever order iptables printed them; a negated option is keyed `!-s`. */
  opts: Map<string, string>;
  line: string;
}

export interface IptablesDump {
  /** `table` → its chains. */
  chains: Map<string, Set<string>>;
  rules: IptablesRule[];
}

/** Words of a rule, with "quoted comments" kept whole (as a shell would pass them to iptables). */
export function ruleWords(line: string): string[] {
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => (m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!));
}

/** Parses `iptables-save` (or an iptables-restore document: same syntax) output. */
export function parseIptablesSave(text: string): IptablesDump {
  const chains = new Map<string, Set<string>>();
  const rules: IptablesRule[] = [];
  let table = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) {
      table = line.slice(1).trim();
      if (!chains.has(table)) chains.set(table, new Set());
    } else if (line.startsWith(':')) {
      chains.get(table)?.add(line.slice(1).split(' ')[0]!);
    } else if (line.startsWith('-A ')) {
      const w = ruleWords(line);
      const opts = new Map<string, string>();
      let negate = false;
      for (let i = 2; i < w.length; i++) {
        const word = w[i]!;
        if (word === '!') {
          negate = true;
          continue;
        }
        if (!word.startsWith('-')) continue;
        // Options without a value (none of those compared here) just take the next word's place harmlessly.
        const value = w[i + 1] !== undefined && !w[i + 1]!.startsWith('-') ? w[++i]! : '';
        // -m comment and -m tcp repeat -m; only the matches' own options matter here.
        if (word !== '-m') opts.set(`${negate ? '!' : ''}${word}`, value);
        negate = false;
      }
      rules.push({ table, chain: w[1]!, opts, line });
    }
  }
  return { chains, rules };
}

const host = (cidr: string | undefined) => cidr?.replace(/\/32$/, '');

/** Compares kube-proxy's nat (and filter) rules with the service ports the API has. */
export function compareIptables(expected: ExpectedServicePort[], dump: IptablesDump): Difference[] {
  const out: Difference[] = [];
  const nat = dump.rules.filter((r) => r.table === 'nat');
  const natChains = dump.chains.get('nat') ?? new Set<string>();
  const rulesOf = (table: string, chain: string) => dump.rules.filter((r) => r.table === table && r.chain === chain);
  const dnatOf = (chain: string) => nat.find((r) => r.chain === chain && r.opts.get('-j') === 'DNAT')?.opts.get('--to-destination');

  const wantedClusterIPRules = new Set<string>();
  for (const e of expected) {
    const { svc } = e;
    const protocol = svc.protocol.toLowerCase();
    const what = describe(svc);
    const clusterChain = servicePortPolicyClusterChain(svc.name, protocol);
    const localChain = servicePortPolicyLocalChain(svc.name, protocol);
    const matchesClusterIP = (r: IptablesRule) => host(r.opts.get('-d')) === svc.clusterIP && r.opts.get('-p') === protocol && r.opts.get('--dport') === String(svc.port);

    if (e.hasInternalEndpoints) {
      const want = svc.internalPolicyLocal ? localChain : clusterChain;
      wantedClusterIPRules.add(`${svc.clusterIP}:${svc.port}/${protocol}>${want}`);
      const rules = rulesOf('nat', kubeServicesChain).filter(matchesClusterIP);
      if (!rules.some((r) => r.opts.get('-j') === want)) {
        const other = rules.find((r) => r.opts.get('-j'))?.opts.get('-j');
        out.push({ kind: 'missing-service', message: `missing service ${what}: no ${kubeServicesChain} rule${other ? ` (it jumps to ${other}, not ${want})` : ''}` });
      }
    } else if (dump.chains.has('filter')) {
      // No (local) endpoints: the filter table rejects (or drops) the ClusterIP instead.
      const verdict = e.hasAnyEndpoints ? 'DROP' : 'REJECT';
      if (!rulesOf('filter', kubeServicesChain).some((r) => matchesClusterIP(r) && r.opts.get('-j') === verdict)) {
        out.push({ kind: 'missing-service', message: `missing service ${what}: no ${verdict} rule in filter ${kubeServicesChain} (it has no ${e.hasAnyEndpoints ? 'local ' : ''}endpoints)` });
      }
    }

    if (svc.nodePort !== 0 && e.hasAnyEndpoints) {
      const want = serviceExternalChain(svc.name, protocol);
      const ok = rulesOf('nat', kubeNodePortsChain).some((r) => r.opts.get('-p') === protocol && r.opts.get('--dport') === String(svc.nodePort) && r.opts.get('-j') === want);
      if (!ok) out.push({ kind: 'missing-service', message: `missing service ${what}: no ${kubeNodePortsChain} rule for node port ${svc.nodePort}` });
    }

    const policies: [string, EndpointInfo[], boolean][] = [
      [clusterChain, e.clusterEndpoints, e.usesClusterPolicyChain],
      [localChain, e.localEndpoints, e.usesLocalPolicyChain],
    ];
    for (const [chain, endpoints, used] of policies) {
      if (!used) continue;
      if (!natChains.has(chain)) {
        out.push({ kind: 'missing-service', message: `missing service ${what}: no ${chain} chain` });
        continue;
      }
      const jumps = new Set(rulesOf('nat', chain).map((r) => r.opts.get('-j') ?? '').filter((j) => j.startsWith(endpointChainPrefix)));
      const wanted = new Set<string>();
      for (const ep of endpoints) {
        const sep = servicePortEndpointChain(svc.name, protocol, ep.endpoint);
        wanted.add(sep);
        if (!jumps.has(sep)) out.push({ kind: 'missing-endpoint', message: `missing endpoint ${what} -> ${ep.endpoint}: no jump from ${chain} to ${sep}` });
        else if (dnatOf(sep) !== ep.endpoint) out.push({ kind: 'missing-endpoint', message: `missing endpoint ${what} -> ${ep.endpoint}: ${sep} does not DNAT to it` });
      }
      for (const sep of jumps) {
        if (wanted.has(sep)) continue;
        const comment = rulesOf('nat', chain).find((r) => r.opts.get('-j') === sep)?.opts.get('--comment');
        const endpoint = dnatOf(sep) ?? /-> (\S+)$/.exec(comment ?? '')?.[1] ?? sep;
        out.push({ kind: 'stale-endpoint', message: `stale endpoint ${what}: ${chain} jumps to ${sep} (${endpoint} is not a ready endpoint)` });
      }
    }
  }

  // ClusterIP jumps no service port with endpoints explains: a deleted Service, or one whose endpoints all went.
  for (const r of rulesOf('nat', kubeServicesChain)) {
    const target = r.opts.get('-j') ?? '';
    const ip = host(r.opts.get('-d'));
    if (!ip || !/^KUBE-SV[CL]-/.test(target)) continue;
    const protocol = r.opts.get('-p') ?? '';
    if (wantedClusterIPRules.has(`${ip}:${r.opts.get('--dport')}/${protocol}>${target}`)) continue;
    const name = r.opts.get('--comment')?.replace(/ cluster IP$/, '') ?? target;
    out.push({ kind: 'stale-service', message: `stale service ${name} (${ip}:${r.opts.get('--dport')}/${protocol.toUpperCase()}): ${kubeServicesChain} jumps to ${target}, but the API has no such service port with ready endpoints` });
  }
  return out;
}
