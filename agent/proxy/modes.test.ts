import t from 'tap';
import { ProxyModeUnavailableError, UnsupportedProxyModeError } from './errors.js';
import { checkProxyMode, hostKernelProbe, type KernelProbe } from './modes.js';

/** A kernel described by its files; modprobe of `loadable` modules creates their /proc file. */
function kernel(files: Record<string, string>, loadable: Record<string, string> = {}): KernelProbe & { probed: string[] } {
  const probed: string[] = [];
  return {
    probed,
    release: () => '6.1.0-27-amd64',
    exists: async (p) => (probed.push(p), p in files),
    readFile: async (p) => (probed.push(p), files[p]),
    modprobe: async (m) => {
      probed.push(`modprobe ${m}`);
      if (!(m in loadable)) return false;
      files[loadable[m]!] = '';
      return true;
    },
  };
}

t.test('iptables and nftables need no probing; unknown modes are refused', async (t) => {
  const k = kernel({});
  t.equal(await checkProxyMode('iptables', k), 'iptables');
  t.equal(await checkProxyMode('nftables', k), 'nftables');
  t.same(k.probed, []);
  await t.rejects(checkProxyMode('userspace', k), new UnsupportedProxyModeError('userspace', ['iptables', 'nftables', 'ipvs']));
});

t.test('ipvs on a kernel without ip_vs stops with one line naming the module and the modes that work', async (t) => {
  const k = kernel({});
  const err = await checkProxyMode('ipvs', k).then(() => undefined, (e: unknown) => e as Error);
  t.ok(err instanceof ProxyModeUnavailableError);
  t.equal(err!.message, 'proxy mode "ipvs" needs kernel module ip_vs, which this kernel (6.1.0-27-amd64) does not have and cannot load; modes that work here: iptables, nftables');
  t.same(k.probed, ['/proc/net/ip_vs', '/proc/modules', '/lib/modules/6.1.0-27-amd64/modules.builtin', 'modprobe ip_vs'], "kube-proxy's places, in order");
});

t.test('ip_vs found loaded, built in, or loadable, with dummy links, passes the check', async (t) => {
  const dummy = '/lib/modules/6.1.0-27-amd64/modules.builtin';
  const cases: [string, KernelProbe][] = [
    ['in the running kernel', kernel({ '/proc/net/ip_vs': '', '/sys/module/dummy': '' })],
    ['loaded', kernel({ '/proc/modules': 'nf_conntrack 172032 1 - Live 0x0\nip_vs 176128 0 - Live 0x0\ndummy 16384 0 - Live 0x0\n' })],
    ['built in', kernel({ [dummy]: 'kernel/net/netfilter/ipvs/ip_vs.ko\nkernel/drivers/net/dummy.ko\n' })],
    ['loadable', kernel({}, { ip_vs: '/proc/net/ip_vs', dummy: '/sys/module/dummy' })],
  ];
  for (const [what, k] of cases) t.equal(await checkProxyMode('ipvs', k), 'ipvs', what);
  const fakeLoad = kernel({});
  fakeLoad.modprobe = async () => true;
  await t.rejects(checkProxyMode('ipvs', fakeLoad), { message: /needs kernel module ip_vs/ }, 'modprobe "succeeding" without /proc/net/ip_vs is not enough');
});

t.test('ipvs on a kernel with ip_vs but without dummy links names the dummy module', async (t) => {
  await t.rejects(checkProxyMode('ipvs', kernel({ '/proc/net/ip_vs': '' })), {
    message: 'proxy mode "ipvs" needs kernel module dummy (for the kube-ipvs0 link), which this kernel (6.1.0-27-amd64) does not have and cannot load; modes that work here: iptables, nftables',
  });
});

t.test('this host: ipvs is refused with a ProxyModeUnavailableError whatever the kernel has', async (t) => {
  await t.rejects(checkProxyMode('ipvs', hostKernelProbe), ProxyModeUnavailableError);
});
