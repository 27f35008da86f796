import t from 'tap';
import { cidrContains, cidrsOverlap, formatCIDR, formatIPv4, nextFreeSubnet, nthAddress, parseCIDR, parseIPv4 } from './net.js';

t.test('addresses parse and format', async (t) => {
  t.equal(parseIPv4('10.96.0.10'), 10 * 2 ** 24 + 96 * 2 ** 16 + 10);
  t.equal(formatIPv4(parseIPv4('255.255.255.255')!), '255.255.255.255');
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '1.2.3.x', '01234.1.1.1']) t.equal(parseIPv4(bad), undefined, bad);
});

t.test('CIDRs clear host bits; malformed ones are undefined', async (t) => {
  t.equal(formatCIDR(parseCIDR('10.244.1.7/24')!), '10.244.1.0/24');
  t.same(parseCIDR('192.168.56.7'), { base: parseIPv4('192.168.56.7'), prefix: 32, size: 1 });
  for (const bad of ['garbage', '10.0.0.0/33', '10.0.0.0/', '10.0.0.0/8/8', '10.0.0.0/x']) t.equal(parseCIDR(bad), undefined, bad);
  t.ok(cidrContains(parseCIDR('10.96.0.0/12')!, parseIPv4('10.111.255.255')!));
  t.notOk(cidrContains(parseCIDR('10.96.0.0/12')!, parseIPv4('10.112.0.0')!));
});

t.test('cidrsOverlap', async (t) => {
  t.ok(cidrsOverlap('192.168.56.0/24', '192.168.56.7/32'));
  t.ok(cidrsOverlap('192.168.0.0/16', '192.168.56.0/24'));
  t.notOk(cidrsOverlap('192.168.57.0/24', '192.168.56.0/24'));
  t.notOk(cidrsOverlap('garbage', '192.168.56.0/24'));
});

t.test('nthAddress and nextFreeSubnet', async (t) => {
  t.equal(nthAddress('10.96.0.0/12', 1), '10.96.0.1');
  t.throws(() => nthAddress('10.0.0.0/31', 2), /no address number 2/);
  t.equal(nextFreeSubnet('10.244.0.0/16', 24, new Set(['10.244.0.0/24', '10.244.1.0/24'])), '10.244.2.0/24');
  t.equal(nextFreeSubnet('10.244.0.0/23', 24, new Set(['10.244.0.0/24', '10.244.1.0/24'])), undefined);
});
