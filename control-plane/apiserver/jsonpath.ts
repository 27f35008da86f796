// The JSONPath subset custom resource definitions use (kube: k8s.io/client-go/util/jsonpath, as the CRD table
// convertor runs it with missing keys allowed): fields (.a.b, ['a.b']), indices ([0], [-1]), every element ([*]),
// and filters on a field ([?(@.type=="Ready")], != too). A path that cannot be parsed finds nothing.
type Json = unknown;

type Step = { field: string } | { index: number } | { all: true } | { filter: { path: string[]; op: '==' | '!='; value: Json } };

/** The steps of a path such as `.status.conditions[?(@.type=="Ready")].status`, or undefined when it is not one. */
export function parseJSONPath(path: string): Step[] | undefined {
  let p = path.trim();
  if (p.startsWith('{') && p.endsWith('}')) p = p.slice(1, -1);
  if (p.startsWith('$')) p = p.slice(1);
  const steps: Step[] = [];
  let i = 0;
  while (i < p.length) {
    if (p[i] === '.') {
      const m = /^\.([A-Za-z0-9_-]+)/.exec(p.slice(i));
      if (!m) return undefined;
      steps.push({ field: m[1] });
      i += m[0].length;
      continue;
    }
    if (p[i] !== '[') return undefined;
    const end = closing(p, i);
    if (end < 0) return undefined;
    const inner = p.slice(i + 1, end).trim();
    i = end + 1;
    if (inner === '*') steps.push({ all: true });
    else if (/^-?\d+$/.test(inner)) steps.push({ index: Number(inner) });
    else if (/^'[^']*'$|^"[^"]*"$/.test(inner)) steps.push({ field: inner.slice(1, -1) });
    else {
      const f = /^\?\(\s*@((?:\.[A-Za-z0-9_-]+)+)\s*(==|!=)\s*(.+?)\s*\)$/.exec(inner);
      if (!f) return undefined;
      let value: Json;
      try {
        value = JSON.parse(f[3].replace(/^'(.*)'$/, '"$1"'));
      } catch {
        return undefined;
      }
      steps.push({ filter: { path: f[1].slice(1).split('.'), op: f[2] as '==' | '!=', value } });
    }
  }
  return steps;
}

/** The index of the "]" that closes the "[" at `open`, quotes respected. */
function closing(p: string, open: number): number {
  let quote = '';
  for (let i = open + 1; i < p.length; i++) {
    const c = p[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === ']') return i;
  }
  return -1;
}

const isObj = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every value the path finds in the object, in document order; missing keys find nothing. */
export function findJSONPath(obj: Json, steps: Step[]): Json[] {
  let current: Json[] = [obj];
  for (const step of steps) {
    const next: Json[] = [];
    for (const v of current) {
      if ('field' in step) {
        if (isObj(v) && Object.hasOwn(v, step.field)) next.push(v[step.field]);
      } else if ('index' in step) {
        if (Array.isArray(v)) {
          const at = step.index < 0 ? v.length + step.index : step.index;
          if (at >= 0 && at < v.length) next.push(v[at]);
        }
      } else if ('all' in step) {
        if (Array.isArray(v)) next.push(...v);
        else if (isObj(v)) next.push(...Object.values(v));
      } else {
        const { path, op, value } = step.filter;
        const items = Array.isArray(v) ? v : [];
        for (const item of items) {
          let x: Json = item;
          for (const f of path) x = isObj(x) ? x[f] : undefined;
          if ((x === value) === (op === '==')) next.push(item);
        }
      }
    }
    current = next;
  }
  return current;
}
