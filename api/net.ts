// IPv4 addresses and CIDR blocks as numbers (k8s.io/utils/net): the one place the control plane's allocators, the
// agent's routes and the lab's address checks do their arithmetic.

/** An IPv4 address in dotted form as an unsigned 32-bit number, or undefined when it is not one. */
export function parseIPv4(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    v = v * 256 + Number(p);
  }
  return v;
}

export function formatIPv4(v: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(v / 2 ** s) % 256).join('.');
}

/** The four bytes of an address, as netlink wants them. */
export function ipv4Bytes(v: number): Buffer {
  return Buffer.from([24, 16, 8, 0].map((s) => Math.floor(v / 2 ** s) % 256));
}

/** A CIDR block: its network address (host bits cleared), prefix length and number of addresses. */
export interface CIDR {
  base: number;
  prefix: number;
  size: number;
}

/** "10.244.1.7/24" → the block 10.244.1.0/24; a bare address is a /32. Undefined when malformed. */
export function parseCIDR(cidr: string): CIDR | undefined {
  const [ip, len, ...extra] = cidr.split('/');
  const v = parseIPv4(ip ?? '');
  if (v === undefined || extra.length) return undefined;
  if (len !== undefined && !/^\d{1,2}$/.test(len)) return undefined;
  const prefix = len === undefined ? 32 : Number(len);
  if (prefix > 32) return undefined;
  const size = 2 ** (32 - prefix);
  return { base: v - (v % size), prefix, size };
}

export function formatCIDR(c: CIDR): string {
  return `${formatIPv4(c.base)}/${c.prefix}`;
}

/** Whether the address lies in the block. */
export function cidrContains(c: CIDR, ip: number): boolean {
  return ip >= c.base && ip < c.base + c.size;
}

/** Whether two CIDRs share any address (false when either is malformed). */
export function cidrsOverlap(a: string, b: string): boolean {
  const ra = parseCIDR(a);
  const rb = parseCIDR(b);
  return !!ra && !!rb && ra.base < rb.base + rb.size && rb.base < ra.base + ra.size;
}

/** The n-th address of a block (0 is the network address): the service CIDR's first address is the API server's. */
export function nthAddress(cidr: string, n: number): string {
  const c = parseCIDR(cidr);
  if (!c) throw new Error(`invalid CIDR ${JSON.stringify(cidr)}`);
  if (n < 0 || n >= c.size) throw new Error(`${cidr} has no address number ${n}`);
  return formatIPv4(c.base + n);
}

/** The first /maskSize block of `within` that is not in `used`: the node IPAM range allocator's choice. */
export function nextFreeSubnet(within: string, maskSize: number, used: Set<string>): string | undefined {
  const c = parseCIDR(within);
  if (!c || maskSize < c.prefix || maskSize > 32) return undefined;
  const block = 2 ** (32 - maskSize);
  for (let n = c.base; n + block <= c.base + c.size; n += block) {
    const subnet = `${formatIPv4(n)}/${maskSize}`;
    if (!used.has(subnet)) return subnet;
  }
  return undefined;
}
