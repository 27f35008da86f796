// Resource quantities ("250m", "1.5", "128Mi", "1G", "5e3") as numbers: CPU in millicores, everything else in units.
const binary: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const decimal: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** The quantity's value in base units (cores for cpu, bytes for memory). NaN when malformed. */
export function parseQuantity(q: string | number | undefined): number {
  if (q === undefined) return 0;
  if (typeof q === 'number') return q;
  const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/.exec(q.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  const suffix = m[2] ?? '';
  if (suffix in binary) return n * binary[suffix];
  if (suffix in decimal) return n * decimal[suffix];
  return n * 10 ** Number(suffix.slice(1));
}

export function milliCPU(q: string | number | undefined): number {
  return Math.round(parseQuantity(q) * 1000);
}

const binarySuffixes: [string, number][] = [['Ei', 2 ** 60], ['Pi', 2 ** 50], ['Ti', 2 ** 40], ['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]];
const decimalSuffixes: [string, number][] = [['E', 1e18], ['P', 1e15], ['T', 1e12], ['G', 1e9], ['M', 1e6], ['k', 1e3]];

/** A value as Kubernetes prints quantities: "500m", "2", "128Mi" (binary when `like` is), "1G". */
export function formatQuantity(v: number, like?: unknown): string {
  if (v === 0) return '0';
  const milli = Math.round(v * 1000);
  if (milli % 1000 !== 0) return `${milli}m`;
  const n = Math.round(v);
  const binary = typeof like === 'string' && /[KMGTPE]i$/.test(like.trim());
  for (const [s, f] of binary ? binarySuffixes : decimalSuffixes) if (n % f === 0) return `${n / f}${s}`;
  return String(n);
}
