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
