// The probe manager's life: a pod sync starts probe workers for running containers; once the manager is closed, a
// pod sync still in flight starts none (their timers would keep the agent's process up after it closed).
import t from 'tap';
import type { Pod } from '../../api/types.js';
import type { ContainerInfo, PodRuntimeState } from './podstate.js';
import { ProbeManager } from './probes.js';
import type { RuntimeService } from './runtime.js';
import { activeTimers } from '../../test/timers.js';

const running = (id: string): ContainerInfo => ({ id, sandboxId: 's1', name: 'app', attempt: 0, state: 'CONTAINER_RUNNING', createdAt: 0, startedAt: 0, finishedAt: 0, exitCode: 0, reason: '', message: '', image: 'img', imageRef: 'img', restartCount: 0 }) as ContainerInfo;
const pod = (uid: string): Pod => ({
  metadata: { uid, name: uid, namespace: 'default' },
  // Never due within the test: the workers exist, their first probe waits an hour.
  spec: { containers: [{ name: 'app', image: 'img', startupProbe: { tcpSocket: { port: 9 }, initialDelaySeconds: 3600 } }] },
}) as unknown as Pod;
const state = (uid: string, id: string): PodRuntimeState => ({ uid, sandboxes: [{ id: 's1', state: 'SANDBOX_READY', attempt: 0, createdAt: 0, ip: '10.0.0.2' }], containers: [running(id)] });

t.test('a closed probe manager starts no probe workers', async (t) => {
  const probes = new ProbeManager({} as RuntimeService, () => undefined);
  const before = activeTimers();
  probes.sync(pod('p1'), state('p1', 'c1'));
  t.equal(probes.started('c1'), false, 'open: a startup probe worker holds the container until it succeeds');
  t.equal(activeTimers(), before + 1, 'its first probe is on a timer');
  probes.close();
  t.equal(activeTimers(), before, 'closing stops it');
  probes.sync(pod('p2'), state('p2', 'c2'));
  t.equal(probes.started('c2'), true, 'closed: no worker for a pod synced afterwards');
  t.equal(activeTimers(), before, 'and no timer');
});
