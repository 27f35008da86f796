// Field validation with kube-apiserver's wording (pkg/apis/<group>/validation), so `kubectl` prints the same "is
// invalid" lines users know. Each function returns the causes; the store turns a non-empty list into a 422 Status.
import { selectorMatches } from '../../../api/labels.js';
import { parseQuantity } from '../../../api/quantity.js';
import { parseSchedule, validTimeZone } from '../../../api/cron.js';
import type { KubeObject, StatusCause } from '../../../api/types.js';
import { deepEqual } from '../equality.js';
import { validatePersistentVolumeClaim } from './core/persistentvolume.js';

type Any = any;

export const required = (field: string, detail?: string): StatusCause => ({ reason: 'FieldValueRequired', field, message: detail ? `Required value: ${detail}` : 'Required value' });
export const invalidValue = (field: string, value: unknown, detail: string): StatusCause => ({
  reason: 'FieldValueInvalid',
  field,
  message: `Invalid value: ${JSON.stringify(value)}: ${detail}`,
});
export const notSupported = (field: string, value: unknown, supported: string[]): StatusCause => ({
  reason: 'FieldValueNotSupported',
  field,
  message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((s) => `"${s}"`).join(', ')}`,
});
export const duplicate = (field: string, value: unknown): StatusCause => ({ reason: 'FieldValueDuplicate', field, message: `Duplicate value: ${JSON.stringify(value)}` });
export const forbidden = (field: string, detail: string): StatusCause => ({ reason: 'FieldValueForbidden', field, message: `Forbidden: ${detail}` });
export const tooLong = (field: string, max: number): StatusCause => ({ reason: 'FieldValueTooLong', field, message: `Too long: may not be more than ${max} bytes` });

/**
 * An invalid value printed as Go's field errors print values that are neither strings nor numbers (`%#v`):
 * `[]string{"/healthz"}`, `[]byte{0x68, 0x69}`, `rbac.RoleRef{APIGroup:"…", Kind:"Role", Name:"r"}`.
 */
export const invalidGo = (field: string, shown: string, detail: string): StatusCause => ({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${shown}: ${detail}` });
export const goStrings = (v: readonly string[]): string => `[]string{${v.map((s) => JSON.stringify(s)).join(', ')}}`;
export const goBytes = (b: Uint8Array): string => `[]byte{${[...b].map((x) => `0x${x.toString(16)}`).join(', ')}}`;

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const dns1035Label = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** What is wrong with a DNS-1123 subdomain (IsDNS1123Subdomain), as kube words it. */
export function subdomainMessages(v: string): string[] {
  if (v.length > 253) return ['must be no more than 253 characters'];
  if (!dns1123Subdomain.test(v))
    return [`a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`];
  return [];
}

/** What is wrong with a DNS-1123 label (IsDNS1123Label), as kube words it. */
export function labelMessages(v: string): string[] {
  if (v.length > 63) return ['must be no more than 63 characters'];
  if (!dns1123Label.test(v))
    return [`a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`];
  return [];
}

export function subdomainErrors(field: string, v: string): StatusCause[] {
  return subdomainMessages(v).map((m) => invalidValue(field, v, m));
}

export function labelErrors(field: string, v: string): StatusCause[] {
  return labelMessages(v).map((m) => invalidValue(field, v, m));
}

/** Names that only have to be safe as one path segment (path.IsValidPathSegmentName): RBAC objects, CSRs. */
export function pathSegmentNameErrors(field: string, v: string): StatusCause[] {
  if (v === '.' || v === '..') return [invalidValue(field, v, `may not be '${v}'`)];
  return ['/', '%'].filter((c) => v.includes(c)).map((c) => invalidValue(field, v, `may not contain '${c}'`));
}

export function dns1035Errors(field: string, v: string): StatusCause[] {
  if (v.length > 63) return [invalidValue(field, v, 'must be no more than 63 characters')];
  if (!dns1035Label.test(v))
    return [invalidValue(field, v, `a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`)];
  return [];
}

const qualifiedName = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** A label key ("prefix/name"), as kube's IsQualifiedName words what is wrong with it. */
function labelKeyErrors(field: string, k: string): StatusCause[] {
  const [prefix, name] = k.includes('/') ? [k.slice(0, k.indexOf('/')), k.slice(k.indexOf('/') + 1)] : ['', k];
  if ((prefix && !dns1123Subdomain.test(prefix)) || !qualifiedName.test(name) || name.length > 63)
    return [invalidValue(field, k, `name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`)];
  return [];
}

/** A label value, as kube's IsValidLabelValue words what is wrong with it. */
function labelValueErrors(field: string, v: unknown): StatusCause[] {
  if (typeof v !== 'string') return [invalidValue(`${field}`, v, 'label values must be strings')];
  if (v !== '' && (v.length > 63 || !qualifiedName.test(v)))
    return [invalidValue(field, v, `a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`)];
  return [];
}

export function labelMapErrors(field: string, labels: Record<string, unknown> | undefined): StatusCause[] {
  return Object.entries(labels ?? {}).flatMap(([k, v]) => [...labelKeyErrors(field, k), ...labelValueErrors(field, v)]);
}

/** A label selector (ValidateLabelSelector): matchLabels as labels, each requirement's operator, key and values. */
export function labelSelectorErrors(path: string, selector: unknown): StatusCause[] {
  const sel = selector as Any;
  if (!sel || typeof sel !== 'object') return [];
  const out = labelMapErrors(`${path}.matchLabels`, sel.matchLabels);
  ((sel.matchExpressions ?? []) as Any[]).forEach((r, i) => {
    const p = `${path}.matchExpressions[${i}]`;
    const values: unknown[] = Array.isArray(r?.values) ? r.values : [];
    if (r?.operator === 'In' || r?.operator === 'NotIn') {
      if (!values.length) out.push(required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (r?.operator === 'Exists' || r?.operator === 'DoesNotExist') {
      if (values.length) out.push(forbidden(`${p}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    } else out.push(invalidValue(`${p}.operator`, r?.operator ?? '', 'not a valid selector operator'));
    out.push(...labelKeyErrors(`${p}.key`, String(r?.key ?? '')));
    values.forEach((v, j) => out.push(...labelValueErrors(`${p}.values[${j}]`, v)));
  });
  return out;
}

const isPort = (p: unknown) => Number.isInteger(p) && (p as number) >= 1 && (p as number) <= 65535;
const quantity = /^[+-]?(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[numkMGTPE]|[eE][+-]?\d+)?$/;

function containerErrors(c: Any, path: string, names: Set<string>): StatusCause[] {
  const out: StatusCause[] = [];
  if (!c || typeof c !== 'object') return [required(path)];
  if (!c.name) out.push(required(`${path}.name`));
  else {
    out.push(...labelErrors(`${path}.name`, c.name));
    if (names.has(c.name)) out.push(duplicate(`${path}.name`, c.name));
    names.add(c.name);
  }
  if (!c.image || typeof c.image !== 'string' || !c.image.trim()) out.push(required(`${path}.image`));
  (c.ports ?? []).forEach((p: Any, i: number) => {
    if (!isPort(p.containerPort)) out.push(invalidValue(`${path}.ports[${i}].containerPort`, p.containerPort, 'must be between 1 and 65535, inclusive'));
    if (p.protocol && !['TCP', 'UDP', 'SCTP'].includes(p.protocol)) out.push(notSupported(`${path}.ports[${i}].protocol`, p.protocol, ['SCTP', 'TCP', 'UDP']));
  });
  for (const kind of ['requests', 'limits'] as const) {
    for (const [r, q] of Object.entries(c.resources?.[kind] ?? {})) {
      if (typeof q !== 'string' && typeof q !== 'number') out.push(invalidValue(`${path}.resources.${kind}[${r}]`, q, 'must be a quantity'));
      else if (typeof q === 'string' && !quantity.test(q)) out.push(invalidValue(`${path}.resources.${kind}[${r}]`, q, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"));
    }
  }
  return out;
}

export function podSpecErrors(spec: Any, path: string): StatusCause[] {
  if (!spec || typeof spec !== 'object') return [required(path)];
  const out: StatusCause[] = [];
  const names = new Set<string>();
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) out.push(required(`${path}.containers`));
  else spec.containers.forEach((c: Any, i: number) => out.push(...containerErrors(c, `${path}.containers[${i}]`, names)));
  (spec.initContainers ?? []).forEach((c: Any, i: number) => out.push(...containerErrors(c, `${path}.initContainers[${i}]`, names)));
  if (spec.restartPolicy && !['Always', 'OnFailure', 'Never'].includes(spec.restartPolicy)) out.push(notSupported(`${path}.restartPolicy`, spec.restartPolicy, ['Always', 'OnFailure', 'Never']));
  if (spec.dnsPolicy && !['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'].includes(spec.dnsPolicy))
    out.push(notSupported(`${path}.dnsPolicy`, spec.dnsPolicy, ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None']));
  const volNames = new Set<string>();
  (spec.volumes ?? []).forEach((v: Any, i: number) => {
    if (!v.name) out.push(required(`${path}.volumes[${i}].name`));
    else if (volNames.has(v.name)) out.push(duplicate(`${path}.volumes[${i}].name`, v.name));
    volNames.add(v.name);
  });
  return out;
}

/** Annotation values may total 256 KiB per object (kube's TotalAnnotationSizeLimitB). */
export const MAX_ANNOTATIONS_BYTES = 256 * 1024;
/** ConfigMap and Secret data may total 1 MiB (kube's MaxSecretSize). */
export const MAX_DATA_BYTES = 1024 * 1024;

/** A qualified name: an optional DNS-subdomain prefix and "/", then a name of at most 63 characters. */
export function qualifiedNameErrors(field: string, k: string): StatusCause[] {
  const [prefix, name] = k.includes('/') ? [k.slice(0, k.indexOf('/')), k.slice(k.indexOf('/') + 1)] : ['', k];
  if ((prefix && (prefix.length > 253 || !dns1123Subdomain.test(prefix))) || !qualifiedName.test(name) || name.length > 63)
    return [invalidValue(field, k, `name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`)];
  return [];
}

/** What every object's metadata must satisfy (ValidateObjectMeta): labels, annotations, finalizers, owner references. */
export function objectMetaErrors(obj: KubeObject): StatusCause[] {
  const m = (obj.metadata ?? {}) as Any;
  const out = labelMapErrors('metadata.labels', m.labels);
  if (m.annotations !== undefined && m.annotations !== null) {
    let size = 0;
    for (const [k, v] of Object.entries(m.annotations as Record<string, unknown>)) {
      out.push(...qualifiedNameErrors('metadata.annotations', k.toLowerCase()));
      size += k.length + (typeof v === 'string' ? Buffer.byteLength(v) : 0);
    }
    if (size > MAX_ANNOTATIONS_BYTES) out.push(tooLong('metadata.annotations', MAX_ANNOTATIONS_BYTES));
  }
  (m.finalizers ?? []).forEach((f: unknown, i: number) => {
    if (typeof f !== 'string') out.push(invalidValue(`metadata.finalizers[${i}]`, f, 'must be a string'));
    else out.push(...qualifiedNameErrors(`metadata.finalizers[${i}]`, f));
  });
  let controllers = 0;
  (m.ownerReferences ?? []).forEach((r: Any, i: number) => {
    const at = `metadata.ownerReferences[${i}]`;
    for (const f of ['apiVersion', 'kind', 'name', 'uid']) if (!r?.[f]) out.push(invalidValue(`${at}.${f}`, r?.[f] ?? '', `${f} must not be empty`));
    if (r?.controller) controllers++;
  });
  if (controllers > 1) out.push(invalidValue('metadata.ownerReferences', m.ownerReferences.filter((r: Any) => r.controller).map((r: Any) => `${r.kind}/${r.name}`), 'Only one reference can have Controller set to true'));
  if (m.generateName && typeof m.generateName === 'string' && !m.name) {
    const base = m.generateName.replace(/-$/, '');
    if (base && !dns1123Subdomain.test(base)) out.push(...subdomainErrors('metadata.generateName', m.generateName));
  }
  return out;
}

/** ConfigMap and Secret payloads: at most 1 MiB together. */
export function dataSizeErrors(obj: KubeObject): StatusCause[] {
  const o = obj as Any;
  let size = 0;
  for (const f of ['data', 'binaryData', 'stringData']) for (const [k, v] of Object.entries((o[f] ?? {}) as Record<string, unknown>)) size += k.length + (typeof v === 'string' ? v.length : 0);
  return size > MAX_DATA_BYTES ? [tooLong('data', MAX_DATA_BYTES)] : [];
}

const POD_UPDATES = 'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

export function pod(obj: KubeObject, old?: KubeObject): StatusCause[] {
  const p = obj as Any;
  const out = [...podSpecErrors(p.spec, 'spec')];
  // Ephemeral containers come only through pods/ephemeralcontainers (kube's ValidatePodCreate and ValidatePodUpdate).
  const ephemeral = p.spec?.ephemeralContainers;
  if (!old && Array.isArray(ephemeral) && ephemeral.length) out.push(forbidden('spec.ephemeralContainers', 'cannot be set on create'));
  if (old) {
    // A pod's containers and their images are the only things that may change after creation (besides metadata).
    const o = old as Any;
    if ((o.spec?.nodeName ?? '') !== '' && p.spec?.nodeName !== o.spec.nodeName) out.push(forbidden('spec.nodeName', POD_UPDATES));
    if ((p.spec?.containers ?? []).length !== (o.spec?.containers ?? []).length) out.push(forbidden('spec', 'pod updates may not add or remove containers'));
    if (!deepEqual(ephemeral ?? [], o.spec?.ephemeralContainers ?? [])) out.push(forbidden('spec', POD_UPDATES));
  }
  return out;
}

function templateErrors(spec: Any, path: string): StatusCause[] {
  const out: StatusCause[] = [];
  if (!spec?.selector) out.push(required(`${path}.selector`));
  else if (!spec.selector.matchLabels && !spec.selector.matchExpressions) out.push(invalidValue(`${path}.selector`, spec.selector, 'empty selector is invalid for deployment'));
  if (!spec?.template) {
    out.push(required(`${path}.template`));
    return out;
  }
  out.push(...labelMapErrors(`${path}.template.metadata.labels`, spec.template.metadata?.labels));
  if (spec.selector && !selectorMatches(spec.selector, spec.template.metadata?.labels))
    out.push(invalidValue(`${path}.template.metadata.labels`, spec.template.metadata?.labels ?? {}, '`selector` does not match template `labels`'));
  out.push(...podSpecErrors(spec.template.spec, `${path}.template.spec`));
  if (spec.replicas !== undefined && (!Number.isInteger(spec.replicas) || spec.replicas < 0)) out.push(invalidValue(`${path}.replicas`, spec.replicas, 'must be greater than or equal to 0'));
  return out;
}

function selectorImmutable(obj: Any, old: Any | undefined): StatusCause[] {
  if (old && JSON.stringify(obj.spec?.selector) !== JSON.stringify(old.spec?.selector))
    return [invalidValue('spec.selector', obj.spec?.selector, 'field is immutable')];
  return [];
}

export function deployment(obj: KubeObject, old?: KubeObject): StatusCause[] {
  const d = obj as Any;
  const out = [...templateErrors(d.spec, 'spec'), ...selectorImmutable(d, old)];
  if (d.spec?.template?.spec?.restartPolicy && d.spec.template.spec.restartPolicy !== 'Always')
    out.push(notSupported('spec.template.spec.restartPolicy', d.spec.template.spec.restartPolicy, ['Always']));
  const strategy = d.spec?.strategy?.type;
  if (strategy && !['RollingUpdate', 'Recreate'].includes(strategy)) out.push(notSupported('spec.strategy.type', strategy, ['Recreate', 'RollingUpdate']));
  return out;
}

export function replicaSet(obj: KubeObject, old?: KubeObject): StatusCause[] {
  return [...templateErrors((obj as Any).spec, 'spec'), ...selectorImmutable(obj, old)];
}

/** ValidateReplicationControllerSpec: a selector map the template's labels match, and a pod template. */
export function replicationController(obj: KubeObject): StatusCause[] {
  const spec = (obj as Any).spec ?? {};
  const out: StatusCause[] = [];
  const selector = spec.selector ?? {};
  if (!Object.keys(selector).length) out.push(required('spec.selector'));
  else out.push(...labelMapErrors('spec.selector', selector));
  if (spec.replicas !== undefined && (!Number.isInteger(spec.replicas) || spec.replicas < 0)) out.push(invalidValue('spec.replicas', spec.replicas, 'must be greater than or equal to 0'));
  if (!spec.template) return [...out, required('spec.template')];
  const labels = spec.template.metadata?.labels ?? {};
  if (Object.keys(selector).length && !selectorMatches({ matchLabels: selector }, labels)) out.push(invalidValue('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'));
  out.push(...podSpecErrors(spec.template.spec, 'spec.template.spec'));
  if (spec.template.spec?.restartPolicy && spec.template.spec.restartPolicy !== 'Always') out.push(notSupported('spec.template.spec.restartPolicy', spec.template.spec.restartPolicy, ['Always']));
  return out;
}

export function daemonSet(obj: KubeObject, old?: KubeObject): StatusCause[] {
  return [...templateErrors((obj as Any).spec, 'spec'), ...selectorImmutable(obj, old)];
}

export function statefulSet(obj: KubeObject, old?: KubeObject): StatusCause[] {
  const s = obj as Any;
  const spec = s.spec ?? {};
  const out = [...templateErrors(spec, 'spec'), ...selectorImmutable(s, old)];
  if (spec.template?.spec?.restartPolicy && spec.template.spec.restartPolicy !== 'Always') out.push(notSupported('spec.template.spec.restartPolicy', spec.template.spec.restartPolicy, ['Always']));
  if (!['OrderedReady', 'Parallel'].includes(spec.podManagementPolicy)) out.push(notSupported('spec.podManagementPolicy', spec.podManagementPolicy, ['OrderedReady', 'Parallel']));
  if (!['RollingUpdate', 'OnDelete'].includes(spec.updateStrategy?.type)) out.push(notSupported('spec.updateStrategy.type', spec.updateStrategy?.type, ['OnDelete', 'RollingUpdate']));
  const partition = spec.updateStrategy?.rollingUpdate?.partition;
  if (partition !== undefined && (!Number.isInteger(partition) || partition < 0)) out.push(invalidValue('spec.updateStrategy.rollingUpdate.partition', partition, 'must be greater than or equal to 0'));
  (Array.isArray(spec.volumeClaimTemplates) ? spec.volumeClaimTemplates : []).forEach((t: Any, i: number) => {
    if (!t?.metadata?.name) out.push(required(`spec.volumeClaimTemplates[${i}].metadata.name`));
    out.push(...validatePersistentVolumeClaim({ metadata: {}, spec: t?.spec ?? {} } as KubeObject).map((c) => ({ ...c, field: `spec.volumeClaimTemplates[${i}].${c.field}` })));
  });
  if (old) {
    const mutable = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];
    const rest = (o: Any) => JSON.stringify(Object.fromEntries(Object.entries(o.spec ?? {}).filter(([k]) => !mutable.includes(k)).sort(([a], [b]) => a.localeCompare(b))));
    if (rest(s) !== rest(old))
      out.push(forbidden('spec', "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"));
  }
  return out;
}

function nonNegative(out: StatusCause[], field: string, v: unknown): void {
  if (v !== undefined && v !== null && (!Number.isInteger(v) || (v as number) < 0)) out.push(invalidValue(field, v, 'must be greater than or equal to 0'));
}

/** A Job's spec, also as a CronJob's jobTemplate (where the selector is not generated yet). */
function jobSpecErrors(spec: Any, path: string, generated: boolean): StatusCause[] {
  const out: StatusCause[] = [];
  if (!spec?.template) return [required(`${path}.template`)];
  out.push(...labelMapErrors(`${path}.template.metadata.labels`, spec.template.metadata?.labels));
  out.push(...podSpecErrors(spec.template.spec, `${path}.template.spec`));
  const rp = spec.template.spec?.restartPolicy;
  if (rp !== 'Never' && rp !== 'OnFailure') out.push(notSupported(`${path}.template.spec.restartPolicy`, rp ?? '', ['OnFailure', 'Never']));
  for (const f of ['parallelism', 'completions', 'backoffLimit', 'activeDeadlineSeconds', 'ttlSecondsAfterFinished']) nonNegative(out, `${path}.${f}`, spec[f]);
  if (spec.activeDeadlineSeconds === 0) out.push(invalidValue(`${path}.activeDeadlineSeconds`, 0, 'must be greater than 0'));
  if (spec.completionMode !== undefined && !['NonIndexed', 'Indexed'].includes(spec.completionMode)) out.push(notSupported(`${path}.completionMode`, spec.completionMode, ['NonIndexed', 'Indexed']));
  if (spec.completionMode === 'Indexed' && (spec.completions === undefined || spec.completions === null)) out.push(required(`${path}.completions`));
  if (generated) {
    if (!spec.selector) out.push(required(`${path}.selector`));
    else if (!selectorMatches(spec.selector, spec.template.metadata?.labels))
      out.push(invalidValue(`${path}.template.metadata.labels`, spec.template.metadata?.labels ?? {}, '`selector` does not match template `labels`'));
  }
  return out;
}

export function job(obj: KubeObject, old?: KubeObject): StatusCause[] {
  const j = obj as Any;
  const out = [...jobSpecErrors(j.spec, 'spec', true), ...selectorImmutable(j, old)];
  const uid = j.metadata?.uid;
  const sel = j.spec?.selector?.matchLabels?.['batch.kubernetes.io/controller-uid'];
  if (j.spec?.manualSelector !== true && sel !== undefined && sel !== uid) out.push(invalidValue('spec.selector', j.spec.selector, '`selector` not auto-generated'));
  if (old) {
    const o = old as Any;
    for (const f of ['completions', 'completionMode', 'backoffLimitPerIndex', 'podFailurePolicy', 'successPolicy', 'manualSelector'])
      if (f !== 'completions' && JSON.stringify(j.spec?.[f]) !== JSON.stringify(o.spec?.[f])) out.push(invalidValue(`spec.${f}`, j.spec?.[f] ?? null, 'field is immutable'));
    if (j.spec?.completions !== o.spec?.completions && !(j.spec?.completionMode === 'Indexed' && j.spec?.completions === j.spec?.parallelism)) out.push(invalidValue('spec.completions', j.spec?.completions ?? null, 'field is immutable'));
    // The pod template may only change while the job is suspended (for queueing systems), as in Kubernetes.
    if (JSON.stringify(j.spec?.template) !== JSON.stringify(o.spec?.template) && !o.spec?.suspend) out.push(invalidValue('spec.template', j.spec?.template, 'field is immutable'));
  }
  return out;
}

export function cronJob(obj: KubeObject): StatusCause[] {
  const c = obj as Any;
  const spec = c.spec ?? {};
  const out: StatusCause[] = [];
  const name = c.metadata?.name ?? '';
  // Job names add an 11-character suffix to the CronJob's name, and must stay DNS labels.
  if (name.length > 52) out.push(invalidValue('metadata.name', name, 'must be no more than 52 characters'));
  if (!spec.schedule) out.push(required('spec.schedule'));
  else if (/^(CRON_)?TZ=/.test(String(spec.schedule).trim())) out.push(invalidValue('spec.schedule', spec.schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
  else {
    try {
      parseSchedule(String(spec.schedule), 'UTC');
    } catch (e) {
      out.push(invalidValue('spec.schedule', spec.schedule, (e as Error).message));
    }
  }
  if (spec.timeZone !== undefined && spec.timeZone !== null && !validTimeZone(spec.timeZone)) out.push(invalidValue('spec.timeZone', spec.timeZone, `unknown time zone ${spec.timeZone}`));
  if (!['Allow', 'Forbid', 'Replace'].includes(spec.concurrencyPolicy)) out.push(notSupported('spec.concurrencyPolicy', spec.concurrencyPolicy, ['Allow', 'Forbid', 'Replace']));
  for (const f of ['startingDeadlineSeconds', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit']) nonNegative(out, `spec.${f}`, spec[f]);
  if (!spec.jobTemplate) out.push(required('spec.jobTemplate'));
  else out.push(...jobSpecErrors(spec.jobTemplate.spec, 'spec.jobTemplate.spec', false));
  return out;
}

const quotaScopes = ['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'PriorityClass', 'CrossNamespacePodAffinity'];

export function resourceQuota(obj: KubeObject): StatusCause[] {
  const q = obj as Any;
  const out: StatusCause[] = [];
  for (const [r, v] of Object.entries(q.spec?.hard ?? {})) {
    if (!/^([a-z0-9.-]+\/)?[a-zA-Z0-9._/-]+$/.test(r)) out.push(invalidValue(`spec.hard[${r}]`, r, 'must be a standard resource for quota'));
    if ((typeof v !== 'string' && typeof v !== 'number') || (typeof v === 'string' && !quantity.test(v))) out.push(invalidValue(`spec.hard[${r}]`, v, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"));
    else if (String(v).startsWith('-')) out.push(invalidValue(`spec.hard[${r}]`, v, 'must be greater than or equal to 0'));
  }
  ((q.spec?.scopes ?? []) as unknown[]).forEach((s, i) => {
    if (!quotaScopes.includes(s as string)) out.push(notSupported(`spec.scopes[${i}]`, s, quotaScopes));
  });
  return out;
}

export function limitRange(obj: KubeObject): StatusCause[] {
  const l = obj as Any;
  const out: StatusCause[] = [];
  const types = ['Container', 'Pod', 'PersistentVolumeClaim'];
  ((l.spec?.limits ?? []) as Any[]).forEach((item, i) => {
    const path = `spec.limits[${i}]`;
    if (!types.includes(item?.type)) {
      out.push(notSupported(`${path}.type`, item?.type, types));
      return;
    }
    const q = (m: Any, r: string) => parseQuantity(m?.[r]);
    for (const kind of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'])
      for (const [r, v] of Object.entries(item[kind] ?? {}))
        if ((typeof v !== 'string' && typeof v !== 'number') || Number.isNaN(parseQuantity(v as string))) out.push(invalidValue(`${path}.${kind}[${r}]`, v, 'must be a quantity'));
    if (item.type === 'Pod') {
      if (Object.keys(item.default ?? {}).length) out.push(forbidden(`${path}.default`, "may not be specified when `type` is 'Pod'"));
      if (Object.keys(item.defaultRequest ?? {}).length) out.push(forbidden(`${path}.defaultRequest`, "may not be specified when `type` is 'Pod'"));
    }
    const names = new Set([...Object.keys(item.max ?? {}), ...Object.keys(item.min ?? {}), ...Object.keys(item.default ?? {}), ...Object.keys(item.defaultRequest ?? {})]);
    for (const r of names) {
      const [min, max, dflt, dreq] = [item.min, item.max, item.default, item.defaultRequest].map((m) => (m?.[r] !== undefined ? q(m, r) : undefined));
      if (min !== undefined && max !== undefined && min > max) out.push(invalidValue(`${path}.min[${r}]`, item.min[r], `min value ${item.min[r]} is greater than max value ${item.max[r]}`));
      if (dreq !== undefined && min !== undefined && min > dreq) out.push(invalidValue(`${path}.defaultRequest[${r}]`, item.defaultRequest[r], `min value ${item.min[r]} is greater than default request value ${item.defaultRequest[r]}`));
      if (dreq !== undefined && max !== undefined && dreq > max) out.push(invalidValue(`${path}.defaultRequest[${r}]`, item.defaultRequest[r], `default request value ${item.defaultRequest[r]} is greater than max value ${item.max[r]}`));
      if (dreq !== undefined && dflt !== undefined && dreq > dflt) out.push(invalidValue(`${path}.defaultRequest[${r}]`, item.defaultRequest[r], `default request value ${item.defaultRequest[r]} is greater than default limit value ${item.default[r]}`));
      if (dflt !== undefined && min !== undefined && min > dflt) out.push(invalidValue(`${path}.default[${r}]`, item.default[r], `min value ${item.min[r]} is greater than default value ${item.default[r]}`));
      if (dflt !== undefined && max !== undefined && dflt > max) out.push(invalidValue(`${path}.default[${r}]`, item.default[r], `default value ${item.default[r]} is greater than max value ${item.max[r]}`));
    }
  });
  return out;
}

export function service(obj: KubeObject, old?: KubeObject): StatusCause[] {
  const s = obj as Any;
  const out: StatusCause[] = [];
  const spec = s.spec ?? {};
  const types = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
  if (!types.includes(spec.type)) out.push(notSupported('spec.type', spec.type, types));
  const ports: Any[] = spec.ports ?? [];
  if (spec.type !== 'ExternalName' && spec.clusterIP !== 'None' && ports.length === 0) out.push(required('spec.ports'));
  const seen = new Set<string>();
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const path = `spec.ports[${i}]`;
    if (!isPort(p.port)) out.push(invalidValue(`${path}.port`, p.port, 'must be between 1 and 65535, inclusive'));
    if (!['TCP', 'UDP', 'SCTP'].includes(p.protocol)) out.push(notSupported(`${path}.protocol`, p.protocol, ['SCTP', 'TCP', 'UDP']));
    if (ports.length > 1 && !p.name) out.push(required(`${path}.name`));
    if (p.name) {
      if (names.has(p.name)) out.push(duplicate(`${path}.name`, p.name));
      names.add(p.name);
    }
    const k = `${p.port}/${p.protocol}`;
    if (seen.has(k)) out.push(duplicate(path, { port: p.port, protocol: p.protocol }));
    seen.add(k);
    if (typeof p.targetPort === 'number' && !isPort(p.targetPort)) out.push(invalidValue(`${path}.targetPort`, p.targetPort, 'must be between 1 and 65535, inclusive'));
    if (p.nodePort !== undefined && spec.type === 'ClusterIP') out.push(forbidden(`${path}.nodePort`, 'may not be used when `type` is \'ClusterIP\''));
  });
  if (old) {
    const oldIP = (old as Any).spec?.clusterIP;
    if (oldIP && spec.clusterIP && spec.clusterIP !== oldIP) out.push(invalidValue('spec.clusterIPs[0]', spec.clusterIP, 'may not change once set'));
  }
  return out;
}

export function node(obj: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  const effects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
  ((obj as Any).spec?.taints ?? []).forEach((t: Any, i: number) => {
    if (!t.key) out.push(required(`spec.taints[${i}].key`));
    if (!effects.includes(t.effect)) out.push(notSupported(`spec.taints[${i}].effect`, t.effect, effects));
  });
  return out;
}

export function endpointSlice(obj: KubeObject): StatusCause[] {
  const e = obj as Any;
  const out: StatusCause[] = [];
  if (!['IPv4', 'IPv6', 'FQDN'].includes(e.addressType)) out.push(notSupported('addressType', e.addressType, ['FQDN', 'IPv4', 'IPv6']));
  return out;
}

export function event(obj: KubeObject): StatusCause[] {
  const e = obj as Any;
  const out: StatusCause[] = [];
  if (!e.involvedObject) out.push(required('involvedObject'));
  return out;
}
