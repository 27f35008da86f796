import t from 'tap';
import { decodeDest, decodeService, encode, type VirtualServer } from './netlink.js';

const vs: VirtualServer = { address: '10.96.0.1', port: 443, protocol: 'TCP', scheduler: 'rr', flags: 1, timeout: 10800 };

t.test('NEW_SERVICE carries the whole service in one nested IPVS_CMD_ATTR_SERVICE, as linux/ip_vs.h lays it out', async (t) => {
  const req = encode.newService(vs);
  t.equal(req.cmd, 1);
  t.equal(req.payload.toString('hex'), [
    '4800', '0180', // nested IPVS_CMD_ATTR_SERVICE, 72 bytes
    '0600', '0100', '0200', '0000', // AF = AF_INET (u16, padded)
    '0600', '0200', '0600', '0000', // PROTOCOL = 6 (TCP)
    '0800', '0300', '0a600001', // ADDR = 10.96.0.1
    '0600', '0400', '01bb', '0000', // PORT = 443, network byte order
    '0700', '0600', '727200', '00', // SCHED_NAME = "rr\0"
    '0c00', '0700', '01000000', 'ffffffff', // FLAGS = {flags: PERSISTENT, mask: all}
    '0800', '0800', '302a0000', // TIMEOUT = 10800
    '0800', '0900', 'ffffffff', // NETMASK
  ].join(''));
});

t.test('destinations are masqueraded, with their weight; deletions name only what identifies them', async (t) => {
  const rs = { address: '10.244.1.5', port: 8080, weight: 1 };
  const add = encode.newDest(vs, rs);
  t.equal(add.cmd, 5);
  const dest = add.payload.subarray(add.payload.readUInt16LE(0));
  t.equal(dest.readUInt16LE(2), 0x8002, 'nested IPVS_CMD_ATTR_DEST');
  t.equal(dest.subarray(4).toString('hex'), ['0800', '0100', '0af40105', '0600', '0200', '1f90', '0000', '0800', '0300', '00000000', '0800', '0400', '01000000', '0800', '0500', '00000000', '0800', '0600', '00000000', '0600', '0b00', '0200', '0000'].join(''));
  const del = encode.delDest(vs, rs);
  t.equal(del.cmd, 7);
  t.equal(del.payload.length, 4 + 32 + 4 + 16, 'service identity (af, protocol, addr, port) and destination addr, port');
  t.ok(encode.getServices().dump);
  t.ok(encode.getDests(vs).dump);
});

t.test('kernel replies decode: the 16-byte address, the HASHED flag dropped, connection counters', async (t) => {
  const attr = (type: number, hex: string) => {
    const payload = Buffer.from(hex, 'hex');
    const b = Buffer.alloc((4 + payload.length + 3) & ~3);
    b.writeUInt16LE(4 + payload.length, 0);
    b.writeUInt16LE(type, 2);
    payload.copy(b, 4);
    return b;
  };
  const nest = (type: number, parts: Buffer[]) => attr(type | 0x8000, Buffer.concat(parts).toString('hex'));
  const svc = nest(1, [attr(1, '0200'), attr(2, '1100'), attr(3, '0a60000a' + '00'.repeat(12)), attr(4, '0035'), attr(6, '776c6300'), attr(7, '02000000ffffffff'), attr(8, '00000000'), attr(9, 'ffffffff')]);
  t.same(decodeService(svc), { address: '10.96.0.10', protocol: 'UDP', port: 53, scheduler: 'wlc', flags: 0, timeout: 0 });
  const dest = nest(2, [attr(1, '0af40105' + '00'.repeat(12)), attr(2, '0035'), attr(3, '00000000'), attr(4, '00000000'), attr(7, '03000000'), attr(8, '05000000'), attr(11, '0200')]);
  t.same(decodeDest(dest), { address: '10.244.1.5', port: 53, weight: 0, activeConnections: 3, inactiveConnections: 5 });
  t.equal(decodeService(nest(1, [attr(1, '0a00')])), undefined, 'IPv6 services are not ours');
});
