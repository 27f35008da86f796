// NetworkPolicy semantics (k8s.io/api/networking/v1, as network plugins such as Calico's Felix enforce them), as a
// pure decision: from the pods of this node, every pod, the namespaces and the policies, which traffic each local pod
// may receive and send. A pod selected by no policy of a type stays open in that direction; a selected pod allows the
// union of the matching policies' rules. Both directions are decided where the pod runs, by its IP.
import { selectorMatches } from '../../api/labels.js';
import { parseCIDR, formatCIDR } from '../../api/net.js';
import type { LabelSelector, Namespace, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, NetworkProtocol, Pod, PolicyType } from '../../api/types.js';

/** A protocol, and a port or a range of ports of it (none: every port). */
export interface PortMatch {
  protocol: NetworkProtocol;
  port?: number;
  endPort?: number;
}

/** One allowed kind of traffic: from (ingress) or to (egress) these addresses, on these ports. */
export interface Allow {
  /** The peer's addresses, as CIDRs; undefined: any address. */
  cidrs?: string[];
  /** Blocks inside cidrs that are not allowed (an ipBlock's except). */
  except?: string[];
  /** Undefined: every protocol and port. */
  ports?: PortMatch[];
}

/** A local pod isolated in one direction, and what it may still receive or send. */
export interface PodRules {
  /** namespace/name */
  pod: string;
  ip: string;
  /** Empty: nothing is allowed (default deny). */
  allow: Allow[];
}

export interface NodeRules {
  ingress: PodRules[];
  egress: PodRules[];
}

export interface Observed {
  nodeName: string;
  pods: Pod[];
  namespaces: Namespace[];
  policies: NetworkPolicy[];
}

const key = (p: Pod) => `${p.metadata.namespace}/${p.metadata.name}`;

/** Pods traffic can belong to: with an IP of their own, not finished (their IP may be someone else's by now). */
function hasOwnIP(p: Pod): boolean {
  return !!p.status?.podIP && !p.spec?.hostNetwork && p.status.phase !== 'Succeeded' && p.status.phase !== 'Failed';
}

/** policyTypes as the API server defaults them, for objects that have not been through it. */
export function policyTypes(p: NetworkPolicy): PolicyType[] {
  const given = p.spec?.policyTypes;
  if (given?.length) return given;
  return p.spec?.egress?.length ? ['Ingress', 'Egress'] : ['Ingress'];
}

/** A block's canonical text (host bits cleared), as the kernel would store it. IPv6 blocks pass unchanged. */
function canonical(cidr: string): string {
  const c = parseCIDR(cidr);
  return c ? formatCIDR(c) : cidr;
}

/** A container port named `name` of `protocol` in the pod, if it has one. */
function namedPort(pod: Pod, name: string, protocol: NetworkProtocol): number | undefined {
  for (const c of pod.spec?.containers ?? []) for (const p of c.ports ?? []) if (p.name === name && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
  return undefined;
}

/** The rule's ports for traffic to `pod`, named ports resolved on it; undefined: every port. [] matches nothing. */
function portsOn(ports: NetworkPolicyPort[] | undefined, pod: Pod): PortMatch[] | undefined {
  if (!ports?.length) return undefined;
  const out: PortMatch[] = [];
  for (const p of ports) {
    const protocol = p.protocol ?? 'TCP';
    if (p.port === undefined || p.port === null) out.push({ protocol });
    else if (typeof p.port === 'number') out.push({ protocol, port: p.port, ...(p.endPort !== undefined && p.endPort !== null && p.endPort > p.port ? { endPort: p.endPort } : {}) });
    else {
      const n = namedPort(pod, p.port, protocol);
      if (n !== undefined) out.push({ protocol, port: n });
    }
  }
  return out;
}

const hasNamedPort = (ports: NetworkPolicyPort[] | undefined) => (ports ?? []).some((p) => typeof p.port === 'string');
const onlyNumbered = (ports: NetworkPolicyPort[] | undefined) => (ports ?? []).filter((p) => typeof p.port !== 'string');

class Cluster {
  readonly live: Pod[];
  private readonly nsLabels = new Map<string, Record<string, string>>();

  constructor(o: Observed) {
    this.live = o.pods.filter(hasOwnIP).sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    for (const n of o.namespaces) this.nsLabels.set(n.metadata.name!, n.metadata.labels ?? {});
  }

  /** The pods a podSelector/namespaceSelector peer picks, for a policy of `namespace`. */
  peerPods(peer: NetworkPolicyPeer, namespace: string): Pod[] {
    const podSel: LabelSelector = peer.podSelector ?? {};
    const inNamespace = (ns: string) => (peer.namespaceSelector ? selectorMatches(peer.namespaceSelector, this.nsLabels.get(ns) ?? {}) : ns === namespace);
    return this.live.filter((p) => inNamespace(p.metadata.namespace ?? 'default') && selectorMatches(podSel, p.metadata.labels ?? {}));
  }

  /** Pods whose address lies in an ipBlock (and outside its excepts). */
  podsInBlock(block: { cidr: string; except?: string[] }): Pod[] {
    const c = parseCIDR(block.cidr);
    if (!c) return [];
    const inside = (ip: string, cidr: string) => {
      const b = parseCIDR(cidr);
      const v = parseCIDR(ip);
      return !!b && !!v && v.base >= b.base && v.base < b.base + b.size;
    };
    return this.live.filter((p) => inside(p.status!.podIP!, block.cidr) && !(block.except ?? []).some((e) => inside(p.status!.podIP!, e)));
  }
}

const hostCIDR = (p: Pod) => `${p.status!.podIP}/32`;

/** What one rule (its peers and ports) allows for traffic whose policy-side pod is `self`. */
function ruleAllows(cluster: Cluster, namespace: string, self: Pod, dir: 'ingress' | 'egress', peers: NetworkPolicyPeer[] | undefined, ports: NetworkPolicyPort[] | undefined): Allow[] {
  const out: Allow[] = [];
  const withPorts = (a: Omit<Allow, 'ports'>, pm: PortMatch[] | undefined) => {
    if (pm && pm.length === 0) return; // every port of the rule was a name the pod doesn't have
    out.push({ ...a, ...(pm ? { ports: pm } : {}) });
  };
  // Ingress: named ports are the receiving pod's own, so they resolve once, on this pod.
  // Egress: they are the destination's, so they resolve per destination pod.
  const split = dir === 'egress' && hasNamedPort(ports);
  const common = split ? onlyNumbered(ports) : ports;
  const commonPorts = split && !common?.length ? [] : portsOn(common, self);

  if (!peers?.length) {
    withPorts({}, commonPorts);
    if (split) for (const dest of cluster.live) withPorts({ cidrs: [hostCIDR(dest)] }, portsOn(ports!.filter((p) => typeof p.port === 'string'), dest));
    return out;
  }
  const selectedPods: Pod[] = [];
  for (const peer of peers) {
    if (peer.ipBlock) {
      withPorts({ cidrs: [canonical(peer.ipBlock.cidr)], ...(peer.ipBlock.except?.length ? { except: peer.ipBlock.except.map(canonical) } : {}) }, commonPorts);
      if (split) selectedPods.push(...cluster.podsInBlock(peer.ipBlock));
    } else {
      const pods = cluster.peerPods(peer, namespace);
      if (pods.length) withPorts({ cidrs: pods.map(hostCIDR) }, commonPorts);
      if (split) selectedPods.push(...pods);
    }
  }
  if (split) {
    const seen = new Set<string>();
    for (const dest of selectedPods) {
      if (seen.has(key(dest))) continue;
      seen.add(key(dest));
      withPorts({ cidrs: [hostCIDR(dest)] }, portsOn(ports!.filter((p) => typeof p.port === 'string'), dest));
    }
  }
  return out;
}

/** The rules this node programs: for each local pod some policy isolates, what it may receive and send. */
export function computeNodeRules(o: Observed): NodeRules {
  const cluster = new Cluster(o);
  const rules: NodeRules = { ingress: [], egress: [] };
  for (const pod of cluster.live) {
    if (pod.spec?.nodeName !== o.nodeName) continue;
    const namespace = pod.metadata.namespace ?? 'default';
    const applying = o.policies.filter((p) => (p.metadata.namespace ?? 'default') === namespace && selectorMatches(p.spec?.podSelector ?? {}, pod.metadata.labels ?? {}));
    const ingress = applying.filter((p) => policyTypes(p).includes('Ingress'));
    const egress = applying.filter((p) => policyTypes(p).includes('Egress'));
    const ip = pod.status!.podIP!;
    if (ingress.length) rules.ingress.push({ pod: key(pod), ip, allow: ingress.flatMap((p) => (p.spec.ingress ?? []).flatMap((r) => ruleAllows(cluster, namespace, pod, 'ingress', r.from, r.ports))) });
    if (egress.length) rules.egress.push({ pod: key(pod), ip, allow: egress.flatMap((p) => (p.spec.egress ?? []).flatMap((r) => ruleAllows(cluster, namespace, pod, 'egress', r.to, r.ports))) });
  }
  return rules;
}
