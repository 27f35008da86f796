// Ingress and IngressClass validation and defaulting as kube-apiserver words them, case by case; the default class
// chosen among several.
import t from 'tap';
import type { IngressClass, KubeObject, StatusCause } from '../../../../api/types.js';
import { defaultClass } from '../../admission/defaultingressclass.js';
import { ingressClassStrategy as cls, ingressStrategy as s } from './ingress.js';

const lines = (causes: StatusCause[]) => causes.map((c) => `${c.field}: ${c.message}`);
const ing = (spec: unknown, annotations?: Record<string, string>): KubeObject => ({ metadata: { name: 'web', namespace: 'shop', ...(annotations ? { annotations } : {}) }, spec }) as KubeObject;
const check = (spec: unknown) => lines(s.validate(ing(spec)));
const svc = (name: string, port: unknown = { number: 80 }) => ({ service: { name, port } });
const rule = (paths: unknown[], host?: string) => ({ ...(host !== undefined ? { host } : {}), http: { paths } });

t.test('a valid Ingress: hosts exact and wildcard, every pathType, TLS, a class, a default backend', async (t) => {
  t.same(check({
    ingressClassName: 'kubets',
    defaultBackend: svc('fallback', { name: 'http' }),
    tls: [{ hosts: ['web.local', '*.shop.local'], secretName: 'web-tls' }, {}],
    rules: [
      rule([{ path: '/', pathType: 'Prefix', backend: svc('web') }, { path: '/api/v1', pathType: 'Exact', backend: svc('api', { name: 'grpc-web' }) }], 'web.local'),
      rule([{ pathType: 'ImplementationSpecific', backend: { resource: { apiGroup: 'k8s.example.com', kind: 'StorageBucket', name: 'static' } } }], '*.shop.local'),
      { host: 'bare.local' },
    ],
  }), []);
});

t.test('rules or a default backend; pathType required and one of three; absolute paths', async (t) => {
  t.same(check({}), ['spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified']);
  t.same(check({ rules: [] }), ['spec: Invalid value: []networking.IngressRule{}: either `defaultBackend` or `rules` must be specified']);
  t.same(check({ rules: [rule([{ path: '/', backend: svc('web') }, { path: '/', pathType: 'Regex', backend: svc('web') }, { path: 'rel', pathType: 'Prefix', backend: svc('web') }, { path: '', pathType: 'Exact', backend: svc('web') }, { path: 'x', pathType: 'ImplementationSpecific', backend: svc('web') }])] }), [
    'spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified',
    'spec.rules[0].http.paths[1].pathType: Unsupported value: "Regex": supported values: "Exact", "ImplementationSpecific", "Prefix"',
    'spec.rules[0].http.paths[2].path: Invalid value: "rel": must be an absolute path',
    'spec.rules[0].http.paths[3].path: Invalid value: "": must be an absolute path',
    'spec.rules[0].http.paths[4].path: Invalid value: "x": must be an absolute path',
  ]);
  t.same(check({ rules: [rule([{ path: '/a//b', pathType: 'Prefix', backend: svc('web') }, { path: '/a/..', pathType: 'Exact', backend: svc('web') }, { path: '/a%2Fb', pathType: 'Prefix', backend: svc('web') }])] }), [
    "spec.rules[0].http.paths[0].path: Invalid value: \"/a//b\": must not contain '//'",
    "spec.rules[0].http.paths[1].path: Invalid value: \"/a/..\": cannot end with '/..'",
    "spec.rules[0].http.paths[2].path: Invalid value: \"/a%2Fb\": must not contain '%2F'",
  ]);
  t.same(check({ rules: [{ host: 'a.local', http: { paths: [] } }] }), ['spec.rules[0].http.paths: Required value']);
});

t.test('backends: a service or a resource, never both; a service needs a port name or number', async (t) => {
  t.same(check({ defaultBackend: {} }), ['spec.defaultBackend: Invalid value: "": resource or service backend is required']);
  t.same(check({ defaultBackend: { ...svc('web'), resource: { kind: 'Bucket', name: 'b' } } }), ['spec.defaultBackend: Invalid value: "": cannot set both resource and service backends']);
  t.same(check({ defaultBackend: svc('web', {}) }), ['spec.defaultBackend: Required value: port name or number is required']);
  t.same(check({ defaultBackend: svc('web', { name: 'http', number: 80 }) }), ['spec.defaultBackend: Invalid value: "": cannot set both port name & port number']);
  t.same(check({ rules: [rule([{ path: '/', pathType: 'Prefix', backend: svc('Web_1', { number: 70000 }) }, { path: '/b', pathType: 'Prefix', backend: svc('', { name: 'Bad--Name' }) }])] }), [
    "spec.rules[0].http.paths[0].backend.service.name: Invalid value: \"Web_1\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    'spec.rules[0].http.paths[0].backend.service.port.number: Invalid value: 70000: must be between 1 and 65535, inclusive',
    'spec.rules[0].http.paths[1].backend.service.name: Required value',
    'spec.rules[0].http.paths[1].backend.service.port.name: Invalid value: "Bad--Name": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
    'spec.rules[0].http.paths[1].backend.service.port.name: Invalid value: "Bad--Name": must not contain consecutive hyphens',
  ]);
  t.same(check({ defaultBackend: { resource: { name: 'a/b' } } }), ['spec.defaultBackend.resource.kind: Required value: kind is required', "spec.defaultBackend.resource.name: Invalid value: \"a/b\": may not contain '/'"]);
});

t.test('hosts: DNS names or one wildcard label, not IPs; TLS hosts and secret names; the class name', async (t) => {
  const ok = [{ path: '/', pathType: 'Prefix', backend: svc('web') }];
  t.same(check({ rules: [rule(ok, '10.0.0.1'), rule(ok, '*.*.local'), rule(ok, 'Web.local')] }), [
    'spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
    "spec.rules[1].host: Invalid value: \"*.*.local\": a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    "spec.rules[2].host: Invalid value: \"Web.local\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  ]);
  t.match(check({ rules: [rule(ok)], tls: [{ hosts: ['UPPER.local'], secretName: 'Bad_Secret' }], ingressClassName: 'Kubets' }), [
    /^spec\.tls\[0\]\.hosts\[0\]: Invalid value: "UPPER\.local": a lowercase RFC 1123 subdomain/,
    /^spec\.tls\[0\]\.secretName: Invalid value: "Bad_Secret": a lowercase RFC 1123 subdomain/,
    /^spec\.ingressClassName: Invalid value: "Kubets": a lowercase RFC 1123 subdomain/,
  ]);
});

t.test('the class annotation and field together are refused on create only; status addresses', async (t) => {
  const both = ing({ ingressClassName: 'kubets', defaultBackend: svc('web') }, { 'kubernetes.io/ingress.class': 'nginx' });
  t.same(lines(s.validate(both)), ['annotations.kubernetes.io/ingress.class: Invalid value: "nginx": can not be set when the class field is also set']);
  t.same(lines(s.validateUpdate(both, both)), [], 'an update keeps what was stored');
  const withStatus = { ...ing({ defaultBackend: svc('web') }), status: { loadBalancer: { ingress: [{ ip: '192.168.56.11' }, { ip: 'not-an-ip' }, { hostname: '10.0.0.1' }] } } } as KubeObject;
  t.same(lines(s.validateUpdate(withStatus, withStatus)), [
    'status.loadBalancer.ingress[1].ip: Invalid value: "not-an-ip": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    'status.loadBalancer.ingress[2].hostname: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
  ]);
});

t.test('the main resource keeps the stored status; /status changes only the status', async (t) => {
  const stored = { ...ing({ defaultBackend: svc('web') }), status: { loadBalancer: { ingress: [{ ip: '192.168.56.11' }] } } } as KubeObject;
  const fromClient = { ...ing({ defaultBackend: svc('other') }), status: { loadBalancer: { ingress: [{ ip: '6.6.6.6' }] } } } as KubeObject;
  const created = structuredClone(fromClient);
  s.prepareForCreate(created);
  t.notOk((created as never as { status?: unknown }).status, 'a create sets no status');
  t.same((s.prepareForUpdate(fromClient, stored) as never as { status: unknown }).status, { loadBalancer: { ingress: [{ ip: '192.168.56.11' }] } });
});

t.test('IngressClass: a domain-prefixed controller, immutable; parameters scoped, Cluster by default', async (t) => {
  const ic = (spec: unknown): KubeObject => ({ metadata: { name: 'kubets' }, spec }) as KubeObject;
  const withParams = ic({ controller: 'kubets.io/ingress-controller', parameters: { kind: 'IngressParameters', name: 'p' } });
  cls.defaults(withParams);
  t.same((withParams as never as { spec: { parameters: unknown } }).spec.parameters, { kind: 'IngressParameters', name: 'p', scope: 'Cluster' });
  t.same(lines(cls.validate(withParams)), []);
  t.same(lines(cls.validate(ic({}))), ['spec.controller: Required value']);
  t.same(lines(cls.validate(ic({ controller: 'kubets' }))), ['spec.controller: Invalid value: "kubets": must be a domain-prefixed path (such as "acme.io/foo")']);
  t.match(lines(cls.validate(ic({ controller: 'Kubets.IO/ingress' }))), [/^spec\.controller: Invalid value: "Kubets\.IO": a lowercase RFC 1123 subdomain/]);
  t.same(lines(cls.validate(ic({ controller: 'kubets.io/a b' }))), ["spec.controller: Invalid value: \"a b\": Invalid path (regex used for validation is '[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')"]);
  t.same(lines(cls.validateUpdate(ic({ controller: 'example.com/other' }), withParams)), ['spec.controller: Invalid value: "example.com/other": field is immutable']);
  t.same(lines(cls.validate(ic({ controller: 'a.io/b', parameters: { kind: 'K', name: 'n', scope: 'Namespace' } }))), ["spec.parameters.namespace: Required value: `parameters.scope` is set to 'Namespace'"]);
  t.same(lines(cls.validate(ic({ controller: 'a.io/b', parameters: { kind: 'K', name: 'n', scope: 'Cluster', namespace: 'x' } }))), ["spec.parameters.namespace: Forbidden: `parameters.scope` is set to 'Cluster'"]);
  t.same(lines(cls.validate(ic({ controller: 'a.io/b', parameters: { kind: 'K', name: 'n', scope: 'Global' } }))), ['spec.parameters.scope: Unsupported value: "Global": supported values: "Cluster", "Namespace"']);
});

t.test('the default class: annotated "true", the newest of several, then the first by name', async (t) => {
  const c = (name: string, created: string, value?: string): IngressClass => ({ metadata: { name, creationTimestamp: created, ...(value ? { annotations: { 'ingressclass.kubernetes.io/is-default-class': value } } : {}) }, spec: { controller: 'a.io/b' } });
  t.equal(defaultClass([c('a', '2026-01-01T00:00:00Z'), c('b', '2026-01-02T00:00:00Z', 'false')]), undefined, 'none annotated "true"');
  t.equal(defaultClass([c('old', '2026-01-01T00:00:00Z', 'true'), c('new', '2026-01-02T00:00:00Z', 'true'), c('newest', '2026-01-03T00:00:00Z')])?.metadata.name, 'new');
  t.equal(defaultClass([c('y', '2026-01-01T00:00:00Z', 'true'), c('x', '2026-01-01T00:00:00Z', 'true')])?.metadata.name, 'x');
});
