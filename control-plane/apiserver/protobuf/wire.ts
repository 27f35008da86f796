// The protobuf wire format: varints, fixed 32/64-bit words and length-delimited runs. Every read is bounds-checked and
// throws WireError, which the decoder turns into a 400 naming the field it was reading; the write side builds the
// fields of a message (the OpenAPI v2 document's protobuf encoding).

export const enum WireType {
  Varint = 0,
  Fixed64 = 1,
  Bytes = 2,
  StartGroup = 3,
  EndGroup = 4,
  Fixed32 = 5,
}

export class WireError extends Error {
  override name = 'WireError';
}

export interface Tag {
  field: number;
  wireType: WireType;
}

export class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  /** An unsigned varint of up to 64 bits. */
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new WireError('truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return BigInt.asUintN(64, result);
      shift += 7n;
    }
    throw new WireError('varint longer than 10 bytes');
  }

  /** A varint that must fit a JS number (tags, lengths). */
  smallVarint(): number {
    const v = this.varint();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new WireError('length or tag out of range');
    return Number(v);
  }

  tag(): Tag {
    const v = this.smallVarint();
    const field = Math.floor(v / 8);
    if (field === 0) throw new WireError('field number 0');
    return { field, wireType: (v & 7) as WireType };
  }

  take(n: number): Uint8Array {
    if (n > this.buf.length - this.pos) throw new WireError(`truncated: ${n} bytes announced, ${this.buf.length - this.pos} left`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  bytes(): Uint8Array {
    return this.take(this.smallVarint());
  }

  fixed32(): Uint8Array {
    return this.take(4);
  }

  fixed64(): Uint8Array {
    return this.take(8);
  }

  /** Skips one value of an unknown field (groups included, as proto2 allows them on the wire). */
  skip(wireType: WireType, depth = 0): void {
    switch (wireType) {
      case WireType.Varint:
        this.varint();
        return;
      case WireType.Fixed64:
        this.take(8);
        return;
      case WireType.Bytes:
        this.bytes();
        return;
      case WireType.Fixed32:
        this.take(4);
        return;
      case WireType.StartGroup: {
        if (depth > 64) throw new WireError('groups nested too deeply');
        for (;;) {
          const t = this.tag();
          if (t.wireType === WireType.EndGroup) return;
          this.skip(t.wireType, depth + 1);
        }
      }
      default:
        throw new WireError(`unexpected wire type ${wireType}`);
    }
  }
}

/** Go's int32 from a varint: the low 32 bits, two's complement (negatives arrive sign-extended to 64 bits). */
export function toInt32(v: bigint): number {
  return Number(BigInt.asIntN(32, v));
}

/** Go's int64 from a varint. JSON numbers beyond 2^53 lose precision, as in any JavaScript client. */
export function toInt64(v: bigint): number {
  return Number(BigInt.asIntN(64, v));
}

/** One varint's bytes (unsigned; negative int64s as their 64-bit two's complement). */
export function varintBytes(v: number | bigint): number[] {
  let n = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  do {
    let b = Number(n & 0x7fn);
    n >>= 7n;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

/** Fields of one message, written in call order; proto3 zero values are left out, as Go's marshaller does. */
export class Writer {
  private readonly parts: Buffer[] = [];

  private key(field: number, wireType: WireType): void {
    this.parts.push(Buffer.from(varintBytes(field * 8 + wireType)));
  }

  bytes(field: number, b: Uint8Array): this {
    this.key(field, WireType.Bytes);
    this.parts.push(Buffer.from(varintBytes(b.length)), Buffer.from(b));
    return this;
  }

  string(field: number, s: string | undefined): this {
    return s ? this.bytes(field, Buffer.from(s, 'utf8')) : this;
  }

  strings(field: number, values: readonly string[] | undefined): this {
    // Repeated strings are written even when empty: an empty element is still an element.
    for (const s of values ?? []) this.bytes(field, Buffer.from(s, 'utf8'));
    return this;
  }

  /** A bool; `keepFalse` for a member of a oneof, where false is a value rather than an absence. */
  bool(field: number, v: boolean | undefined, keepFalse = false): this {
    if (!v && !keepFalse) return this;
    this.key(field, WireType.Varint);
    this.parts.push(Buffer.from([v ? 1 : 0]));
    return this;
  }

  int64(field: number, v: number | undefined): this {
    if (!v) return this;
    this.key(field, WireType.Varint);
    this.parts.push(Buffer.from(varintBytes(Math.trunc(v))));
    return this;
  }

  double(field: number, v: number | undefined): this {
    if (!v) return this;
    this.key(field, WireType.Fixed64);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    this.parts.push(b);
    return this;
  }

  /** An embedded message, written even when empty (presence matters for messages). */
  message(field: number, m: Writer | undefined): this {
    return m ? this.bytes(field, m.finish()) : this;
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}
