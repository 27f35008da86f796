// Ingresses and IngressClasses in the store (kube: pkg/registry/networking/ingress and ingressclass, strategy.go):
// validated with pkg/apis/networking/validation's wording — rules, hosts (exact or one wildcard label), paths and their
// pathType, backends (a Service by port name or number, or a resource), TLS, the class — and IngressClass's defaults
// (parameters scope Cluster) and its immutable controller.
import { isIP } from 'node:net';
import type { KubeObject, StatusCause } from '../../../../api/types.js';
import { INGRESS_CLASS_ANNOTATION } from '../../../../api/types.js';
import { strategy, type Strategy } from '../strategy.js';
import { dns1035Errors, forbidden, invalidGo, invalidValue, labelErrors, notSupported, pathSegmentNameErrors, required, subdomainErrors, subdomainMessages, tooLong } from '../validation.js';
import { isPortNumber, PORT_RANGE, portNameMessages } from './networkpolicy.js';

type Any = any;

const list = (v: unknown): Any[] => (Array.isArray(v) ? v : []);
const isObject = (v: unknown): v is Any => !!v && typeof v === 'object';

const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];
const INVALID_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const INVALID_SUFFIXES = ['/..', '/.'];

/** IsWildcardDNS1123Subdomain's complaints. */
function wildcardMessages(v: string): string[] {
  const out: string[] = [];
  if (v.length > 253) out.push('must be no more than 253 characters');
  if (!/^\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(v))
    out.push(`a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`);
  return out;
}

/** A host of a rule or a TLS entry: a wildcard when it has a '*', else a DNS subdomain. */
const hostMessages = (host: string) => (host.includes('*') ? wildcardMessages(host) : subdomainMessages(host));

/** validateIngressBackend. */
function backendErrors(b: Any, path: string): StatusCause[] {
  const hasResource = isObject(b?.resource);
  const hasService = isObject(b?.service);
  if (hasResource && hasService) return [invalidValue(path, '', 'cannot set both resource and service backends')];
  if (hasResource) return typedReferenceErrors(b.resource, `${path}.resource`);
  if (!hasService) return [invalidValue(path, '', 'resource or service backend is required')];
  const out: StatusCause[] = [];
  const svc = b.service;
  const name = typeof svc.name === 'string' ? svc.name : '';
  if (!name) out.push(required(`${path}.service.name`));
  else out.push(...dns1035Errors(`${path}.service.name`, name));
  const portName = typeof svc.port?.name === 'string' ? svc.port.name : '';
  const portNumber = typeof svc.port?.number === 'number' ? svc.port.number : 0;
  if (portName && portNumber) out.push(invalidValue(path, '', 'cannot set both port name & port number'));
  else if (portName) for (const m of portNameMessages(portName)) out.push(invalidValue(`${path}.service.port.name`, portName, m));
  else if (portNumber) {
    if (!isPortNumber(portNumber)) out.push(invalidValue(`${path}.service.port.number`, portNumber, PORT_RANGE));
  } else out.push(required(path, 'port name or number is required'));
  return out;
}

/** validateIngressTypedLocalObjectReference: a resource backend or an IngressClass's parameters. */
function typedReferenceErrors(r: Any, path: string): StatusCause[] {
  const out: StatusCause[] = [];
  if (typeof r.apiGroup === 'string') out.push(...subdomainErrors(`${path}.apiGroup`, r.apiGroup));
  if (!r.kind) out.push(required(`${path}.kind`, 'kind is required'));
  else out.push(...pathSegmentNameErrors(`${path}.kind`, String(r.kind)));
  if (!r.name) out.push(required(`${path}.name`, 'name is required'));
  else out.push(...pathSegmentNameErrors(`${path}.name`, String(r.name)));
  return out;
}

/** validateHTTPIngressPath: pathType is required and decides what the path may be. */
function pathErrors(p: Any, at: string): StatusCause[] {
  const type = p?.pathType;
  if (type === undefined || type === null) return [required(`${at}.pathType`, 'pathType must be specified')];
  const out: StatusCause[] = [];
  const path = typeof p.path === 'string' ? p.path : '';
  if (type === 'Exact' || type === 'Prefix') {
    if (!path.startsWith('/')) out.push(invalidValue(`${at}.path`, path, 'must be an absolute path'));
    for (const seq of INVALID_SEQUENCES) if (path.includes(seq)) out.push(invalidValue(`${at}.path`, path, `must not contain '${seq}'`));
    for (const suffix of INVALID_SUFFIXES) if (path.endsWith(suffix)) out.push(invalidValue(`${at}.path`, path, `cannot end with '${suffix}'`));
  } else if (type === 'ImplementationSpecific') {
    if (path && !path.startsWith('/')) out.push(invalidValue(`${at}.path`, path, 'must be an absolute path'));
  } else out.push(notSupported(`${at}.pathType`, type, PATH_TYPES));
  out.push(...backendErrors(p.backend, `${at}.backend`));
  return out;
}

function rulesErrors(rules: Any[]): StatusCause[] {
  const out: StatusCause[] = [];
  rules.forEach((r, i) => {
    const at = `spec.rules[${i}]`;
    const host = typeof r?.host === 'string' ? r.host : '';
    if (host) {
      if (isIP(host)) out.push(invalidValue(`${at}.host`, host, 'must be a DNS name, not an IP address'));
      for (const m of hostMessages(host)) out.push(invalidValue(`${at}.host`, host, m));
    }
    if (isObject(r?.http)) {
      const paths = list(r.http.paths);
      if (!paths.length) out.push(required(`${at}.http.paths`));
      paths.forEach((p, j) => out.push(...pathErrors(p, `${at}.http.paths[${j}]`)));
    }
  });
  return out;
}

function tlsErrors(tls: Any[]): StatusCause[] {
  const out: StatusCause[] = [];
  tls.forEach((entry, i) => {
    list(entry?.hosts).forEach((h, j) => {
      for (const m of hostMessages(String(h))) out.push(invalidValue(`spec.tls[${i}].hosts[${j}]`, h, m));
    });
    if (typeof entry?.secretName === 'string' && entry.secretName) out.push(...subdomainErrors(`spec.tls[${i}].secretName`, entry.secretName));
  });
  return out;
}

/** ValidateIngressLoadBalancerStatus: addresses are IPs, hostnames are DNS names. */
function loadBalancerErrors(status: Any): StatusCause[] {
  const out: StatusCause[] = [];
  list(status?.loadBalancer?.ingress).forEach((lb, i) => {
    const at = `status.loadBalancer.ingress[${i}]`;
    if (lb?.ip && !isIP(String(lb.ip))) out.push(invalidValue(`${at}.ip`, lb.ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
    if (lb?.hostname) {
      out.push(...subdomainErrors(`${at}.hostname`, String(lb.hostname)));
      if (isIP(String(lb.hostname))) out.push(invalidValue(`${at}.hostname`, lb.hostname, 'must be a DNS name, not an IP address'));
    }
  });
  return out;
}

/** ValidateIngressCreate / ValidateIngressUpdate (metadata aside, which the common strategy checks). */
export function validateIngress(obj: KubeObject, old?: KubeObject): StatusCause[] {
  const o = obj as Any;
  const spec = o.spec ?? {};
  const out: StatusCause[] = [];
  const rules = list(spec.rules);
  if (!rules.length && !isObject(spec.defaultBackend)) out.push(invalidGo('spec', Array.isArray(spec.rules) ? '[]networking.IngressRule{}' : '[]networking.IngressRule(nil)', 'either `defaultBackend` or `rules` must be specified'));
  if (isObject(spec.defaultBackend)) out.push(...backendErrors(spec.defaultBackend, 'spec.defaultBackend'));
  out.push(...rulesErrors(rules));
  out.push(...tlsErrors(list(spec.tls)));
  if (typeof spec.ingressClassName === 'string') out.push(...subdomainErrors('spec.ingressClassName', spec.ingressClassName));
  const annotation = o.metadata?.annotations?.[INGRESS_CLASS_ANNOTATION];
  if (!old && annotation !== undefined && spec.ingressClassName !== undefined && spec.ingressClassName !== null)
    out.push(invalidValue(`annotations.${INGRESS_CLASS_ANNOTATION}`, annotation, 'can not be set when the class field is also set'));
  out.push(...loadBalancerErrors(o.status));
  return out;
}

/** SetDefaults_IngressClass: parameters are cluster-scoped unless they say otherwise. */
export function defaultIngressClass(obj: KubeObject): void {
  const params = (obj as Any).spec?.parameters;
  if (isObject(params)) params.scope ??= 'Cluster';
}

/** IsDomainPrefixedPath, as validateIngressClassSpec uses it for spec.controller. */
function domainPrefixedPathErrors(field: string, v: string): StatusCause[] {
  if (!v) return [required(field)];
  const slash = v.indexOf('/');
  const [host, path] = slash < 0 ? [v, ''] : [v.slice(0, slash), v.slice(slash + 1)];
  if (!host || !path) return [invalidValue(field, v, 'must be a domain-prefixed path (such as "acme.io/foo")')];
  const out = subdomainErrors(field, host);
  if (!/^[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/.test(path)) out.push(invalidValue(field, path, "Invalid path (regex used for validation is '[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')"));
  return out;
}

/** ValidateIngressClass / ValidateIngressClassUpdate. */
export function validateIngressClass(obj: KubeObject, old?: KubeObject): StatusCause[] {
  const spec = (obj as Any).spec ?? {};
  const out: StatusCause[] = [];
  const controller = typeof spec.controller === 'string' ? spec.controller : '';
  if (old && controller !== ((old as Any).spec?.controller ?? '')) out.push(invalidValue('spec.controller', controller, 'field is immutable'));
  if (controller.length > 250) out.push(tooLong('spec.controller', 250));
  out.push(...domainPrefixedPathErrors('spec.controller', controller));
  const params = spec.parameters;
  if (isObject(params)) {
    out.push(...typedReferenceErrors(params, 'spec.parameters'));
    const scope = params.scope;
    if (scope === undefined || scope === null) out.push(required('spec.parameters.scope'));
    else if (scope !== 'Cluster' && scope !== 'Namespace') out.push(notSupported('spec.parameters.scope', scope, ['Cluster', 'Namespace']));
    else if (scope === 'Namespace') {
      if (typeof params.namespace !== 'string') out.push(required('spec.parameters.namespace', "`parameters.scope` is set to 'Namespace'"));
      else out.push(...labelErrors('spec.parameters.namespace', params.namespace));
    } else if (params.namespace !== undefined && params.namespace !== null) out.push(forbidden('spec.parameters.namespace', "`parameters.scope` is set to 'Cluster'"));
  }
  return out;
}

export const ingressStrategy: Strategy = strategy({ statusSubresource: true, validate: validateIngress });
export const ingressClassStrategy: Strategy = strategy({ defaults: defaultIngressClass, validate: validateIngressClass });
