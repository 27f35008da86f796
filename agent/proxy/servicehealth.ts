// kube-proxy's service health server (pkg/proxy/healthcheck/service_health.go): for every LoadBalancer Service with
// externalTrafficPolicy Local, an HTTP server on its healthCheckNodePort answering 200 while this node has a ready
// endpoint of it (and the proxy is healthy), else 503 — how a load balancer learns which nodes to send traffic to.
// Every proxy mode feeds it after each successful sync.
import { createServer, type Server, type ServerResponse } from 'node:http';
import { logger } from '../../api/log.js';
import type { EndpointsMap } from './endpointschange.js';
import type { ServicePortMap } from './servicechange.js';
import { closeServer, listen } from '../../api/listen.js';

const log = logger('proxy-servicehealth');

/** `ns/svc` → its health check node port, for the Services that have one. */
export function healthCheckNodePorts(svcPortMap: ServicePortMap): Map<string, number> {
  const out = new Map<string, number>();
  for (const svc of svcPortMap.values()) if (svc.healthCheckNodePort) out.set(svc.serviceName, svc.healthCheckNodePort);
  return out;
}

/** `ns/svc` → how many distinct ready endpoints it has on this node (kube-proxy's LocalReadyEndpoints). */
export function localReadyEndpoints(endpointsMap: EndpointsMap): Map<string, number> {
  const ips = new Map<string, Set<string>>();
  for (const [spn, eps] of endpointsMap) {
    const service = spn.split(':')[0]!;
    for (const e of eps) {
      if (!e.isLocal || !e.ready) continue;
      let set = ips.get(service);
      if (!set) ips.set(service, (set = new Set()));
      set.add(e.ip);
    }
  }
  return new Map([...ips].map(([k, v]) => [k, v.size]));
}

export interface ServiceHealthOptions {
  /** Addresses each health check port listens on (kube-proxy: the node-port addresses, else all). */
  addresses?: string[];
  /** The proxy's own health: a service is only healthy on a healthy proxy. */
  proxyHealth?: { isHealthy(): boolean };
}

interface Instance {
  port: number;
  servers: Server[];
  endpoints: number;
}

export class ServiceHealthServer {
  private readonly addresses: string[];
  private readonly services = new Map<string, Instance>();

  constructor(private readonly opts: ServiceHealthOptions = {}) {
    this.addresses = opts.addresses?.length ? opts.addresses : ['0.0.0.0'];
  }

  /** Opens a server for every new (service, port), closes the ones no longer wanted, leaves the rest alone. */
  async syncServices(wanted: Map<string, number>): Promise<void> {
    for (const [name, inst] of this.services) {
      if (wanted.get(name) === inst.port) continue;
      log.info({ service: name, port: inst.port }, 'closing health check');
      this.services.delete(name);
      await Promise.all(inst.servers.map(closeServer));
    }
    for (const [name, port] of wanted) {
      if (this.services.has(name)) continue;
      const inst: Instance = { port, servers: [], endpoints: 0 };
      try {
        for (const address of this.addresses) {
          const server = createServer((_req, res) => this.answer(name, res));
          await listen(server, `${address.includes(':') ? `[${address}]` : address}:${port}`);
          inst.servers.push(server);
        }
      } catch (e) {
        // Another process holds the port: the others keep working; the next sync tries again.
        log.error({ service: name, port, err: (e as Error).message }, 'failed to start service health check');
        await Promise.all(inst.servers.map(closeServer));
        continue;
      }
      log.info({ service: name, port }, 'opened health check');
      this.services.set(name, inst);
    }
  }

  /** Sets each service's local endpoint count; services missing from the map have none. */
  syncEndpoints(counts: Map<string, number>): void {
    for (const [name, inst] of this.services) inst.endpoints = counts.get(name) ?? 0;
  }

  /** The port a service's health check listens on, if open. */
  port(service: string): number | undefined {
    const a = this.services.get(service)?.servers[0]?.address();
    return a && typeof a === 'object' ? a.port : undefined;
  }

  async close(): Promise<void> {
    const all = [...this.services.values()].flatMap((i) => i.servers);
    this.services.clear();
    await Promise.all(all.map(closeServer));
  }

  private answer(name: string, res: ServerResponse): void {
    const inst = this.services.get(name);
    const count = inst?.endpoints ?? 0;
    const proxyHealthy = this.opts.proxyHealth?.isHealthy() ?? true;
    const [namespace, svc] = name.split('/') as [string, string];
    res.writeHead(count > 0 && proxyHealthy ? 200 : 503, { 'Content-Type': 'application/json', 'X-Content-Type-Options': 'nosniff' });
    res.end(JSON.stringify({ service: { namespace, name: svc }, localEndpoints: count, serviceProxyHealthy: proxyHealthy }, null, '\t'));
  }
}
