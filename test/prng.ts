// A seeded pseudo-random generator for the fuzz tests (kube's counterpart: the seeded math/rand its fuzzers,
// k8s.io/apimachinery/pkg/api/apitesting/fuzzer, draw from): the same seed gives the same sequence.

/** mulberry32: small, fast, good enough to explore inputs reproducibly. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const chance = (p: number) => next() < p;
  return { next, int, pick, chance };
}
export type Rng = ReturnType<typeof prng>;
