// events.k8s.io/v1 Event (kube: pkg/apis/events/v1 conversions, pkg/registry/events/event/strategy.go): the same
// stored objects as core/v1 Events, in the newer shape. Both versions read and write one storage (core's),
// converting field by field as kube-apiserver's conversion functions do.
import type { KubeObject, StatusCause } from '../../../../api/types.js';
import { strategy } from '../strategy.js';
import { required } from '../validation.js';

type Any = any;

/** Copies the fields of `from` named in `pairs` ([from, to]) onto a new object, leaving unset ones out. */
function rename(from: Any, pairs: [string, string][]): Any {
  const out: Any = {};
  for (const [a, b] of pairs) if (from[a] !== undefined) out[b] = from[a];
  return out;
}

// core/v1 field → events.k8s.io/v1 field; fields with the same name in both are listed once.
const pairs: [string, string][] = [
  ['metadata', 'metadata'],
  ['involvedObject', 'regarding'],
  ['related', 'related'],
  ['reason', 'reason'],
  ['message', 'note'],
  ['type', 'type'],
  ['action', 'action'],
  ['eventTime', 'eventTime'],
  ['series', 'series'],
  ['reportingComponent', 'reportingController'],
  ['reportingInstance', 'reportingInstance'],
  ['source', 'deprecatedSource'],
  ['firstTimestamp', 'deprecatedFirstTimestamp'],
  ['lastTimestamp', 'deprecatedLastTimestamp'],
  ['count', 'deprecatedCount'],
];
const reversed = pairs.map(([a, b]) => [b, a] as [string, string]);

export function fromCore(core: KubeObject): KubeObject {
  const e = rename(core, pairs);
  return { apiVersion: 'events.k8s.io/v1', kind: 'Event', ...e };
}

export function toCore(ev: KubeObject): KubeObject {
  const e = rename(ev, reversed);
  // The series' count and last time are core's count and lastTimestamp too, so `kubectl get events` shows them.
  const series = (ev as Any).series;
  if (series?.count !== undefined && e.count === undefined) e.count = series.count;
  return { apiVersion: 'v1', kind: 'Event', ...e };
}

/** events.k8s.io's stricter rules for new events (ValidateEventCreate for v1). */
export function validate(obj: KubeObject, old?: KubeObject): StatusCause[] {
  const e = obj as Any;
  const out: StatusCause[] = [];
  if (old) return out;
  if (!e.eventTime) out.push(required('eventTime'));
  if (!e.reportingController) out.push(required('reportingController'));
  if (!e.reportingInstance) out.push(required('reportingInstance'));
  if (!e.action) out.push(required('action'));
  if (!e.reason) out.push(required('reason'));
  if (e.type !== 'Normal' && e.type !== 'Warning') out.push({ reason: 'FieldValueInvalid', field: 'type', message: `Invalid value: ${JSON.stringify(e.type ?? '')}: has invalid value: ${e.type ?? ''}` });
  if (typeof e.note === 'string' && e.note.length > 1024) out.push({ reason: 'FieldValueTooLong', field: 'note', message: 'Too long: may not be more than 1024 bytes' });
  return out;
}

/** Field selectors: the new names, and the core names kube-apiserver also accepts for this version. */
export function fields(obj: KubeObject): Record<string, string> {
  const e = obj as Any;
  const r = e.regarding ?? {};
  return {
    'regarding.kind': r.kind ?? '',
    'regarding.name': r.name ?? '',
    'regarding.namespace': r.namespace ?? '',
    'regarding.uid': r.uid ?? '',
    'involvedObject.kind': r.kind ?? '',
    'involvedObject.name': r.name ?? '',
    'involvedObject.namespace': r.namespace ?? '',
    'involvedObject.uid': r.uid ?? '',
    'involvedObject.apiVersion': r.apiVersion ?? '',
    'involvedObject.resourceVersion': r.resourceVersion ?? '',
    'involvedObject.fieldPath': r.fieldPath ?? '',
    reportingComponent: e.reportingController ?? '',
    reason: e.reason ?? '',
    type: e.type ?? '',
    reportingController: e.reportingController ?? '',
  };
}

export const eventsV1Strategy = strategy({ tracksGeneration: false, validate, fields });
