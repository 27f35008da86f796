// The Prometheus text exposition format 0.0.4 (prometheus/common expfmt) for metric families gathered at scrape time
// with explicit sample timestamps — what the kubelet's /metrics/resource and /metrics/cadvisor write, and what
// prom-client (the registry behind every long-lived metric here) cannot carry. The parser reads the same format back
// (scrapers of kubelets, tests).

export interface Sample {
  labels?: Record<string, string>;
  value: number;
  /** Milliseconds since the epoch, written after the value. */
  timestampMs?: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'untyped';
  samples: Sample[];
}

const escapeHelp = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabel = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function sampleLine(name: string, s: Sample): string {
  // Label pairs sorted by name, as the Go client writes them.
  const labels = Object.entries(s.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const ls = labels.length ? `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
  const ts = s.timestampMs !== undefined ? ` ${Math.round(s.timestampMs)}` : '';
  return `${name}${ls} ${formatValue(s.value)}${ts}\n`;
}

/** The families in text format, sorted by name as Go's registry gathers them; a family without samples still says what it is. */
export function encodeText(families: MetricFamily[]): string {
  let out = '';
  for (const f of [...families].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    out += `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`;
    for (const s of f.samples) out += sampleLine(f.name, s);
  }
  return out;
}

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestampMs?: number;
}

/** A sample value as Prometheus reads it (Go's ParseFloat: NaN and Inf in any case; prom-client writes "Nan"). */
function parseNumber(s: string): number {
  const lower = s.toLowerCase();
  if (lower === '+inf' || lower === 'inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  if (lower === 'nan') return NaN;
  const n = Number(s);
  if (s === '' || Number.isNaN(n)) throw new Error(`not a number: ${s}`);
  return n;
}

/** The samples of a text exposition (comments skipped); throws on a malformed line, naming it. */
export function parseText(text: string): ParsedSample[] {
  const out: ParsedSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(?:\s+(-?\d+))?$/.exec(line);
    if (!m) throw new Error(`malformed sample line: ${line}`);
    const labels: Record<string, string> = {};
    if (m[2]) {
      const body = m[2].slice(1, -1);
      const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/gy;
      let lm: RegExpExecArray | null;
      let end = 0;
      while ((lm = re.exec(body))) {
        labels[lm[1]] = lm[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
        end = re.lastIndex;
      }
      if (body.slice(end).trim()) throw new Error(`malformed labels: ${line}`);
    }
    out.push({ name: m[1], labels, value: parseNumber(m[3]), ...(m[4] ? { timestampMs: Number(m[4]) } : {}) });
  }
  return out;
}
