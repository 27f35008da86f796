// Scraping the kubelets (kube: metrics-server pkg/scraper — scraper.go and client/resource): every node's
// /metrics/resource over HTTPS at the first of its addresses by preference, authenticated with metrics-server's
// own credentials (its service-account token, or the kubeconfig's), all nodes at once, each bounded by a timeout.
import fs from 'node:fs';
import https from 'node:https';
import type { ClientConfig } from '../../api/client.js';
import type { Node } from '../../api/types.js';
import type { MetricsServerConfig } from './config.js';
import { decodeResourceMetrics, type NodeScrape } from './storage.js';

/** Where a node's kubelet is reached: its preferred address and the kubelet port. */
export function kubeletTarget(node: Node, cfg: Pick<MetricsServerConfig, 'preferredAddressTypes' | 'kubeletPort' | 'useNodeStatusPort'>): { host: string; port: number } | undefined {
  const addrs = node.status?.addresses ?? [];
  let host: string | undefined;
  for (const t of cfg.preferredAddressTypes) {
    host = addrs.find((a) => a.type === t)?.address;
    if (host) break;
  }
  if (!host) return undefined;
  const statusPort = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  return { host, port: cfg.useNodeStatusPort && statusPort ? statusPort : cfg.kubeletPort };
}

export class KubeletScraper {
  constructor(
    private readonly cfg: MetricsServerConfig,
    private readonly client: ClientConfig,
  ) {}

  private credentials(): https.RequestOptions & { headers: Record<string, string> } {
    const token = this.client.tokenFile ? fs.readFileSync(this.client.tokenFile, 'utf8').trim() : this.client.token;
    return {
      headers: { accept: 'text/plain', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(this.client.cert && this.client.key && !token ? { cert: this.client.cert, key: this.client.key } : {}),
      ...(this.cfg.kubeletInsecureTLS ? { rejectUnauthorized: false } : { ca: this.client.ca }),
    };
  }

  /** One node's resource metrics. */
  scrapeNode(node: Node): Promise<NodeScrape> {
    const target = kubeletTarget(node, this.cfg);
    if (!target) return Promise.reject(new Error(`node ${node.metadata.name} has no address of the preferred types`));
    return new Promise((resolve, reject) => {
      const req = https.request({ host: target.host, port: target.port, path: '/metrics/resource', method: 'GET', agent: false, timeout: this.cfg.scrapeTimeoutMs, ...this.credentials() }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`request failed, status: "${res.statusCode} ${res.statusMessage ?? ''}"`));
          try {
            resolve(decodeResourceMetrics(Buffer.concat(chunks).toString()));
          } catch (e) {
            reject(e);
          }
        });
      });
      req.on('timeout', () => req.destroy(new Error('context deadline exceeded')));
      req.on('error', reject);
      req.end();
    });
  }

  /** Every node at once; the ones that failed are returned with their errors. */
  async scrape(nodes: Node[]): Promise<{ round: Map<string, NodeScrape>; errors: { node: string; error: string }[] }> {
    const round = new Map<string, NodeScrape>();
    const errors: { node: string; error: string }[] = [];
    await Promise.all(
      nodes.map(async (n) => {
        try {
          round.set(n.metadata.name!, await this.scrapeNode(n));
        } catch (e) {
          errors.push({ node: n.metadata.name!, error: (e as Error).message });
        }
      }),
    );
    return { round, errors };
  }
}
