// Prometheus' Kubernetes service discovery (prometheus/discovery/kubernetes: node.go, endpoints.go, pod.go) served
// over Prometheus' HTTP SD protocol (http_sd_configs). Debian builds Prometheus without its Kubernetes discovery (its
// client library is not packaged), so this companion of the Prometheus pod keeps nodes, endpoints, services and pods
// by list+watch with the pod's service account and answers each poll from memory with target groups carrying the same
// __meta_kubernetes_* labels: the relabelling written for kubernetes_sd_configs applies unchanged.
import { createServer, type Server } from 'node:http';
import type { ApiClient } from '../../api/client.js';
import { InformerFactory, type Informer } from '../../api/informer.js';
import { Resources } from '../../api/resources.js';
import type { Endpoints, Node, Pod, Service } from '../../api/types.js';
import { boundPort, closeServer, listen } from '../../api/listen.js';

export type Role = 'node' | 'endpoints' | 'pod';
export const ROLES: readonly Role[] = ['node', 'endpoints', 'pod'];

/** One HTTP SD target group. */
export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** A label name from a Kubernetes label or annotation key (Prometheus' strutil.SanitizeLabelName). */
const sanitize = (s: string) => s.replace(/[^a-zA-Z0-9_]/g, '_');

function mapLabels(prefix: string, m: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m ?? {})) {
    out[`${prefix}_${sanitize(k)}`] = v;
    out[`${prefix}present_${sanitize(k)}`] = 'true';
  }
  return out;
}

const joinHostPort = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/** The node role: one target per node at its first address (InternalIP first) and the kubelet's port. */
export function nodeGroups(nodes: Node[]): TargetGroup[] {
  const groups: TargetGroup[] = [];
  for (const n of nodes) {
    const addresses = n.status?.addresses ?? [];
    const addr = ['InternalIP', 'InternalDNS', 'ExternalIP', 'ExternalDNS', 'Hostname'].map((type) => addresses.find((a) => a.type === type)).find(Boolean);
    if (!addr) continue;
    const port = (n.status as { daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } } | undefined)?.daemonEndpoints?.kubeletEndpoint?.Port ?? 10250;
    const labels: Record<string, string> = {
      instance: n.metadata.name!,
      __meta_kubernetes_node_name: n.metadata.name!,
      __meta_kubernetes_node_provider_id: n.spec?.providerID ?? '',
      ...mapLabels('__meta_kubernetes_node_label', n.metadata.labels),
      ...mapLabels('__meta_kubernetes_node_annotation', n.metadata.annotations),
    };
    for (const a of addresses) labels[`__meta_kubernetes_node_address_${a.type}`] ??= a.address;
    groups.push({ targets: [joinHostPort(addr.address, port)], labels });
  }
  return groups;
}

const podReady = (p: Pod) => String(p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True');

/** The labels every target of a pod carries. */
function podLabels(p: Pod): Record<string, string> {
  const owner = p.metadata.ownerReferences?.find((o) => o.controller);
  return {
    __meta_kubernetes_namespace: p.metadata.namespace!,
    __meta_kubernetes_pod_name: p.metadata.name!,
    __meta_kubernetes_pod_ip: p.status?.podIP ?? '',
    __meta_kubernetes_pod_ready: podReady(p),
    __meta_kubernetes_pod_phase: p.status?.phase ?? '',
    __meta_kubernetes_pod_node_name: p.spec.nodeName ?? '',
    __meta_kubernetes_pod_host_ip: p.status?.hostIP ?? '',
    __meta_kubernetes_pod_uid: p.metadata.uid ?? '',
    ...(owner ? { __meta_kubernetes_pod_controller_kind: owner.kind, __meta_kubernetes_pod_controller_name: owner.name } : {}),
    ...mapLabels('__meta_kubernetes_pod_label', p.metadata.labels),
    ...mapLabels('__meta_kubernetes_pod_annotation', p.metadata.annotations),
  };
}

/** The pod role: one target per declared container port, one per container without ports; pods without an IP have none. */
export function podGroups(pods: Pod[]): TargetGroup[] {
  const groups: TargetGroup[] = [];
  for (const p of pods) {
    const ip = p.status?.podIP;
    if (!ip) continue;
    const base = podLabels(p);
    for (const c of p.spec.containers) {
      const container = { __meta_kubernetes_pod_container_name: c.name, __meta_kubernetes_pod_container_image: c.image ?? '', __meta_kubernetes_pod_container_init: 'false' };
      if (!c.ports?.length) {
        groups.push({ targets: [ip], labels: { ...base, ...container } });
        continue;
      }
      for (const port of c.ports) {
        groups.push({
          targets: [joinHostPort(ip, port.containerPort)],
          labels: { ...base, ...container, __meta_kubernetes_pod_container_port_name: port.name ?? '', __meta_kubernetes_pod_container_port_number: String(port.containerPort), __meta_kubernetes_pod_container_port_protocol: port.protocol ?? 'TCP' },
        });
      }
    }
  }
  return groups;
}

/** The endpoints role: one target per address and port of each Endpoints, with its Service's and pod's labels. */
export function endpointsGroups(endpoints: Endpoints[], services: Service[], pods: Pod[]): TargetGroup[] {
  const svcs = new Map(services.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]));
  const podsByKey = new Map(pods.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p]));
  const groups: TargetGroup[] = [];
  for (const ep of endpoints) {
    const ns = ep.metadata.namespace!;
    const svc = svcs.get(`${ns}/${ep.metadata.name}`);
    const base: Record<string, string> = {
      __meta_kubernetes_namespace: ns,
      __meta_kubernetes_endpoints_name: ep.metadata.name!,
      ...mapLabels('__meta_kubernetes_endpoints_label', ep.metadata.labels),
      ...(svc ? { __meta_kubernetes_service_name: svc.metadata.name!, ...mapLabels('__meta_kubernetes_service_label', svc.metadata.labels), ...mapLabels('__meta_kubernetes_service_annotation', svc.metadata.annotations) } : {}),
    };
    for (const subset of ep.subsets ?? []) {
      const addresses = [...(subset.addresses ?? []).map((a) => ({ a, ready: 'true' })), ...(subset.notReadyAddresses ?? []).map((a) => ({ a, ready: 'false' }))];
      for (const { a, ready } of addresses) {
        const target = a.targetRef;
        const pod = target?.kind === 'Pod' ? podsByKey.get(`${target.namespace ?? ns}/${target.name}`) : undefined;
        for (const port of subset.ports ?? []) {
          groups.push({
            targets: [joinHostPort(a.ip, port.port)],
            labels: {
              ...(pod ? podLabels(pod) : {}),
              ...base,
              __meta_kubernetes_endpoint_port_name: port.name ?? '',
              __meta_kubernetes_endpoint_port_protocol: port.protocol ?? 'TCP',
              __meta_kubernetes_endpoint_ready: ready,
              ...(a.nodeName ? { __meta_kubernetes_endpoint_node_name: a.nodeName } : {}),
              ...(target ? { __meta_kubernetes_endpoint_address_target_kind: target.kind ?? '', __meta_kubernetes_endpoint_address_target_name: target.name ?? '' } : {}),
            },
          });
        }
      }
    }
  }
  return groups;
}

/** How long a poll waits for the first lists before it is answered 503, by default. */
const SYNC_WAIT_MS = 10_000;

export class NotSyncedError extends Error {
  constructor(readonly resources: string[]) {
    super(`not yet listed: ${resources.join(', ')}`);
  }
}

/** Nodes, pods, endpoints and services, kept by list+watch: every poll is answered from memory, as Prometheus' own discovery does. */
export class TargetCache {
  private readonly informers: InformerFactory;
  private readonly nodes: Informer<Node>;
  private readonly pods: Informer<Pod>;
  private readonly endpoints: Informer<Endpoints>;
  private readonly services: Informer<Service>;
  /** Each role's groups as last computed; a watch event drops the roles it changes, the next poll recomputes them. */
  private readonly groups = new Map<Role, TargetGroup[]>();

  constructor(
    client: ApiClient,
    private readonly syncWaitMs = SYNC_WAIT_MS,
  ) {
    this.informers = new InformerFactory(client);
    this.nodes = this.informers.for<Node>(Resources.nodes);
    this.pods = this.informers.for<Pod>(Resources.pods);
    this.endpoints = this.informers.for<Endpoints>(Resources.endpoints);
    this.services = this.informers.for<Service>(Resources.services);
    const invalidate = (...roles: Role[]) => {
      const drop = () => roles.forEach((r) => this.groups.delete(r));
      return { onAdd: drop, onUpdate: drop, onDelete: drop };
    };
    this.nodes.addHandlers(invalidate('node'));
    this.pods.addHandlers(invalidate('pod', 'endpoints'));
    this.endpoints.addHandlers(invalidate('endpoints'));
    this.services.addHandlers(invalidate('endpoints'));
  }

  start(): void {
    this.informers.start();
  }

  /**
   * The role's target groups (of one namespace when given; nodes have none) once every list has been loaded; a
   * NotSyncedError when that takes longer than syncWaitMs (Prometheus keeps its last targets and asks again).
   */
  async discover(role: Role, namespace?: string): Promise<TargetGroup[]> {
    const all = [this.nodes, this.pods, this.endpoints, this.services];
    if (!all.every((i) => i.hasSynced())) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), this.syncWaitMs)));
      const synced = await Promise.race([this.informers.waitForSync().then(() => true), timedOut]).finally(() => clearTimeout(timer));
      if (!synced) throw new NotSyncedError(all.filter((i) => !i.hasSynced()).map((i) => i.resource.plural));
    }
    let groups = this.groups.get(role);
    if (!groups) {
      groups = role === 'node' ? nodeGroups(this.nodes.list()) : role === 'pod' ? podGroups(this.pods.list()) : endpointsGroups(this.endpoints.list(), this.services.list(), this.pods.list());
      this.groups.set(role, groups);
    }
    return namespace && role !== 'node' ? groups.filter((g) => g.labels.__meta_kubernetes_namespace === namespace) : groups;
  }

  close(): Promise<void> {
    return this.informers.close();
  }
}

/** The HTTP SD endpoint: GET /sd/<role>[?namespace=NS] answers the role's target groups as JSON. */
export class DiscoveryServer {
  private server?: Server;
  private readonly targets: TargetCache;

  constructor(
    client: ApiClient,
    private readonly bindAddress: string,
    opts: { syncWaitMs?: number } = {},
  ) {
    this.targets = new TargetCache(client, opts.syncWaitMs);
  }

  async listen(): Promise<void> {
    if (this.server) return;
    this.targets.start();
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://sd');
      const role = /^\/sd\/([a-z]+)$/.exec(url.pathname)?.[1] as Role | undefined;
      if (url.pathname === '/healthz') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      if (!role || !ROLES.includes(role)) return void res.writeHead(404, { 'content-type': 'text/plain' }).end(`unknown role: want /sd/{${ROLES.join(',')}}\n`);
      this.targets.discover(role, url.searchParams.get('namespace') || undefined).then(
        (groups) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(groups)),
        (e: Error) => res.writeHead(e instanceof NotSyncedError ? 503 : 502, { 'content-type': 'text/plain' }).end(`${e.message}\n`),
      );
    });
    await listen(this.server, this.bindAddress);
  }

  port(): number {
    return boundPort(this.server);
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await closeServer(s);
    await this.targets.close();
  }
}
