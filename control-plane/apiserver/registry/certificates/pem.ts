// What CertificateSigningRequest validation needs to read (kube: pkg/apis/certificates ParseCSR with Go's
// encoding/pem and crypto/x509): PEM blocks, the PKCS#10 request inside one, whether its signature verifies, and
// whether a PEM bundle holds only certificates. Synchronous, so validation stays a plain function of the object.
import { createPublicKey, verify, X509Certificate } from 'node:crypto';

export interface PemBlock {
  type: string;
  /** The block carries headers ("Proc-Type: …") before its data. */
  headers: boolean;
  der: Buffer;
}

/** The PEM blocks of `data`, in order; text around them is ignored, as encoding/pem's Decode skips it. */
export function pemBlocks(data: Buffer): PemBlock[] {
  const text = data.toString('latin1');
  const out: PemBlock[] = [];
  const block = /-----BEGIN ([^\r\n-]*)-----\r?\n([\s\S]*?)-----END \1-----/g;
  for (let m = block.exec(text); m; m = block.exec(text)) {
    const body = m[2];
    const blank = body.search(/\r?\n\r?\n/);
    const headers = /^[^\r\n:]+:/.test(body) && blank >= 0;
    const b64 = (headers ? body.slice(blank) : body).replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) continue; // not a block Go would decode: skipped
    out.push({ type: m[1], headers, der: Buffer.from(b64, 'base64') });
  }
  return out;
}

// ---- DER, just enough of it to find a request's signed part, algorithm, signature and public key ----

interface TLV {
  tag: number;
  /** Where the whole element starts and ends, and where its contents start. */
  start: number;
  contents: number;
  end: number;
}

function tlv(buf: Buffer, pos: number, limit = buf.length): TLV {
  if (pos + 2 > limit) throw new Error('truncated');
  const tag = buf[pos];
  let len = buf[pos + 1];
  let contents = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || contents + n > limit) throw new Error('bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[contents + i];
    contents += n;
  }
  if (contents + len > limit) throw new Error('truncated');
  return { tag, start: pos, contents, end: contents + len };
}

/** The elements of a constructed element. */
function children(buf: Buffer, parent: TLV): TLV[] {
  const out: TLV[] = [];
  for (let pos = parent.contents; pos < parent.end; ) {
    const c = tlv(buf, pos, parent.end);
    out.push(c);
    pos = c.end;
  }
  return out;
}

function oid(bytes: Buffer): string {
  const parts: number[] = [Math.floor(bytes[0] / 40), bytes[0] % 40];
  let v = 0;
  for (const b of bytes.subarray(1)) {
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) parts.push(v), (v = 0);
  }
  return parts.join('.');
}

/** Signature algorithms by OID: the digest node's verify takes (null for Ed25519) and the name Go's errors use. */
const algorithms: Record<string, { hash: string | null; family: 'RSA' | 'ECDSA' | 'Ed25519' }> = {
  '1.2.840.113549.1.1.5': { hash: 'sha1', family: 'RSA' },
  '1.2.840.113549.1.1.11': { hash: 'sha256', family: 'RSA' },
  '1.2.840.113549.1.1.12': { hash: 'sha384', family: 'RSA' },
  '1.2.840.113549.1.1.13': { hash: 'sha512', family: 'RSA' },
  '1.2.840.10045.4.1': { hash: 'sha1', family: 'ECDSA' },
  '1.2.840.10045.4.3.2': { hash: 'sha256', family: 'ECDSA' },
  '1.2.840.10045.4.3.3': { hash: 'sha384', family: 'ECDSA' },
  '1.2.840.10045.4.3.4': { hash: 'sha512', family: 'ECDSA' },
  '1.3.101.112': { hash: null, family: 'Ed25519' },
};

/**
 * Why `pem` is not a PEM-encoded PKCS#10 request with a valid signature, in the words of kube's ParseCSR and Go's
 * CheckSignature; undefined when it is one.
 */
export function certificateRequestError(pem: Buffer): string | undefined {
  const block = pemBlocks(pem)[0];
  if (!block || block.type !== 'CERTIFICATE REQUEST') return 'PEM block type must be CERTIFICATE REQUEST';
  const der = block.der;
  let info: TLV, algorithm: string, signature: Buffer, spki: Buffer;
  try {
    const top = tlv(der, 0);
    const [infoEl, algEl, sigEl] = children(der, top);
    if (top.tag !== 0x30 || infoEl?.tag !== 0x30 || algEl?.tag !== 0x30 || sigEl?.tag !== 0x03) throw new Error('structure');
    info = infoEl;
    const algOid = children(der, algEl)[0];
    if (algOid?.tag !== 0x06) throw new Error('structure');
    algorithm = oid(der.subarray(algOid.contents, algOid.end));
    signature = der.subarray(sigEl.contents + 1, sigEl.end); // past the unused-bits byte
    const [, , spkiEl] = children(der, info);
    if (spkiEl?.tag !== 0x30) throw new Error('structure');
    spki = der.subarray(spkiEl.start, spkiEl.end);
  } catch {
    return 'asn1: structure error: the certificate request is malformed';
  }
  const alg = algorithms[algorithm];
  if (!alg) return 'x509: cannot verify signature: algorithm unimplemented';
  let ok: boolean;
  try {
    ok = verify(alg.hash, der.subarray(info.start, info.end), createPublicKey({ key: spki, format: 'der', type: 'spki' }), signature);
  } catch {
    ok = false;
  }
  if (ok) return undefined;
  return alg.family === 'RSA' ? 'crypto/rsa: verification error' : `x509: ${alg.family} verification failure`;
}

/**
 * Why `pem` is not a bundle of certificates (kube's validateCertificate for status.certificate); undefined when it
 * is one, or empty.
 */
export function certificateBundleError(pem: Buffer): string | undefined {
  if (!pem.length) return undefined;
  const blocks = pemBlocks(pem);
  for (const b of blocks) {
    if (b.type !== 'CERTIFICATE') return `only CERTIFICATE PEM blocks are allowed, found ${JSON.stringify(b.type)}`;
    if (b.headers) return 'no PEM block headers are permitted';
    try {
      new X509Certificate(b.der);
    } catch (e) {
      return `x509: malformed certificate: ${(e as Error).message}`;
    }
  }
  return blocks.length ? undefined : 'must contain at least one CERTIFICATE PEM block';
}
