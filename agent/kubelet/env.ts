// A container's environment, as kubelet_pods.go makeEnvironmentVariables builds it: envFrom first (ConfigMaps and
// Secrets, with prefix and optional), then env in order — literal values with $(VAR) expansion, or valueFrom a
// ConfigMap/Secret key, a pod field or a resource — then the Service variables (envvars.FromServices) not already
// set. Pure: the objects are read beforehand (envReferences says which) and passed in; a missing object or key
// throws with kubelet's wording, which becomes CreateContainerConfigError.
import type { Container, Pod, Service } from '../../api/types.js';
import { expand, mappingFor } from './expansion.js';
import { containerResourceValue, extractFieldPath, resourceValueByContainerName, type NodeAllocatable, type ResourceFieldSelector } from './fieldpath.js';
import type { Lookup } from './volumes/projections.js';
import type { ConfigMap, ObjectFieldSelector, Secret, VolumeMount } from './volumes/types.js';

interface KeySelector {
  name?: string;
  key: string;
  optional?: boolean;
}

export interface EnvVarSource {
  fieldRef?: ObjectFieldSelector;
  resourceFieldRef?: ResourceFieldSelector;
  configMapKeyRef?: KeySelector;
  secretKeyRef?: KeySelector;
}

export interface EnvFromSource {
  prefix?: string;
  configMapRef?: { name?: string; optional?: boolean };
  secretRef?: { name?: string; optional?: boolean };
}

/** The parts of a container the environment is built from, by their API names. */
export type EnvContainer = Container & { envFrom?: EnvFromSource[] };

export interface KeyValue {
  key: string;
  value: string;
}

export interface EnvContext {
  /** The kubelet's node name (spec.nodeName of its pods) and address. */
  nodeName: string;
  nodeIP: string;
  podIP: string;
  podIPs: string[];
  configMaps: Lookup<ConfigMap>;
  secrets: Lookup<Secret>;
  /** Every Service the kubelet knows (all namespaces); undefined: no API server, no Service variables. */
  services?: Service[];
  allocatable?: NodeAllocatable;
}

/** A container whose config cannot be made (a missing object or key, a bad subPath): CreateContainerConfigError. */
export class ContainerConfigError extends Error {
  override name = 'ContainerConfigError';
}

/** The ConfigMaps and Secrets a container's env and envFrom name. */
export function envReferences(c: EnvContainer): { configMaps: string[]; secrets: string[] } {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  for (const f of c.envFrom ?? []) {
    if (f.configMapRef?.name) configMaps.add(f.configMapRef.name);
    if (f.secretRef?.name) secrets.add(f.secretRef.name);
  }
  for (const e of c.env ?? []) {
    const from = e.valueFrom as EnvVarSource | undefined;
    if (from?.configMapKeyRef?.name) configMaps.add(from.configMapKeyRef.name);
    if (from?.secretKeyRef?.name) secrets.add(from.secretKeyRef.name);
  }
  return { configMaps: [...configMaps], secrets: [...secrets] };
}

/** makeEnvVariableName: upper case, dashes to underscores. */
const envName = (s: string) => s.toUpperCase().replace(/-/g, '_');

/** envvars.FromServices: <NAME>_SERVICE_HOST/_PORT(_<PORTNAME>) and the Docker link variables of each Service. */
export function serviceEnvVars(services: Service[]): KeyValue[] {
  const out: KeyValue[] = [];
  for (const svc of services) {
    const ip = svc.spec.clusterIP;
    const ports = svc.spec.ports ?? [];
    if (!ip || ip === 'None' || ports.length === 0) continue;
    const prefix = envName(svc.metadata.name!);
    out.push({ key: `${prefix}_SERVICE_HOST`, value: ip });
    out.push({ key: `${prefix}_SERVICE_PORT`, value: String(ports[0].port) });
    for (const p of ports) if (p.name) out.push({ key: `${prefix}_SERVICE_PORT_${envName(p.name)}`, value: String(p.port) });
    const host = ip.includes(':') ? `[${ip}]` : ip;
    ports.forEach((p, i) => {
      const proto = (p.protocol ?? 'TCP').toLowerCase();
      const url = `${proto}://${host}:${p.port}`;
      // Docker gives the first port the short name.
      if (i === 0) out.push({ key: `${prefix}_PORT`, value: url });
      const portPrefix = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
      out.push({ key: portPrefix, value: url }, { key: `${portPrefix}_PROTO`, value: proto }, { key: `${portPrefix}_PORT`, value: String(p.port) }, { key: `${portPrefix}_ADDR`, value: ip });
    });
  }
  return out;
}

/**
 * getServiceEnvVarMap: the `kubernetes` Service of the default namespace always, and with enableServiceLinks the
 * Services of the pod's own namespace (one there named `kubernetes` takes the master's place, as in kubelet).
 */
export function serviceEnvironment(services: Service[], namespace: string, enableServiceLinks: boolean): Map<string, string> {
  const chosen = new Map<string, Service>();
  const hasIP = (s: Service) => !!s.spec.clusterIP && s.spec.clusterIP !== 'None';
  const master = services.find((s) => s.metadata.namespace === 'default' && s.metadata.name === 'kubernetes' && hasIP(s));
  if (master) chosen.set('kubernetes', master);
  if (enableServiceLinks) for (const s of services) if (s.metadata.namespace === namespace && hasIP(s)) chosen.set(s.metadata.name!, s);
  const ordered = [...chosen.values()].sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
  return new Map(serviceEnvVars(ordered).map((kv) => [kv.key, kv.value]));
}

/** IsEnvVarName: what envFrom may turn into a variable name. */
const validEnvName = (k: string) => /^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(k);

function lookupObject<T>(lookup: Lookup<T>, kind: 'configmap' | 'secret', name: string, optional: boolean): T | undefined {
  const got = lookup.get(name);
  if (got instanceof Error) throw new ContainerConfigError(got.message);
  if (got) return got;
  if (optional) return undefined;
  throw new ContainerConfigError(`${kind} "${name}" not found`);
}

const secretValue = (s: Secret, key: string) => (s.data?.[key] === undefined ? undefined : Buffer.from(s.data[key], 'base64').toString('utf8'));

/** A fieldRef of an env var: the pod's metadata plus the node and address fields only env vars may use. */
function podFieldValue(pod: Pod, fieldPath: string, ctx: EnvContext): string {
  switch (fieldPath) {
    case 'spec.nodeName':
      return ctx.nodeName;
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? '';
    case 'status.hostIP':
      return ctx.nodeIP;
    case 'status.hostIPs':
      return ctx.nodeIP;
    case 'status.podIP':
      return ctx.podIPs[0] ?? ctx.podIP;
    case 'status.podIPs':
      return (ctx.podIPs.length ? ctx.podIPs : [ctx.podIP].filter(Boolean)).join(',');
  }
  return extractFieldPath(pod, fieldPath);
}

export interface Environment {
  env: KeyValue[];
  /** Warning events to record (envFrom keys skipped as invalid variable names). */
  warnings: string[];
}

export function makeEnvironmentVariables(pod: Pod, c: EnvContainer, ctx: EnvContext): Environment {
  const ns = pod.metadata.namespace ?? 'default';
  const serviceEnv = ctx.services ? serviceEnvironment(ctx.services, ns, (pod.spec.enableServiceLinks as boolean | undefined) ?? true) : new Map<string, string>();
  const env = new Map<string, string>();
  const warnings: string[] = [];

  // envFrom first, so that env can override what it brings.
  for (const from of c.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref) continue;
    const name = ref.name ?? '';
    const isConfigMap = !!from.configMapRef;
    let entries: [string, string][];
    if (isConfigMap) {
      const cm = lookupObject(ctx.configMaps, 'configmap', name, !!ref.optional);
      if (!cm) continue;
      entries = Object.entries(cm.data ?? {});
    } else {
      const secret = lookupObject(ctx.secrets, 'secret', name, !!ref.optional);
      if (!secret) continue;
      entries = Object.keys(secret.data ?? {}).map((k) => [k, secretValue(secret, k)!]);
    }
    const invalid: string[] = [];
    for (const [k, v] of entries) {
      const key = (from.prefix ?? '') + k;
      if (!validEnvName(key)) invalid.push(key);
      else env.set(key, v);
    }
    if (invalid.length) {
      warnings.push(`Keys [${invalid.sort().join(', ')}] from the EnvFrom ${isConfigMap ? 'configMap' : 'secret'} ${ns}/${name} were skipped since they are considered invalid environment variable names.`);
    }
  }

  const mapping = mappingFor(env, serviceEnv);
  for (const e of c.env ?? []) {
    let value = e.value ?? '';
    const from = e.valueFrom as EnvVarSource | undefined;
    if (value !== '') {
      value = expand(value, mapping);
    } else if (from?.fieldRef) {
      try {
        value = podFieldValue(pod, from.fieldRef.fieldPath, ctx);
      } catch (err) {
        throw new ContainerConfigError((err as Error).message);
      }
    } else if (from?.resourceFieldRef) {
      try {
        const sel = from.resourceFieldRef;
        value = sel.containerName ? resourceValueByContainerName(sel, pod, ctx.allocatable) : containerResourceValue(sel, c, ctx.allocatable);
      } catch (err) {
        throw new ContainerConfigError((err as Error).message);
      }
    } else if (from?.configMapKeyRef) {
      const { name = '', key, optional = false } = from.configMapKeyRef;
      const cm = lookupObject(ctx.configMaps, 'configmap', name, optional);
      if (!cm) continue;
      const v = cm.data?.[key];
      if (v === undefined) {
        if (optional) continue;
        throw new ContainerConfigError(`couldn't find key ${key} in ConfigMap ${ns}/${name}`);
      }
      value = v;
    } else if (from?.secretKeyRef) {
      const { name = '', key, optional = false } = from.secretKeyRef;
      const secret = lookupObject(ctx.secrets, 'secret', name, optional);
      if (!secret) continue;
      const v = secretValue(secret, key);
      if (v === undefined) {
        if (optional) continue;
        throw new ContainerConfigError(`couldn't find key ${key} in Secret ${ns}/${name}`);
      }
      value = v;
    }
    env.set(e.name, value);
  }

  const out: KeyValue[] = [...env].map(([key, value]) => ({ key, value }));
  for (const [key, value] of serviceEnv) if (!env.has(key)) out.push({ key, value });
  return { env: out, warnings };
}

const envMap = (env: KeyValue[]) => new Map(env.map((kv) => [kv.key, kv.value]));

/** ExpandContainerCommandAndArgs: $(VAR) in command and args from the final environment. */
export function expandCommandAndArgs(c: Container, env: KeyValue[]): { command: string[]; args: string[] } {
  const mapping = mappingFor(envMap(env));
  return { command: (c.command ?? []).map((s) => expand(s, mapping)), args: (c.args ?? []).map((s) => expand(s, mapping)) };
}

/** ExpandContainerVolumeMounts: a subPathExpr with every variable set and non-empty, or the names that are not. */
export function expandSubPathExpr(m: VolumeMount, env: KeyValue[]): string {
  const vars = envMap(env);
  const missing = new Set<string>();
  const expanded = expand(m.subPathExpr ?? '', (name) => {
    const v = vars.get(name);
    if (!v) missing.add(name);
    return v ?? '';
  });
  if (missing.size) throw new ContainerConfigError(`missing value for ${[...missing].sort().join(', ')}`);
  return expanded;
}
