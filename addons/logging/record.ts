// A log line as the collector ships it and the store keeps it (fluentd's record with its kubernetes metadata: pod,
// namespace, container, node, labels), and how a line's bytes become text: valid UTF-8 stays as it is, every byte
// that is not part of a valid sequence is written as \xNN, and a cut never splits a character.

export interface LogRecord {
  /** RFC3339Nano, as the runtime stamped the line. */
  time: string;
  namespace: string;
  pod: string;
  /** The pod's UID (from its log directory's name). */
  uid: string;
  container: string;
  node: string;
  labels: Record<string, string>;
  stream: 'stdout' | 'stderr';
  line: string;
  /** Bytes of the line left out (it was longer than the collector keeps); absent when none were. */
  truncated?: number;
}

/** Length of the valid UTF-8 sequence at b[i], 0 when the byte there does not start one (RFC 3629's table). */
function sequenceLength(b: Buffer, i: number): number {
  const c = b[i];
  if (c < 0x80) return 1;
  let n: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) n = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c === 0xe0) lo = 0xa0; // no overlong forms
    if (c === 0xed) hi = 0x9f; // no surrogates
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c === 0xf0) lo = 0x90;
    if (c === 0xf4) hi = 0x8f; // nothing above U+10FFFF
  } else return 0;
  if (i + n > b.length) return 0;
  if (b[i + 1] < lo || b[i + 1] > hi) return 0;
  for (let k = 2; k < n; k++) if (b[i + k] < 0x80 || b[i + k] > 0xbf) return 0;
  return n;
}

const strictDecoder = new TextDecoder('utf-8', { fatal: true });

/** The bytes as text: invalid bytes escaped as \xNN (a literal backslash stays as it is). */
export function escapeInvalidUtf8(b: Buffer): string {
  try {
    return strictDecoder.decode(b);
  } catch {
    // Slow path, only for lines that are not valid UTF-8.
  }
  let out = '';
  let run = 0;
  let i = 0;
  while (i < b.length) {
    const n = sequenceLength(b, i);
    if (n) {
      i += n;
      continue;
    }
    out += b.toString('utf8', run, i) + `\\x${b[i].toString(16).padStart(2, '0')}`;
    i++;
    run = i;
  }
  return out + b.toString('utf8', run, i);
}

/** At most maxBytes of the line, cut before a character that would not fit whole. */
export function cutUtf8(b: Buffer, maxBytes: number): Buffer {
  if (b.length <= maxBytes) return b;
  let end = maxBytes;
  // Back off over continuation bytes (at most three) to the start of the cut character.
  for (let k = 0; k < 3 && end > 0 && (b[end] & 0xc0) === 0x80; k++) end--;
  if ((b[end] & 0xc0) === 0x80) end = maxBytes; // not UTF-8 there anyway
  return b.subarray(0, end);
}

/** A line's text and how many of its bytes were left out. */
export function lineText(content: Buffer, maxBytes: number, alreadyDropped = 0): { line: string; truncated: number } {
  const kept = cutUtf8(content, maxBytes);
  return { line: escapeInvalidUtf8(kept), truncated: alreadyDropped + content.length - kept.length };
}
