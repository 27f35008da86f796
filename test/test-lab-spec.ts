// A four-node lab spec for tests that build a lab of their own: the caller's test-only names, and a 192.168.x.0/24
// nothing on this host uses (tried in random order from `firstOctet`), so it never meets a running lab.
import { subnetConflicts } from '../lab/prereqs.js';
import type { LabSpec } from '../lab/spec.js';

export async function testLabSpec(base: Omit<LabSpec, 'bridgeIP' | 'nodes'>, firstOctet: number): Promise<{ spec: LabSpec; ip: (host: number) => string }> {
  const candidates = Array.from({ length: 100 }, (_, i) => firstOctet + i).sort(() => Math.random() - 0.5);
  let subnet: number | undefined;
  for (const x of candidates) {
    if (!(await subnetConflicts({ ...base, bridgeIP: `192.168.${x}.1`, nodes: [] })).length) {
      subnet = x;
      break;
    }
  }
  if (subnet === undefined) throw new Error('no free 192.168.x.0/24 for the test lab on this host');
  const ip = (host: number) => `192.168.${subnet}.${host}`;
  const spec: LabSpec = {
    ...base,
    bridgeIP: ip(1),
    nodes: [
      { name: 'master', ip: ip(10), controlPlane: true },
      { name: 'worker1', ip: ip(11), controlPlane: false },
      { name: 'worker2', ip: ip(12), controlPlane: false },
      { name: 'worker3', ip: ip(13), controlPlane: false },
    ],
  };
  return { spec, ip };
}
