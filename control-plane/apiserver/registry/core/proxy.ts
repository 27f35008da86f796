// The proxy subresources (kube: pkg/registry/core/node/rest/proxy.go, pod/rest/subresources.go ProxyREST,
// service/proxy.go, and each kind's ResourceLocation): nodes/proxy relays to the node's kubelet on :10250 over HTTPS
// with the API server's kubelet client certificate (or to another port of the node, `nodes/NAME:PORT`); pods/proxy to
// the pod's IP (`pods/[SCHEME:]NAME[:PORT]`); services/proxy to a ready endpoint of the Service
// (`services/[SCHEME:]NAME[:PORT]`, the port by number or name). Every verb is relayed, bodies stream both ways, and an
// upgrade (WebSocket) becomes a piped connection. Authorization has already judged `<resource>/proxy` with the
// request's verb; the caller's credentials go no further than this server.
import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import dns from 'node:dns/promises';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { badRequest, StatusError } from '../../../../api/errors.js';
import type { Endpoints, Pod, Service } from '../../../../api/types.js';
import { findByPlural } from '../kinds.js';
import type { Subresource, SubresourceRequest } from '../rest.js';
import type { GenericStore } from '../store.js';
import { kubeletAddress, kubeletConfig, type KubeletClientConfig } from './kubelet-client.js';
import { relayed } from './pod-kubelet.js';

export interface ProxyTarget {
  scheme: 'http' | 'https';
  host: string;
  port?: number;
  /** Authenticate with the API server's kubelet client certificate (nodes/proxy to the kubelet's own port). */
  kubelet?: boolean;
}

/** `name`, `name:port` or `scheme:name:port` (k8s.io/apimachinery/pkg/util/net SplitSchemeNamePort); undefined when invalid. */
export function splitSchemeNamePort(id: string): { scheme: '' | 'http' | 'https'; name: string; port: string } | undefined {
  const parts = id.split(':');
  let scheme = '';
  let name: string;
  let port = '';
  if (parts.length === 1) [name] = parts;
  else if (parts.length === 2) [name, port] = parts;
  else if (parts.length === 3) [scheme, name, port] = parts;
  else return undefined;
  if (!name || !['', 'http', 'https'].includes(scheme)) return undefined;
  return { scheme: scheme as '' | 'http' | 'https', name, port };
}

const ipv4 = (ip: string) => (net.isIPv4(ip) ? ip.split('.').map(Number) : undefined);

/** Addresses the API server refuses to proxy to (proxyutil.IsProxyableIP): loopback, link-local, unspecified. */
export function isProxyableIP(ip: string): boolean {
  const v4 = ipv4(ip.startsWith('::ffff:') ? ip.slice(7) : ip);
  if (v4) return !(v4[0] === 127 || (v4[0] === 169 && v4[1] === 254) || v4.every((b) => b === 0));
  if (!net.isIPv6(ip)) return false;
  const l = ip.toLowerCase();
  return !(l === '::1' || l === '::' || /^fe[89ab]/.test(l) || /^ff0[12]:/.test(l));
}

/** Go's IP.IsGlobalUnicast: a pod IP must be one to be proxied to (pod ResourceLocation: "address not allowed"). */
export function isGlobalUnicast(ip: string): boolean {
  const v4 = ipv4(ip);
  if (v4) return isProxyableIP(ip) && v4[0] < 224 && !v4.every((b) => b === 255);
  return net.isIPv6(ip) && isProxyableIP(ip) && !ip.toLowerCase().startsWith('ff');
}

const addressNotAllowed = () => badRequest('address not allowed');

/** A node's address must be proxyable, a host name by every address it resolves to (proxyutil.IsProxyableHostname). */
async function checkProxyableHost(host: string): Promise<void> {
  const ips = net.isIP(host) ? [host] : (await dns.lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
  if (!ips.length) throw badRequest(`no addresses for hostname`);
  if (!ips.every(isProxyableIP)) throw addressNotAllowed();
}

/** Where pods/proxy goes: the pod's first IP, at the given port or its first container port. */
export function podLocation(pod: Pod, id: string): ProxyTarget {
  const p = splitSchemeNamePort(id)!;
  let port = p.port;
  if (!port) for (const c of pod.spec.containers) if (c.ports?.length) { port = String(c.ports[0].containerPort); break; }
  const ip = pod.status?.podIPs?.[0]?.ip ?? pod.status?.podIP ?? '';
  if (!isGlobalUnicast(ip)) throw addressNotAllowed();
  return { scheme: p.scheme || 'http', host: ip, ...(port ? { port: Number(port) } : {}) };
}

const serviceUnavailable = (msg: string) => new StatusError(503, 'ServiceUnavailable', msg);

/**
 * Where services/proxy goes: a ready endpoint address (one whose Pod still has that IP) of the port asked for — by
 * number through the Service's port names, by name, or the unnamed port. Subsets and addresses are tried from a
 * random start, as kube-apiserver does, to spread requests.
 */
export function serviceLocation(svc: Service, eps: Endpoints | undefined, id: string, podIPs: (ns: string, name: string) => string[] | undefined, random = Math.random): ProxyTarget {
  const p = splitSchemeNamePort(id)!;
  let portName = p.port;
  if (/^\d+$/.test(p.port)) {
    const sp = (svc.spec.ports ?? []).find((sp) => sp.port === Number(p.port));
    if (!sp) throw serviceUnavailable(`no service port ${Number(p.port)} found for service "${p.name}"`);
    portName = sp.name ?? '';
  }
  const subsets = eps?.subsets ?? [];
  if (!subsets.length) throw serviceUnavailable(`no endpoints available for service "${p.name}"`);
  const ns = svc.metadata.namespace ?? '';
  const ssSeed = Math.floor(random() * subsets.length);
  for (let i = 0; i < subsets.length; i++) {
    const ss = subsets[(ssSeed + i) % subsets.length];
    const addrs = ss.addresses ?? [];
    if (!addrs.length) continue;
    for (const port of ss.ports ?? []) {
      if ((port.name ?? '') !== portName) continue;
      const seed = Math.floor(random() * addrs.length);
      for (let j = 0; j < addrs.length; j++) {
        const a = addrs[(seed + j) % addrs.length];
        const ref = a.targetRef;
        if (!ref || ref.kind !== 'Pod' || (ref.namespace ?? ns) !== ns) continue;
        if (!podIPs(ns, ref.name)?.includes(a.ip)) continue;
        return { scheme: p.scheme || 'http', host: a.ip, port: port.port };
      }
    }
  }
  throw serviceUnavailable(`no endpoints available for service "${id}"`);
}

// ---- the relay ----

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** The path after `/proxy` in the request's raw path (encoding and trailing slash kept), "/" when there is none. */
export function proxyPath(rawPath: string, name: string): string {
  const segs = rawPath.split('/');
  const decoded = segs.map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  for (let i = 1; i < segs.length; i++) if (decoded[i] === 'proxy' && decoded[i - 1] === name) return `/${segs.slice(i + 1).join('/')}`;
  return '/';
}

const isUpgrade = (req: IncomingMessage) => /\bupgrade\b/i.test(String(req.headers.connection ?? '')) && !!req.headers.upgrade;

/** The caller's headers for the backend: hop-by-hop, credentials and impersonation headers dropped; X-Forwarded-For added. */
export function upstreamHeaders(req: IncomingMessage, target: ProxyTarget): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || HOP_BY_HOP.has(k) || k === 'host' || k === 'authorization' || k.startsWith('impersonate-')) continue;
    out[k] = v;
  }
  if (isUpgrade(req)) Object.assign(out, { connection: 'Upgrade', upgrade: req.headers.upgrade });
  const peer = req.socket.remoteAddress;
  if (peer) out['x-forwarded-for'] = req.headers['x-forwarded-for'] ? `${req.headers['x-forwarded-for']}, ${peer}` : peer;
  out.host = target.port ? `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}` : target.host;
  return out;
}

export function responseHeaders(up: IncomingMessage): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}

/** Relays the request to `target` + `path` and its answer back, streaming; an upgrade becomes piped sockets. */
export function relay(r: Pick<SubresourceRequest, 'req' | 'res' | 'method'>, target: ProxyTarget, path: string, kubelet?: KubeletClientConfig): Promise<void> {
  const { req, res } = r;
  const search = new URL(req.url ?? '/', 'http://x').search;
  const upgrade = isUpgrade(req);
  const opts: https.RequestOptions = {
    host: target.host,
    port: target.port ?? (target.scheme === 'https' ? 443 : 80),
    path: path + search,
    method: r.method,
    headers: upstreamHeaders(req, target),
    agent: false,
    timeout: kubelet?.connectTimeoutMs ?? 30_000,
    ...(target.kubelet && kubelet ? { cert: kubelet.certPem, key: kubelet.keyPem, ca: kubelet.caPem } : target.scheme === 'https' ? { rejectUnauthorized: false } : {}),
  };
  const upstream = (target.scheme === 'https' ? https : http).request(opts);
  const done = relayed(upstream, {
    res,
    closers: [res],
    client: req.socket as Duplex,
    respond: (up) => {
      res.writeHead(up.statusCode ?? 502, up.statusMessage, responseHeaders(up));
      res.flushHeaders();
      up.pipe(res);
    },
    failure: (e) => serviceUnavailable(`error trying to reach service: ${e.message}`),
  });
  if (upgrade || r.method === 'GET' || r.method === 'HEAD') upstream.end();
  else req.pipe(upstream);
  return done;
}

// ---- the subresource ----

const def = (plural: string) => findByPlural('', 'v1', plural)!;

async function podIPsOf(store: GenericStore, ns: string, name: string): Promise<string[] | undefined> {
  try {
    const pod = (await store.get(def('pods'), ns, name)) as Pod;
    return (pod.status?.podIPs ?? []).map((p) => p.ip).concat(pod.status?.podIP ? [pod.status.podIP] : []);
  } catch {
    return undefined;
  }
}

async function locate(r: SubresourceRequest): Promise<{ target: ProxyTarget; kubelet?: KubeletClientConfig }> {
  const { store, namespace, name: id } = r;
  const kind = r.def.plural;
  const parts = splitSchemeNamePort(id);
  if (!parts) throw badRequest(`invalid ${kind === 'nodes' ? 'node' : kind === 'pods' ? 'pod' : 'service'} request "${id}"`);
  if (kind === 'pods') return { target: podLocation((await store.get(r.def, namespace, parts.name)) as Pod, id) };
  if (kind === 'services') {
    const svc = (await store.get(r.def, namespace, parts.name)) as Service;
    const eps = (await store.get(def('endpoints'), namespace, parts.name).catch(() => undefined)) as Endpoints | undefined;
    const ips = new Map<string, string[] | undefined>();
    for (const ss of eps?.subsets ?? []) for (const a of ss.addresses ?? []) if (a.targetRef?.kind === 'Pod' && !ips.has(a.targetRef.name)) ips.set(a.targetRef.name, await podIPsOf(store, namespace!, a.targetRef.name));
    return { target: serviceLocation(svc, eps, id, (_ns, name) => ips.get(name)) };
  }
  // nodes
  const addr = await kubeletAddress(store, parts.name);
  await checkProxyableHost(addr.host);
  if (!parts.port || Number(parts.port) === addr.port) return { target: { scheme: 'https', host: addr.host, port: addr.port, kubelet: true }, kubelet: kubeletConfig(r.kubelet) };
  return { target: { scheme: parts.scheme || 'http', host: addr.host, port: Number(parts.port) } };
}

async function serveProxy(r: SubresourceRequest): Promise<void> {
  const { target, kubelet } = await locate(r);
  const raw = (r.req.url ?? '/').split('?')[0];
  await relay(r, target, proxyPath(raw, r.name), kubelet);
}

export const proxy: Subresource = { connect: true, serve: serveProxy };
