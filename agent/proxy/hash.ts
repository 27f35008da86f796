// The hash kube-proxy builds per-service names from, in every mode (pkg/proxy/iptables and nftables proxier.go):
// RFC 4648 base32 of the SHA-256 of a name, of which each mode keeps a prefix (16 characters for KUBE-SVC-…, 8 for
// nftables' service-…), so the rules on a kubets node read like those on a Kubernetes node.
import { createHash } from 'node:crypto';

const base32Alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 (standard alphabet, padded). */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += base32Alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += base32Alphabet[(value << (5 - bits)) & 31];
  return out.padEnd(Math.ceil(out.length / 8) * 8, '=');
}

/** base32(sha256(s)); with `chars`, only its first `chars` characters (only the bytes they need are encoded). */
export function sha256Base32(s: string, chars?: number): string {
  const digest = createHash('sha256').update(s).digest();
  if (chars === undefined) return base32(digest);
  return base32(digest.subarray(0, Math.ceil((chars * 5) / 8))).slice(0, chars);
}
