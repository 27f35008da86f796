// The downward API's values (kubernetes pkg/fieldpath and pkg/api/v1/resource): a pod's own metadata by field path,
// and a container's requests and limits by resource name and divisor. Shared by env vars and downwardAPI volumes.
import type { Container, Pod } from '../../api/types.js';
import { parseQuantity } from '../../api/quantity.js';

/** What the node can give pods: the defaults of limits a container does not set (cores and bytes). */
export interface NodeAllocatable {
  cpu: number;
  memory: number;
  ephemeralStorage?: number;
}

export interface ResourceFieldSelector {
  containerName?: string;
  resource: string;
  divisor?: string | number;
}

/** Go's %q for a string, as FormatMap uses it: quotes, escapes and \x.. for control characters. */
function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\v') out += '\\v';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Labels and annotations as the downward API writes them: key="value" lines in key order. */
export function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${goQuote(m![k])}`)
    .join('\n');
}

export class FieldPathError extends Error {
  override name = 'FieldPathError';
}

/** fieldpath.ExtractFieldPathAsString: the metadata fields a downwardAPI volume may project. */
export function extractFieldPath(pod: Pod, fieldPath: string): string {
  const m = pod.metadata;
  const subscript = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(fieldPath);
  if (subscript) return (subscript[1] === 'labels' ? m.labels : m.annotations)?.[subscript[2]] ?? '';
  switch (fieldPath) {
    case 'metadata.annotations':
      return formatMap(m.annotations);
    case 'metadata.labels':
      return formatMap(m.labels);
    case 'metadata.name':
      return m.name ?? '';
    case 'metadata.namespace':
      return m.namespace ?? '';
    case 'metadata.uid':
      return m.uid ?? '';
  }
  throw new FieldPathError(`unsupported fieldPath: ${fieldPath}`);
}

/**
 * A container's request or limit divided by the divisor, rounded up (ExtractContainerResourceValue). A limit the
 * container does not set is the node's allocatable, as the kubelet defaults it for the downward API.
 */
export function containerResourceValue(sel: ResourceFieldSelector, c: Container, allocatable: NodeAllocatable | undefined): string {
  const divisor = parseQuantity(sel.divisor ?? 0) || 1;
  const limits = c.resources?.limits ?? {};
  const requests = c.resources?.requests ?? {};
  const limit = (name: string, fallback: number | undefined) => (limits[name] !== undefined ? parseQuantity(limits[name]) : fallback ?? 0);
  const cpu = (v: number) => String(Math.ceil(Math.ceil(v * 1000) / Math.ceil(divisor * 1000)));
  const bytes = (v: number) => String(Math.ceil(Math.ceil(v) / Math.ceil(divisor)));
  switch (sel.resource) {
    case 'limits.cpu':
      return cpu(limit('cpu', allocatable?.cpu));
    case 'requests.cpu':
      return cpu(parseQuantity(requests.cpu));
    case 'limits.memory':
      return bytes(limit('memory', allocatable?.memory));
    case 'requests.memory':
      return bytes(parseQuantity(requests.memory));
    case 'limits.ephemeral-storage':
      return bytes(limit('ephemeral-storage', allocatable?.ephemeralStorage));
    case 'requests.ephemeral-storage':
      return bytes(parseQuantity(requests['ephemeral-storage']));
  }
  const huge = /^(limits|requests)\.(hugepages-.+)$/.exec(sel.resource);
  if (huge) return bytes(parseQuantity((huge[1] === 'limits' ? limits : requests)[huge[2]]));
  throw new FieldPathError(`unsupported container resource : ${sel.resource}`);
}

/** The container a pod-level resourceFieldRef names (downwardAPI volumes). */
export function resourceValueByContainerName(sel: ResourceFieldSelector, pod: Pod, allocatable: NodeAllocatable | undefined): string {
  const name = sel.containerName ?? '';
  const c = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].find((x) => x.name === name);
  if (!c) throw new FieldPathError(`container ${name} not found`);
  return containerResourceValue(sel, c, allocatable);
}
