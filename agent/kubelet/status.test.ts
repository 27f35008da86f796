import t from 'tap';
import type { Pod, PodStatus } from '../../api/types.js';
import { instance, makePod, runtimeState, sandbox } from '../../test/fixtures/kubelet.js';
import { computePodStatus, criTime, podPhase, StatusManager, type StatusContext } from './status.js';

const NOW = '2024-05-01T10:00:00Z';
const ctx = (over: Partial<StatusContext> = {}): StatusContext => ({ now: NOW, nodeIP: '192.168.56.11', ...over });
const cond = (s: PodStatus, type: string) => s.conditions!.find((c) => c.type === type)!;

t.test('a pod with nothing in the runtime yet is Pending, its container ContainerCreating', async (t) => {
  const pod = makePod();
  const s = computePodStatus(pod, runtimeState([], []), ctx());
  t.equal(s.phase, 'Pending');
  t.same(s.containerStatuses![0].state, { waiting: { reason: 'ContainerCreating' } });
  t.equal(s.containerStatuses![0].ready, false);
  t.equal(s.containerStatuses![0].restartCount, 0);
  t.equal(s.containerStatuses![0].image, 'busybox:1.35');
  t.same(s.conditions!.map((c) => [c.type, c.status]), [
    ['PodReadyToStartContainers', 'False'],
    ['Initialized', 'True'],
    ['Ready', 'False'],
    ['ContainersReady', 'False'],
    ['PodScheduled', 'True'],
  ]);
  t.equal(cond(s, 'Ready').reason, 'ContainersNotReady');
  t.equal(cond(s, 'Ready').message, 'containers with unready status: [app]');
  t.equal(cond(s, 'PodScheduled').lastTransitionTime, '2024-01-01T00:00:00Z', 'conditions kubelet does not own are kept as they are');
  t.equal(s.hostIP, '192.168.56.11');
  t.same(s.hostIPs, [{ ip: '192.168.56.11' }]);
  t.equal(s.startTime, NOW);
  t.notOk(s.podIP);
});

t.test('a running container makes the pod Running and Ready, with the sandbox IP', async (t) => {
  const pod = makePod();
  const c = instance(pod, 'app', { startedMs: Date.parse('2024-05-01T09:59:58Z') });
  const s = computePodStatus(pod, runtimeState([sandbox()], [c]), ctx());
  t.equal(s.phase, 'Running');
  t.equal(s.podIP, '10.244.1.5');
  t.same(s.podIPs, [{ ip: '10.244.1.5' }]);
  const cs = s.containerStatuses![0];
  t.same(cs.state, { running: { startedAt: '2024-05-01T09:59:58Z' } });
  t.equal(cs.ready, true);
  t.equal(cs.started, true);
  t.equal(cs.containerID, `containerd://${c.id}`);
  t.equal(cs.image, 'docker.io/library/busybox:1.35');
  t.equal(cs.imageID, 'sha256:abc');
  for (const type of ['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready']) t.equal(cond(s, type).status, 'True', type);

  // Transition times survive while a condition's status holds and move when it flips.
  const before = { ...pod, status: { ...s, conditions: s.conditions!.map((x) => ({ ...x, lastTransitionTime: '2024-05-01T09:00:00Z' })) } };
  const again = computePodStatus(before, runtimeState([sandbox()], [c]), ctx({ now: '2024-05-01T11:00:00Z' }));
  t.equal(cond(again, 'Ready').lastTransitionTime, '2024-05-01T09:00:00Z');
  t.equal(again.startTime, NOW, 'startTime is set once');
  const flipped = computePodStatus(before, runtimeState([sandbox()], [{ ...c, state: 'CONTAINER_EXITED', exitCode: 1, finishedAt: c.startedAt + 1e9 }]), ctx({ now: '2024-05-01T11:00:00Z' }));
  t.equal(cond(flipped, 'Ready').status, 'False');
  t.equal(cond(flipped, 'Ready').lastTransitionTime, '2024-05-01T11:00:00Z');
  t.equal(cond(flipped, 'PodReadyToStartContainers').lastTransitionTime, '2024-05-01T09:00:00Z');
});

t.test('readiness probes gate ready; without one a running container is ready', async (t) => {
  const pod = makePod({ containers: [{ name: 'app', image: 'busybox:1.35', readinessProbe: { httpGet: { port: 80 } } }] });
  const c = instance(pod, 'app');
  const state = runtimeState([sandbox()], [c]);
  t.equal(computePodStatus(pod, state, ctx()).containerStatuses![0].ready, false, 'no result yet: not ready');
  t.equal(computePodStatus(pod, state, ctx({ readiness: () => false })).containerStatuses![0].ready, false);
  const ok = computePodStatus(pod, state, ctx({ readiness: (id) => id === c.id }));
  t.equal(ok.containerStatuses![0].ready, true);
  t.equal(cond(ok, 'Ready').status, 'True');
  t.equal(computePodStatus(pod, state, ctx({ readiness: () => false })).phase, 'Running', 'unready is still Running');
});

t.test('exits under each restart policy: phase and container state', async (t) => {
  const exited = (policy: 'Always' | 'OnFailure' | 'Never', exitCode: number, extra: Partial<StatusContext> = {}) => {
    const pod = makePod({ restartPolicy: policy });
    const c = instance(pod, 'app', { state: 'CONTAINER_EXITED', exitCode, startedMs: Date.parse('2024-05-01T09:00:00Z'), finishedMs: Date.parse('2024-05-01T09:00:05Z') });
    return computePodStatus(pod, runtimeState([sandbox({ state: 'SANDBOX_NOTREADY' })], [c]), ctx(extra));
  };
  const ok = exited('Never', 0);
  t.equal(ok.phase, 'Succeeded');
  t.same(ok.containerStatuses![0].state.terminated, { exitCode: 0, reason: 'Completed', startedAt: '2024-05-01T09:00:00Z', finishedAt: '2024-05-01T09:00:05Z', containerID: 'containerd://app-0' });
  t.equal(cond(ok, 'Ready').reason, 'PodCompleted');
  t.equal(cond(ok, 'PodReadyToStartContainers').status, 'False');
  const failed = exited('Never', 3);
  t.equal(failed.phase, 'Failed');
  t.equal(failed.containerStatuses![0].state.terminated!.reason, 'Error');
  t.equal(failed.containerStatuses![0].state.terminated!.exitCode, 3);
  t.equal(exited('OnFailure', 0).phase, 'Succeeded');
  t.equal(exited('OnFailure', 1).phase, 'Running', 'OnFailure: restarting');
  t.equal(exited('Always', 0).phase, 'Running', 'Always: restarting even after success');
  t.equal(exited('Always', 1).phase, 'Running');
  t.equal(exited('Never', 0).podIP, undefined, 'no IP reported from a dead sandbox');

  // Waiting out a back-off: the container waits with the reason; the exit shows as lastState.
  const loop = exited('Always', 1, { failure: () => ({ reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=app pod=web_default(x)' }) });
  const cs = loop.containerStatuses![0];
  t.same(cs.state, { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=app pod=web_default(x)' } });
  t.equal(cs.lastState.terminated!.exitCode, 1);
  t.equal(loop.phase, 'Running');
  // A failure reason does not apply to a container that will not be restarted.
  const never = exited('Never', 1, { failure: () => ({ reason: 'CrashLoopBackOff', message: 'x' }) });
  t.ok(never.containerStatuses![0].state.terminated);
});

t.test('restarts: restartCount from the newest instance, lastState from the one before', async (t) => {
  const pod = makePod();
  const old = instance(pod, 'app', { state: 'CONTAINER_EXITED', exitCode: 137, reason: 'OOMKilled', restartCount: 1, startedMs: 1_000_000, finishedMs: 2_000_000 });
  const cur = { ...instance(pod, 'app', { restartCount: 2, startedMs: 3_000_000 }), id: 'app-2' };
  const s = computePodStatus(pod, runtimeState([sandbox()], [old, cur]), ctx());
  const cs = s.containerStatuses![0];
  t.equal(cs.restartCount, 2);
  t.ok(cs.state.running);
  t.equal(cs.lastState.terminated!.reason, 'OOMKilled');
  t.equal(cs.lastState.terminated!.exitCode, 137);
});

t.test('image pull failures surface as Waiting with the reason and message', async (t) => {
  const pod = makePod({ containers: [{ name: 'app', image: 'nosuch:1.0' }] });
  const s = computePodStatus(pod, runtimeState([sandbox()], []), ctx({ failure: () => ({ reason: 'ErrImagePull', message: 'Failed to pull image "nosuch:1.0": not found' }) }));
  t.same(s.containerStatuses![0].state, { waiting: { reason: 'ErrImagePull', message: 'Failed to pull image "nosuch:1.0": not found' } });
  t.same(s.containerStatuses![0].lastState, {});
  t.equal(s.phase, 'Pending');
  t.equal(cond(s, 'PodReadyToStartContainers').status, 'True');
});

t.test('one container running and one waiting is Pending', async (t) => {
  const pod = makePod({ containers: [{ name: 'a', image: 'busybox:1.35' }, { name: 'b', image: 'busybox:1.35' }] });
  const s = computePodStatus(pod, runtimeState([sandbox()], [instance(pod, 'a')]), ctx());
  t.equal(s.phase, 'Pending');
  t.equal(cond(s, 'Ready').message, 'containers with unready status: [b]');
});

t.test('a pod wound down for deletion gets a terminal phase; terminal phases never change', async (t) => {
  const pod = makePod({ deleted: true });
  const killed = instance(pod, 'app', { state: 'CONTAINER_EXITED', exitCode: 137, finishedMs: 2_000_000 });
  t.equal(computePodStatus(pod, runtimeState([sandbox({ state: 'SANDBOX_NOTREADY' })], [killed]), ctx({ terminated: true })).phase, 'Failed');
  const clean = { ...killed, exitCode: 0 };
  t.equal(computePodStatus(pod, runtimeState([sandbox({ state: 'SANDBOX_NOTREADY' })], [clean]), ctx({ terminated: true })).phase, 'Succeeded');
  t.equal(computePodStatus(pod, runtimeState([], []), ctx({ terminated: true })).phase, 'Failed', 'never started: Failed');

  const succeeded = makePod({ restartPolicy: 'Always', status: { phase: 'Succeeded' } });
  t.equal(computePodStatus(succeeded, runtimeState([sandbox()], [instance(succeeded, 'app')]), ctx()).phase, 'Succeeded');
});

t.test('podPhase follows kubelet for mixed containers', async (t) => {
  const pod = makePod({ restartPolicy: 'Never' });
  const running = { name: 'a', state: { running: {} }, lastState: {}, ready: true, restartCount: 0, image: '', imageID: '' };
  const done0 = { ...running, name: 'b', state: { terminated: { exitCode: 0 } } };
  const done1 = { ...running, name: 'c', state: { terminated: { exitCode: 1 } } };
  t.equal(podPhase(pod, [running, done1]), 'Running');
  t.equal(podPhase(pod, [done0, done1]), 'Failed');
  t.equal(podPhase(pod, [done0, done0]), 'Succeeded');
  t.equal(podPhase(pod, []), 'Pending');
});

t.test('criTime prints seconds', async (t) => {
  t.equal(criTime(1_714_557_600_123_456_789), '2024-05-01T10:00:00Z');
  t.equal(criTime(0), undefined);
});

t.test('the status manager writes only what changed', async (t) => {
  const writes: PodStatus[] = [];
  const sm = new StatusManager({ patchStatus: async (_p, s) => void writes.push(s), deletePod: async () => {} });
  const pod = makePod();
  const s1 = computePodStatus(pod, runtimeState([sandbox()], [instance(pod, 'app')]), ctx());
  t.equal(await sm.setPodStatus(pod, s1), true);
  const later = ctx({ now: '2024-05-01T10:00:30Z', previous: sm.previous(pod.metadata.uid!) });
  const s2 = computePodStatus(pod, runtimeState([sandbox()], [instance(pod, 'app')]), later);
  t.equal(s2.startTime, NOW, 'startTime comes from what was written even before the API shows it');
  t.equal(await sm.setPodStatus(pod, s2), false, 'same status later: no write');
  const updated: Pod = { ...pod, status: writes[0] };
  t.equal(await sm.setPodStatus(updated, computePodStatus(updated, runtimeState([sandbox()], [instance(pod, 'app')]), later)), false, 'what the API shows: no write');
  t.equal(sm.lastWritten(pod.metadata.uid!)!.version, 1);
  const exited = computePodStatus(updated, runtimeState([sandbox()], [instance(pod, 'app', { state: 'CONTAINER_EXITED', exitCode: 1, finishedMs: 1_800_000_000_000 })]), ctx());
  t.equal(await sm.setPodStatus(updated, exited), true);
  t.equal(writes.length, 2);
  t.equal(sm.lastWritten(pod.metadata.uid!)!.version, 2);
});

t.test('init containers: statuses kubectl reads as Init:0/2, Init:1/2, Init:Error, Init:CrashLoopBackOff, PodInitializing', async (t) => {
  const pod = makePod({ restartPolicy: 'Always', initContainers: [{ name: 'init1', image: 'busybox:1.35' }, { name: 'init2', image: 'busybox:1.35' }] });
  const done = (name: string, ms: number, exitCode = 0) => instance(pod, name, { state: 'CONTAINER_EXITED', exitCode, createdMs: ms, startedMs: ms, finishedMs: ms + 1000 });
  const states = (s: PodStatus) => s.initContainerStatuses!.map((c) => Object.keys(c.state)[0] + ':' + (c.state.waiting?.reason ?? c.state.terminated?.reason ?? ''));

  const none = computePodStatus(pod, runtimeState([], []), ctx());
  t.equal(none.phase, 'Pending');
  t.same(states(none), ['waiting:PodInitializing', 'waiting:PodInitializing'], 'Init:0/2');
  t.same(none.containerStatuses![0].state, { waiting: { reason: 'PodInitializing' } });
  t.same([cond(none, 'Initialized').status, cond(none, 'Initialized').reason, cond(none, 'Initialized').message], ['False', 'ContainersNotInitialized', 'containers with incomplete status: [init1 init2]']);

  const first = computePodStatus(pod, runtimeState([sandbox()], [instance(pod, 'init1', { startedMs: 1_700_000_000_000 })]), ctx());
  t.same(states(first), ['running:', 'waiting:PodInitializing'], 'Init:0/2 while init1 runs');
  t.equal(first.initContainerStatuses![0].ready, false, 'a running init container is not ready');
  t.equal(first.phase, 'Pending');

  const second = computePodStatus(pod, runtimeState([sandbox()], [done('init1', 1_700_000_000_000), instance(pod, 'init2', { createdMs: 1_700_000_002_000 })]), ctx());
  t.same(states(second), ['terminated:Completed', 'running:'], 'Init:1/2');
  t.equal(second.initContainerStatuses![0].ready, true, 'a completed init container is ready');
  t.equal(cond(second, 'Initialized').message, 'containers with incomplete status: [init2]');

  const initialized = computePodStatus(pod, runtimeState([sandbox()], [done('init1', 1_700_000_000_000), done('init2', 1_700_000_002_000)]), ctx());
  t.same(states(initialized), ['terminated:Completed', 'terminated:Completed']);
  t.same(initialized.containerStatuses![0].state, { waiting: { reason: 'PodInitializing' } }, 'PodInitializing');
  t.equal(cond(initialized, 'Initialized').status, 'True');
  t.equal(cond(initialized, 'Ready').status, 'False');
  t.equal(initialized.phase, 'Pending');

  const running = computePodStatus(pod, runtimeState([sandbox()], [done('init1', 1_700_000_000_000), done('init2', 1_700_000_002_000), instance(pod, 'app', { createdMs: 1_700_000_004_000 })]), ctx());
  t.equal(running.phase, 'Running');
  t.equal(cond(running, 'Ready').status, 'True');

  const error = computePodStatus(pod, runtimeState([sandbox()], [done('init1', 1_700_000_000_000, 2)]), ctx());
  t.same(states(error), ['terminated:Error', 'waiting:PodInitializing'], 'Init:Error');
  t.equal(error.phase, 'Pending', 'Always: it will be restarted');
  const loop = computePodStatus(pod, runtimeState([sandbox()], [done('init1', 1_700_000_000_000, 2)]), ctx({ failure: (n) => (n === 'init1' ? { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=init1 pod=web_default(x)' } : undefined) }));
  t.same(states(loop), ['waiting:CrashLoopBackOff', 'waiting:PodInitializing'], 'Init:CrashLoopBackOff');
  t.equal(loop.initContainerStatuses![0].lastState.terminated!.exitCode, 2);

  const never = makePod({ restartPolicy: 'Never', initContainers: pod.spec.initContainers });
  const failed = computePodStatus(never, runtimeState([sandbox({ state: 'SANDBOX_NOTREADY' })], [instance(never, 'init1', { state: 'CONTAINER_EXITED', exitCode: 1, finishedMs: 1_700_000_001_000 })]), ctx());
  t.equal(failed.phase, 'Failed', 'Never: a failed init container fails the pod');
});

t.test('sidecars: ready like app containers and counted in ContainersReady; startup probes gate started and ready', async (t) => {
  const pod = makePod({ initContainers: [{ name: 'proxy', image: 'busybox:1.35', restartPolicy: 'Always', readinessProbe: { exec: { command: ['true'] } } } as never] });
  const proxy = instance(pod, 'proxy');
  const app = instance(pod, 'app', { createdMs: 1_700_000_001_000 });
  const unready = computePodStatus(pod, runtimeState([sandbox()], [proxy, app]), ctx());
  t.equal(unready.initContainerStatuses![0].ready, false);
  t.equal(cond(unready, 'ContainersReady').message, 'containers with unready status: [proxy]');
  t.equal(unready.phase, 'Running');
  const ready = computePodStatus(pod, runtimeState([sandbox()], [proxy, app]), ctx({ readiness: () => true }));
  t.equal(cond(ready, 'Ready').status, 'True');
  t.same(ready.initContainerStatuses![0].state, { running: { startedAt: '2023-11-14T22:13:20Z' } });

  const notStarted = computePodStatus(pod, runtimeState([sandbox()], [proxy]), ctx({ readiness: () => true, started: () => false }));
  t.equal(notStarted.initContainerStatuses![0].started, false);
  t.equal(notStarted.phase, 'Pending', 'a sidecar that has not started keeps the pod Pending');
  t.equal(cond(notStarted, 'Initialized').message, 'containers with incomplete status: [proxy]');

  const slow = makePod({ containers: [{ name: 'app', image: 'busybox:1.35', startupProbe: { exec: { command: ['true'] } } } as never] });
  const s = computePodStatus(slow, runtimeState([sandbox()], [instance(slow, 'app')]), ctx({ started: () => false }));
  t.same([s.containerStatuses![0].started, s.containerStatuses![0].ready], [false, false], 'not started: not ready');
});

t.test('ephemeral containers are reported apart, never ready, and do not change the phase', async (t) => {
  const pod = makePod();
  (pod.spec as { ephemeralContainers?: unknown[] }).ephemeralContainers = [{ name: 'debugger', image: 'busybox:1.35' }];
  const s = computePodStatus(pod, runtimeState([sandbox()], [instance(pod, 'app'), instance(pod, 'debugger', { state: 'CONTAINER_EXITED', exitCode: 0 })]), ctx());
  t.equal(s.phase, 'Running');
  t.same(s.containerStatuses!.map((c) => c.name), ['app']);
  t.same(s.ephemeralContainerStatuses!.map((c) => [c.name, c.ready, c.state.terminated?.exitCode]), [['debugger', false, 0]]);
  t.equal(cond(s, 'Ready').status, 'True');
  t.equal(computePodStatus(makePod(), runtimeState([], []), ctx()).ephemeralContainerStatuses, undefined, 'absent without ephemeral containers');
});
