// Timestamps as Kubernetes writes them: metav1.Time is RFC 3339 to the second ("2024-01-01T00:00:00Z"), metav1.MicroTime
// to the microsecond (leases, events.k8s.io eventTime).

/** metav1.Time: RFC 3339, whole seconds, UTC. */
export function formatTime(at: Date | number = Date.now()): string {
  return new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** metav1.MicroTime: RFC 3339 with six fractional digits (milliseconds here, padded). */
export function formatMicroTime(at: Date | number = Date.now()): string {
  return new Date(at).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A Go duration ("30s", "1m30s", "500ms", "24h0m0s", "0") in milliseconds, as config files and flags of kube
 * components write them (time.ParseDuration; no sign, no days).
 */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let at = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * DURATION_UNITS[m[2]];
    at = re.lastIndex;
  }
  if (!s || at !== s.length) throw new Error(`invalid duration "${text}": want e.g. 30s, 1m30s, 500ms or 24h`);
  return total;
}
