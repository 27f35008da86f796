// The cgroup and /proc readers against fixture trees: v1 with split cpu/cpuacct mounts (this host's layout), v1 with a
// combined cpu,cpuacct mount, and v2; /proc/net/dev, meminfo and stat texts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import type * as Tap from 'tap';
import { parseCgroupLayout, readCgroup, cgroupPids, parseFlatKeyed } from './cgroups.js';
import { parseMeminfo, parseNetDev, parseProcStat } from './procfs.js';
import { usageOf } from './provider.js';

function tree(t: Tap.Test, files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-cg-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

const mountinfo = (root: string, lines: string[]) => lines.map((l, i) => `${30 + i} 23 0:${40 + i} / ${l.replace('ROOT', root)}`).join('\n');

t.test('layouts from the mount table', async (t) => {
  const split = parseCgroupLayout(
    mountinfo('/sys/fs/cgroup', [
      'ROOT/cpu rw,relatime shared:1 - cgroup cgroup rw,cpu',
      'ROOT/cpuacct rw,relatime shared:2 - cgroup cgroup rw,cpuacct',
      'ROOT/memory rw,relatime shared:3 - cgroup cgroup rw,memory',
      'ROOT/systemd rw,relatime shared:4 - cgroup cgroup rw,name=systemd',
      'ROOT/unified rw,relatime shared:5 - cgroup2 cgroup2 rw',
    ]),
  );
  t.same(split, { v1: { cpu: '/sys/fs/cgroup/cpu', cpuacct: '/sys/fs/cgroup/cpuacct', memory: '/sys/fs/cgroup/memory' } }, 'hybrid: v1 wins, the empty unified mount is not used');
  const combined = parseCgroupLayout(mountinfo('/sys/fs/cgroup', ['ROOT/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct', 'ROOT/memory rw - cgroup cgroup rw,memory']));
  t.equal(combined.v1.cpuacct, '/sys/fs/cgroup/cpu,cpuacct');
  t.same(parseCgroupLayout(mountinfo('/sys/fs/cgroup', ['ROOT rw,nosuid - cgroup2 cgroup2 rw,nsdelegate'])), { v1: {}, unified: '/sys/fs/cgroup' }, 'pure v2');
});

t.test('cgroup v1: cpuacct.usage, usage less total_inactive_file, limits', async (t) => {
  const root = tree(t, {
    'cpuacct/kubepods/podA/c1/cpuacct.usage': '123456789\n',
    'memory/kubepods/podA/c1/memory.usage_in_bytes': '10000000\n',
    'memory/kubepods/podA/c1/memory.limit_in_bytes': '67108864\n',
    'memory/kubepods/podA/c1/memory.stat': 'cache 100\nrss 2000\ninactive_file 50\ntotal_rss 3000000\ntotal_inactive_file 4000000\ntotal_pgfault 77\ntotal_pgmajfault 3\n',
    'memory/kubepods/podA/c1/cgroup.procs': '41\n42\n',
    'memory/kubepods/memory.usage_in_bytes': '5\n',
    'memory/kubepods/memory.limit_in_bytes': '9223372036854771712\n',
    'memory/kubepods/memory.stat': 'total_inactive_file 9\n',
  });
  const layout = { v1: { cpuacct: path.join(root, 'cpuacct'), memory: path.join(root, 'memory') } };
  const s = readCgroup('/kubepods/podA/c1', layout, () => 1000)!;
  t.same(s, { time: 1000, cpuUsageNs: 123456789, memory: { usageBytes: 10_000_000, workingSetBytes: 6_000_000, rssBytes: 3_000_000, pageFaults: 77, majorPageFaults: 3, limitBytes: 67108864 } });
  const parent = readCgroup('/kubepods', layout, () => 1000)!;
  t.equal(parent.memory!.workingSetBytes, 0, 'inactive file above usage leaves a working set of 0, never negative');
  t.notOk('limitBytes' in parent.memory!, 'the v1 "unlimited" value is no limit');
  t.equal(readCgroup('/kubepods/nosuch', layout), undefined, 'a cgroup that does not exist');
  t.same(cgroupPids('/kubepods/podA/c1', layout), [41, 42]);
});

t.test('cgroup v2: cpu.stat usage_usec, memory.current less inactive_file', async (t) => {
  const root = tree(t, {
    'kubepods/podB/c2/cpu.stat': 'usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n',
    'kubepods/podB/c2/memory.current': '8192000\n',
    'kubepods/podB/c2/memory.max': 'max\n',
    'kubepods/podB/c2/memory.stat': 'anon 4096000\nfile 4096000\ninactive_file 1024000\npgfault 12\npgmajfault 1\n',
  });
  const s = readCgroup('/kubepods/podB/c2', { v1: {}, unified: root }, () => 5)!;
  t.same(s, { time: 5, cpuUsageNs: 2_500_000_000, memory: { usageBytes: 8_192_000, workingSetBytes: 7_168_000, rssBytes: 4_096_000, pageFaults: 12, majorPageFaults: 1 } }, 'memory.max "max" is no limit');
});

t.test('usageNanoCores is the rate between two readings', async (t) => {
  const u = usageOf({ time: 11_000, cpuUsageNs: 6_000_000_000 }, { time: 1_000, cpuUsageNs: 1_000_000_000 });
  t.equal(u.usageNanoCores, 500_000_000, '5 s of CPU in 10 s: half a core');
  t.notOk('usageNanoCores' in usageOf({ time: 1, cpuUsageNs: 5 }, undefined), 'no rate from one reading');
  t.notOk('usageNanoCores' in usageOf({ time: 2, cpuUsageNs: 5 }, { time: 1, cpuUsageNs: 9 }), 'no rate across a counter reset');
});

t.test('/proc texts', async (t) => {
  const netdev = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0
  eth0:  123456     100    2    0    0     0          0         0    65432      90    1    0    0     0       0          0
`;
  t.same(parseNetDev(netdev), [{ name: 'eth0', rxBytes: 123456, rxErrors: 2, txBytes: 65432, txErrors: 1 }], 'loopback left out');
  t.same(parseMeminfo('MemTotal:       2048 kB\nMemFree:         1024 kB\nHugePages_Total:       0\n'), { MemTotal: 2097152, MemFree: 1048576, HugePages_Total: 0 });
  t.same(parseProcStat('cpu  100 0 50 1000 20 5 5 0 0 0\ncpu0 100 0 50 1000 20 5 5 0 0 0\nbtime 1700000000\n'), { cpuUsageNs: 1.6e9, bootTimeMs: 1_700_000_000_000 }, 'busy ticks at USER_HZ 100');
  t.same(parseFlatKeyed('a 1\nb x\n c  3 \n'), { a: 1, c: 3 });
});
