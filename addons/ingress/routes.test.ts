// The routing decisions, table by table: which Ingresses are served, host matching (exact, one-label wildcards, rules
// without a host), path precedence (longest first, Exact over Prefix at equal length, element-wise Prefix), default
// backends, backends resolved to ready endpoints or to the reason they cannot serve, TLS by server name, and status.
import t from 'tap';
import type { EndpointSlice, Ingress, IngressClass, Pod, Service } from '../../api/types.js';
import { computeRoutes, controllerAddresses, matchRoute, normalizeHost, serves, statusUpToDate, tlsSecretFor, type RouteSources } from './routes.js';

const filter = { controller: 'kubets.io/ingress-controller', annotationClass: 'kubets' };
const classes: IngressClass[] = [
  { metadata: { name: 'kubets' }, spec: { controller: 'kubets.io/ingress-controller' } },
  { metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } },
];
const backend = (name: string, port: { number?: number; name?: string } = { number: 80 }) => ({ service: { name, port } });
let age = 0;
const ingress = (name: string, spec: Ingress['spec'], o: { ns?: string; annotations?: Record<string, string> } = {}): Ingress => ({
  metadata: { name, namespace: o.ns ?? 'shop', creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, age++)).toISOString(), ...(o.annotations ? { annotations: o.annotations } : {}) },
  spec: { ingressClassName: o.annotations ? undefined : 'kubets', ...spec },
});
const service = (name: string, ports: { name?: string; port: number }[] = [{ port: 80 }], ns = 'shop'): Service => ({ metadata: { name, namespace: ns }, spec: { ports: ports.map((p) => ({ ...p, protocol: 'TCP' as const })) } }) as Service;
const slice = (svc: string, ips: (string | [string, boolean])[], ports: { name?: string; port: number }[] = [{ name: '', port: 8080 }], ns = 'shop'): EndpointSlice => ({
  metadata: { name: `${svc}-${ips.length}-${ports[0]!.port}`, namespace: ns, labels: { 'kubernetes.io/service-name': svc } },
  addressType: 'IPv4',
  endpoints: ips.map((e) => (typeof e === 'string' ? { addresses: [e], conditions: { ready: true } } : { addresses: [e[0]], conditions: { ready: e[1] } })),
  ports: ports.map((p) => ({ ...p, protocol: 'TCP' as const })),
});

const names = ['web', 'api', 'v1', 'docs', 'shop-any', 'fallback', 'catchall', 'wild'];
const world = (ingresses: Ingress[]): RouteSources => ({
  ingresses,
  classes,
  services: names.map((n) => service(n)),
  slices: names.map((n, i) => slice(n, [`10.244.1.${i + 1}`])),
});
/** Which service a request reaches: its endpoint's last octet names it. */
const reach = (src: RouteSources) => {
  const table = computeRoutes(src, filter);
  return (host: string | undefined, url: string) => {
    const m = matchRoute(table, host, url);
    if (!m) return '404';
    if (m.backend.problem) return `503 ${m.backend.problem}`;
    return names[Number(m.backend.endpoints[0]!.ip.split('.')[3]) - 1];
  };
};
const p = (path: string, pathType: 'Exact' | 'Prefix' | 'ImplementationSpecific', svc: string) => ({ path, pathType, backend: backend(svc) });

t.test('served: class by field naming one of our classes, or by the old annotation', async (t) => {
  t.ok(serves(ingress('a', {}), classes, filter));
  t.notOk(serves(ingress('b', { ingressClassName: 'nginx' }), classes, filter), 'another controller\'s class');
  t.notOk(serves(ingress('c', { ingressClassName: 'missing' }), classes, filter), 'a class that does not exist');
  t.ok(serves(ingress('d', {}, { annotations: { 'kubernetes.io/ingress.class': 'kubets' } }), classes, filter), 'annotation naming our class');
  t.notOk(serves(ingress('e', {}, { annotations: { 'kubernetes.io/ingress.class': 'nginx' } }), classes, filter));
  t.notOk(serves({ metadata: { name: 'f', namespace: 'shop' }, spec: {} }, classes, filter), 'no class at all');
  const table = computeRoutes({ ...world([ingress('mine', { defaultBackend: backend('web') }), ingress('theirs', { ingressClassName: 'nginx', defaultBackend: backend('api') })]) }, filter);
  t.same(table.ingresses, ['shop/mine']);
});

t.test('paths: longest match wins, Exact over Prefix at equal length, Prefix element by element', async (t) => {
  const to = reach(world([ingress('paths', { rules: [{ host: 'shop.local', http: { paths: [p('/', 'Prefix', 'web'), p('/api', 'Prefix', 'api'), p('/api/v1', 'Prefix', 'v1'), p('/api', 'Exact', 'docs'), p('/docs/', 'Prefix', 'docs')] } }] })]));
  t.equal(to('shop.local', '/'), 'web');
  t.equal(to('shop.local', '/index.html?x=1'), 'web');
  t.equal(to('shop.local', '/api'), 'docs', 'Exact /api beats Prefix /api');
  t.equal(to('shop.local', '/api/'), 'api', 'Exact does not match a trailing slash; Prefix does');
  t.equal(to('shop.local', '/api/users'), 'api');
  t.equal(to('shop.local', '/api/v1/users'), 'v1', 'the longest prefix');
  t.equal(to('shop.local', '/api/v10'), 'api', '/api/v1 is not a prefix of /api/v10 element-wise');
  t.equal(to('shop.local', '/apis'), 'web', '/api is not a prefix of /apis');
  t.equal(to('shop.local', '/docs'), 'docs', 'a Prefix with a trailing slash matches the path without it');
  t.equal(to('SHOP.local:8080', '/api/x'), 'api', 'host matched without case and port');
  t.equal(to('shop.local', 'http://shop.local/api/v1'), 'v1', 'an absolute-form request target');
  const it = reach(world([ingress('impl', { rules: [{ http: { paths: [p('/app', 'ImplementationSpecific', 'web')] } }] })]));
  t.equal(it('any', '/app/x'), 'web', 'ImplementationSpecific as Prefix');
  t.equal(it('any', '/application'), '404');
});

t.test('hosts: exact before wildcard, a wildcard covers one label, rules without host take the rest', async (t) => {
  const to = reach(world([
    ingress('hosts', {
      rules: [
        { host: 'web.example.com', http: { paths: [p('/', 'Prefix', 'web')] } },
        { host: '*.example.com', http: { paths: [p('/', 'Prefix', 'wild')] } },
        { http: { paths: [p('/', 'Prefix', 'shop-any')] } },
      ],
    }),
  ]));
  t.equal(to('web.example.com', '/'), 'web');
  t.equal(to('api.example.com', '/'), 'wild');
  t.equal(to('a.b.example.com', '/'), 'shop-any', 'a wildcard is one label deep');
  t.equal(to('example.com', '/'), 'shop-any', 'nor does it cover the bare suffix');
  t.equal(to('10.0.0.1', '/'), 'shop-any');
  t.equal(to(undefined, '/'), 'shop-any', 'no Host header at all');
});

t.test('default backends: of the Ingress for its hosts, the catch-all for the rest, else 404', async (t) => {
  const to = reach(world([
    ingress('catchall', { defaultBackend: backend('catchall') }),
    ingress('withrules', { defaultBackend: backend('fallback'), rules: [{ host: 'shop.local', http: { paths: [p('/api', 'Prefix', 'api')] } }] }),
    ingress('later-catchall', { defaultBackend: backend('web') }),
  ]));
  t.equal(to('shop.local', '/api'), 'api');
  t.equal(to('shop.local', '/other'), 'fallback', 'the Ingress\'s own default backend for its host');
  t.equal(to('elsewhere.local', '/'), 'catchall', 'the oldest Ingress with only a default backend catches the rest');
  const none = reach(world([ingress('only', { rules: [{ host: 'shop.local', http: { paths: [p('/api', 'Exact', 'api')] } }] })]));
  t.equal(none('shop.local', '/api/x'), '404');
  t.equal(none('elsewhere.local', '/api'), '404', 'a host with rules does not fall to another host\'s');
});

t.test('conflicts: the oldest Ingress wins the same host and path', async (t) => {
  const to = reach(world([
    ingress('first', { rules: [{ host: 'shop.local', http: { paths: [p('/', 'Prefix', 'web')] } }] }),
    ingress('second', { rules: [{ host: 'shop.local', http: { paths: [p('/', 'Prefix', 'api'), p('/docs', 'Prefix', 'docs')] } }] }),
  ]));
  t.equal(to('shop.local', '/'), 'web');
  t.equal(to('shop.local', '/docs/a'), 'docs', 'paths of both Ingresses merge under one host');
});

t.test('backends: ready endpoints by the service port\'s name; what is missing answers 503', async (t) => {
  const src: RouteSources = {
    ingresses: [
      ingress('b', {
        rules: [
          {
            host: 'b.local',
            http: {
              paths: [
                { path: '/named', pathType: 'Prefix', backend: backend('multi', { name: 'admin' }) },
                { path: '/numbered', pathType: 'Prefix', backend: backend('multi', { number: 80 }) },
                { path: '/missing', pathType: 'Prefix', backend: backend('missing') },
                { path: '/noport', pathType: 'Prefix', backend: backend('multi', { number: 81 }) },
                { path: '/unready', pathType: 'Prefix', backend: backend('unready') },
                { path: '/resource', pathType: 'Prefix', backend: { resource: { kind: 'Bucket', name: 'static' } } },
              ],
            },
          },
        ],
      }),
    ],
    classes,
    services: [service('multi', [{ name: 'http', port: 80 }, { name: 'admin', port: 9000 }]), service('unready')],
    slices: [
      slice('multi', ['10.244.1.10', ['10.244.1.11', false], '10.244.2.10'], [{ name: 'http', port: 8080 }, { name: 'admin', port: 9090 }]),
      slice('multi', ['10.244.2.10', '10.244.3.10'], [{ name: 'http', port: 8080 }]),
      slice('unready', [['10.244.1.20', false]]),
      slice('multi', ['10.99.0.1'], [{ name: 'http', port: 8080 }], 'other'),
    ],
  };
  const table = computeRoutes(src, filter);
  const at = (path: string) => matchRoute(table, 'b.local', path)!.backend;
  t.same(at('/named').endpoints, [{ ip: '10.244.1.10', port: 9090 }, { ip: '10.244.2.10', port: 9090 }], 'the admin port\'s targets, ready ones only');
  t.same([...at('/numbered').endpoints].sort((a, b) => (a.ip < b.ip ? -1 : 1)), [{ ip: '10.244.1.10', port: 8080 }, { ip: '10.244.2.10', port: 8080 }, { ip: '10.244.3.10', port: 8080 }], 'merged over slices, each once, not from other namespaces');
  t.equal(at('/missing').problem, 'service shop/missing not found');
  t.equal(at('/noport').problem, 'service shop/multi has no port 81');
  t.equal(at('/unready').problem, 'service shop/unready has no ready endpoints');
  t.match(at('/resource').problem, /only Service backends are served/);
});

t.test('TLS: the secret for a server name, exact then one-label wildcard; hosts default to the rules\'', async (t) => {
  const table = computeRoutes(world([
    ingress('tls', { tls: [{ hosts: ['web.local'], secretName: 'web-tls' }, { hosts: ['*.apps.local'], secretName: 'apps-tls' }], rules: [{ host: 'web.local', http: { paths: [p('/', 'Prefix', 'web')] } }] }),
    ingress('implicit', { tls: [{ secretName: 'docs-tls' }], rules: [{ host: 'docs.local', http: { paths: [p('/', 'Prefix', 'docs')] } }] }),
    ingress('dup', { tls: [{ hosts: ['web.local'], secretName: 'later-tls' }], defaultBackend: backend('web') }),
  ]), filter);
  t.equal(tlsSecretFor(table, 'web.local'), 'shop/web-tls', 'the oldest Ingress\'s certificate for a host');
  t.equal(tlsSecretFor(table, 'a.apps.local'), 'shop/apps-tls');
  t.equal(tlsSecretFor(table, 'a.b.apps.local'), undefined);
  t.equal(tlsSecretFor(table, 'docs.local'), 'shop/docs-tls', 'no hosts: those of the Ingress\'s rules');
  t.equal(tlsSecretFor(table, 'other.local'), undefined);
});

t.test('status: the nodes of running controller pods, sorted, compared before writing', async (t) => {
  const pod = (name: string, phase: string, hostIP?: string, deleting = false): Pod => ({ metadata: { name, ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) }, spec: { containers: [] }, status: { phase, hostIP } }) as unknown as Pod;
  const ips = controllerAddresses([pod('a', 'Running', '192.168.56.12'), pod('b', 'Running', '192.168.56.11'), pod('c', 'Pending', '192.168.56.13'), pod('d', 'Running', '192.168.56.13', true), pod('e', 'Running', '192.168.56.11')]);
  t.same(ips, ['192.168.56.11', '192.168.56.12']);
  const ing = ingress('s', { defaultBackend: backend('web') });
  t.notOk(statusUpToDate(ing, ips));
  t.ok(statusUpToDate({ ...ing, status: { loadBalancer: { ingress: [{ ip: '192.168.56.11' }, { ip: '192.168.56.12' }] } } }, ips));
  t.notOk(statusUpToDate({ ...ing, status: { loadBalancer: { ingress: [{ ip: '192.168.56.11' }] } } }, ips));
  t.equal(normalizeHost('[::1]:443'), '[::1]');
  t.equal(normalizeHost('Web.Local.'), 'web.local');
});
