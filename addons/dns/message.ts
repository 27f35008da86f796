// The DNS server's message rules (miekg/dns as CoreDNS uses it: server.go's accept function, msg_truncate.go;
// CoreDNS's request.SizeAndDo/Scrub): which requests are answered, how a reply carries EDNS0, and how a reply larger
// than the client can take is cut down with TC set. Packets are read and written with dns-packet.
import dnsPacket, { type Answer, type DecodedPacket, type OptAnswer, type Question } from 'dns-packet';

/** A resource record: anything a section holds but EDNS0's pseudo-record. */
export type RR = Exclude<Answer, OptAnswer>;

export const rcodes = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export type Rcode = keyof typeof rcodes;
/** BADVERS: extended RCODE 16, carried as 1 in the OPT record's upper bits with 0 in the header. */
const BADVERS_UPPER = 1;

const QR = 1 << 15;
const OPCODE_MASK = 0xf << 11;
const RD = 1 << 8;
const CD = 1 << 4;
const HEADER = 12;
/** Without EDNS0 a UDP reply fits 512 bytes; TCP carries up to 64 KiB. */
export const MIN_UDP_SIZE = 512;
export const MAX_TCP_SIZE = 65535;
/** The most one UDP datagram carries over IPv4, whatever buffer a client announces. */
const MAX_UDP_SIZE = 65507;

export interface Query {
  id: number;
  /** The request's header flags (opcode, RD, CD…), without QR. */
  flags: number;
  question: Question;
  /** The request's OPT record, if it had one (EDNS0). */
  opt?: OptAnswer;
}

export type Incoming =
  /** Not answered at all: too short to have a header, or a response (a reply to it could be used to reflect). */
  | { kind: 'ignore' }
  /** Answered from the header alone: FORMERR, NOTIMP, or BADVERS. */
  | { kind: 'reject'; rcode: Rcode | 'BADVERS'; reply: Buffer }
  | { kind: 'query'; query: Query };

/** Reads a request as miekg/dns's default accept function and unpacking do. Never throws. */
export function readQuery(buf: Buffer): Incoming {
  if (buf.length < HEADER) return { kind: 'ignore' };
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  if (flags & QR) return { kind: 'ignore' };
  const reject = (rcode: Rcode) => ({ kind: 'reject' as const, rcode, reply: headerReply(id, flags, rcodes[rcode]) });
  // Only QUERY is served: NOTIFY, UPDATE and the unassigned opcodes get NOTIMP.
  if (flags & OPCODE_MASK) return reject('NOTIMP');
  const [qd, an, ns, ar] = [4, 6, 8, 10].map((o) => buf.readUInt16BE(o));
  if (qd !== 1 || an > 1 || ns > 1 || ar > 2) return reject('FORMERR');
  let packet: DecodedPacket;
  try {
    packet = dnsPacket.decode(buf);
  } catch {
    return reject('FORMERR');
  }
  const question = packet.questions?.[0];
  if (!question || typeof question.name !== 'string') return reject('FORMERR');
  const opts = (packet.additionals ?? []).filter((a): a is OptAnswer => a.type === 'OPT');
  if (opts.length > 1) return reject('FORMERR');
  const query: Query = { id, flags: flags & ~QR, question, opt: opts[0] };
  if (query.opt && query.opt.ednsVersion > 0) return { kind: 'reject', rcode: 'BADVERS', reply: encodeReply(query, { rcode: 0, extendedRcode: BADVERS_UPPER }, MAX_TCP_SIZE) };
  return { kind: 'query', query };
}

/** A header-only reply: the request's id and opcode, its RD and CD, no sections. */
function headerReply(id: number, flags: number, rcode: number): Buffer {
  const out = Buffer.alloc(HEADER);
  out.writeUInt16BE(id, 0);
  out.writeUInt16BE(QR | (flags & (OPCODE_MASK | RD | CD)) | rcode, 2);
  return out;
}

/** The largest reply the client takes over this transport (EDNS0's size, never under 512; 64 KiB over TCP). */
export function maxReplySize(q: Query, proto: 'udp' | 'tcp'): number {
  if (proto === 'tcp') return MAX_TCP_SIZE;
  return Math.min(MAX_UDP_SIZE, Math.max(MIN_UDP_SIZE, q.opt?.udpPayloadSize ?? MIN_UDP_SIZE));
}

export interface ReplyParts {
  rcode: number;
  /** Set by CoreDNS's kubernetes plugin and cache (its AA quirk), not by forward. */
  authoritative?: boolean;
  recursionAvailable?: boolean;
  authenticData?: boolean;
  truncated?: boolean;
  answers?: RR[];
  authorities?: RR[];
  additionals?: RR[];
  extendedRcode?: number;
}

const AA = 1 << 10;
const TC = 1 << 9;
const RA = 1 << 7;
const AD = 1 << 5;
const DO = 1 << 15;

const rrLength = (rr: Answer) => dnsPacket.encodingLength({ questions: [], answers: [rr] }) - HEADER;

/**
 * Encodes the reply to q in at most maxSize bytes. A reply that does not fit keeps as many records as fit, in order
 * (answers, then authority, then additional), and has TC set — the client asks again over TCP.
 */
export function encodeReply(q: Query, parts: ReplyParts, maxSize: number): Buffer {
  let flags = (q.flags & (RD | CD)) | (parts.rcode & 0xf);
  if (parts.authoritative) flags |= AA;
  if (parts.recursionAvailable) flags |= RA;
  if (parts.authenticData) flags |= AD;
  let answers = parts.answers ?? [];
  let authorities = parts.authorities ?? [];
  let additionals = parts.additionals ?? [];
  // EDNS0 in, EDNS0 out: the client's buffer size and its DO bit, version 0.
  const opt: OptAnswer | undefined = q.opt
    ? { type: 'OPT', name: '.', udpPayloadSize: Math.max(MIN_UDP_SIZE, q.opt.udpPayloadSize), extendedRcode: parts.extendedRcode ?? 0, ednsVersion: 0, flags: q.opt.flags & DO, flag_do: !!(q.opt.flags & DO), options: [] }
    : undefined;
  let truncated = !!parts.truncated;
  const packet = () => ({ id: q.id, type: 'response' as const, flags: flags | (truncated ? TC : 0), questions: [q.question], answers, authorities, additionals: opt ? [...additionals, opt] : additionals });
  if (dnsPacket.encodingLength(packet()) > maxSize) {
    let room = maxSize - dnsPacket.encodingLength({ questions: [q.question] }) - (opt ? rrLength(opt) : 0);
    let cut = false;
    // Records are kept in order while they fit; once one does not, nothing after it is.
    const fit = (rrs: RR[]): RR[] => {
      const kept: RR[] = [];
      for (const rr of rrs) {
        const n = cut ? Infinity : rrLength(rr);
        if (n > room) {
          cut = true;
          break;
        }
        room -= n;
        kept.push(rr);
      }
      return kept;
    };
    answers = fit(answers);
    authorities = fit(authorities);
    additionals = fit(additionals);
    truncated = true;
  }
  return dnsPacket.encode(packet());
}

/** Decodes a reply from upstream; undefined when it does not parse. */
export function decodeReply(buf: Buffer): DecodedPacket | undefined {
  try {
    return dnsPacket.decode(buf);
  } catch {
    return undefined;
  }
}

/** The rcode of a wire message (the header's four bits). */
export function rcodeOf(buf: Buffer): number {
  return buf.length >= 4 ? buf.readUInt16BE(2) & 0xf : rcodes.SERVFAIL;
}

export function rcodeName(rcode: number): string {
  return (Object.keys(rcodes) as Rcode[]).find((k) => rcodes[k] === rcode) ?? `RCODE${rcode}`;
}

/** A query for name/type as this server sends it upstream (RD set), with a fresh id. */
export function encodeQuery(name: string, type: Question['type'], id: number): Buffer {
  return dnsPacket.encode({ id, type: 'query', flags: RD, questions: [{ name, type, class: 'IN' }] });
}

export const flagBits = { AA, TC, RA, AD, RD, CD };
