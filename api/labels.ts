// Label and field selectors: the string forms clients send (`app=web,tier!=db,env in (a,b),!canary`) and the
// structured LabelSelector objects of specs, both reduced to one matcher.
import { badRequest } from './errors.js';
import type { LabelSelector, LabelSelectorRequirement, Pod, Service } from './types.js';

export type Requirement =
  | { key: string; op: '=' | '!='; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | '!' }
  | { key: string; op: 'gt' | 'lt'; value: number };

export type Selector = Requirement[];

function matchOne(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = labels[r.key];
  switch (r.op) {
    case '=':
      return has && v === r.value;
    case '!=':
      return !has || v !== r.value;
    case 'in':
      return has && r.values.includes(v);
    case 'notin':
      return !has || !r.values.includes(v);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
      return has && Number(v) > r.value;
    case 'lt':
      return has && Number(v) < r.value;
  }
}

export function matches(sel: Selector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return sel.every((r) => matchOne(r, l));
}

/** Parses the query-string form of a label selector. Throws a 400 StatusError naming the problem. */
export function parseSelector(text: string | undefined | null): Selector {
  const out: Selector = [];
  if (!text) return out;
  const s = text.trim();
  let i = 0;
  const skipWs = () => {
    while (i < s.length && s[i] === ' ') i++;
  };
  const readKey = () => {
    const m = /^[A-Za-z0-9_./-]+/.exec(s.slice(i));
    if (!m) throw badRequest(`unable to parse requirement: found '${s.slice(i, i + 1)}', expected: identifier`);
    i += m[0].length;
    return m[0];
  };
  const readValue = () => {
    const m = /^[A-Za-z0-9_.-]*/.exec(s.slice(i))!;
    i += m[0].length;
    return m[0];
  };
  while (i < s.length) {
    skipWs();
    if (s[i] === '!') {
      i++;
      skipWs();
      out.push({ key: readKey(), op: '!' });
    } else {
      const key = readKey();
      skipWs();
      const rest = s.slice(i);
      if (rest.startsWith('==') || rest.startsWith('!=')) {
        i += 2;
        skipWs();
        out.push({ key, op: rest.startsWith('!=') ? '!=' : '=', value: readValue() });
      } else if (rest.startsWith('=')) {
        i += 1;
        skipWs();
        out.push({ key, op: '=', value: readValue() });
      } else if (/^(in|notin)\s*\(/.test(rest)) {
        const op = rest.startsWith('in') ? 'in' : 'notin';
        i = s.indexOf('(', i) + 1;
        const close = s.indexOf(')', i);
        if (close < 0) throw badRequest(`unable to parse requirement: missing ')' in "${text}"`);
        const values = s
          .slice(i, close)
          .split(',')
          .map((v) => v.trim())
          .filter((v) => v !== '');
        i = close + 1;
        out.push({ key, op, values });
      } else if (rest.startsWith('>') || rest.startsWith('<')) {
        i += 1;
        skipWs();
        const v = readValue();
        if (!/^-?\d+$/.test(v)) throw badRequest(`unable to parse requirement: for 'gt', 'lt' operators, the value must be an integer`);
        out.push({ key, op: rest.startsWith('>') ? 'gt' : 'lt', value: Number(v) });
      } else {
        out.push({ key, op: 'exists' });
      }
    }
    skipWs();
    if (i < s.length) {
      if (s[i] !== ',') throw badRequest(`unable to parse requirement: found '${s[i]}', expected: ',' in "${text}"`);
      i++;
    }
  }
  return out;
}

/** A spec's LabelSelector as a Selector. An empty LabelSelector selects everything; undefined selects nothing. */
export function fromLabelSelector(ls: LabelSelector | undefined | null): Selector | undefined {
  if (!ls) return undefined;
  const out: Selector = [];
  for (const [key, value] of Object.entries(ls.matchLabels ?? {})) out.push({ key, op: '=', value });
  for (const e of ls.matchExpressions ?? ([] as LabelSelectorRequirement[])) {
    if (e.operator === 'In') out.push({ key: e.key, op: 'in', values: e.values ?? [] });
    else if (e.operator === 'NotIn') out.push({ key: e.key, op: 'notin', values: e.values ?? [] });
    else if (e.operator === 'Exists') out.push({ key: e.key, op: 'exists' });
    else if (e.operator === 'DoesNotExist') out.push({ key: e.key, op: '!' });
  }
  return out;
}

export function selectorMatches(ls: LabelSelector | undefined | null, labels: Record<string, string> | undefined): boolean {
  const sel = fromLabelSelector(ls);
  return sel !== undefined && matches(sel, labels);
}

/** Whether the service selects pods (without a selector its endpoints are the user's to write). */
export const hasSelector = (svc: Service) => !!svc.spec.selector && Object.keys(svc.spec.selector).length > 0;

/** Whether the service's selector picks this pod (a pod in its namespace with matching labels). */
export function selects(svc: Service, pod: Pod): boolean {
  if (!hasSelector(svc) || pod.metadata.namespace !== svc.metadata.namespace) return false;
  return matches(fromLabelSelector({ matchLabels: svc.spec.selector })!, pod.metadata.labels);
}

/** "app=web,tier=db": the form kubectl shows in SELECTOR columns and sends as labelSelector. */
export function formatLabelSelector(ls: LabelSelector | undefined | null): string {
  if (!ls) return '<none>';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(ls.matchLabels ?? {})) parts.push(`${k}=${v}`);
  for (const e of ls.matchExpressions ?? []) {
    if (e.operator === 'In') parts.push(`${e.key} in (${(e.values ?? []).join(',')})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${(e.values ?? []).join(',')})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else parts.push(`!${e.key}`);
  }
  return parts.length ? parts.join(',') : '<none>';
}

export function formatLabels(labels: Record<string, string> | undefined): string {
  const entries = Object.entries(labels ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(',') : '<none>';
}

// ---- field selectors ----

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

export function parseFieldSelector(text: string | undefined | null): FieldRequirement[] {
  if (!text) return [];
  return text.split(',').map((part) => {
    const m = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(part);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
    return { field: m[1], op: m[2] === '!=' ? '!=' : '=', value: m[3] };
  });
}

export function fieldMatches(reqs: FieldRequirement[], fields: Record<string, string>): boolean {
  return reqs.every((r) => (r.op === '=' ? fields[r.field] === r.value : fields[r.field] !== r.value));
}
