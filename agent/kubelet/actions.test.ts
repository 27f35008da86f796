import t from 'tap';
import { computePodActions, computePodGarbage, containerHash, formatDuration, backoffKey } from './actions.js';
import { Backoff } from './backoff.js';
import { FakeClock, instance, makePod, runtimeState, sandbox, testUID } from '../../test/fixtures/kubelet.js';

const ctx = (clock = new FakeClock()) => ({ backoff: new Backoff(clock) });
const names = (a: { name: string }[]) => a.map((x) => x.name);

t.test('a fresh pod gets a sandbox (attempt 0) and all its containers', async (t) => {
  const pod = makePod({ containers: [{ name: 'a', image: 'busybox:1.35' }, { name: 'b', image: 'busybox:1.35' }] });
  const a = computePodActions(pod, runtimeState([], []), ctx());
  t.equal(a.createSandbox, true);
  t.equal(a.killPod, false);
  t.equal(a.attempt, 0);
  t.same(a.containersToStart.map((s) => [s.name, s.restartCount]), [['a', 0], ['b', 0]]);
  t.same(a.backOff, []);
});

t.test('a pod whose containers run in a ready sandbox needs nothing', async (t) => {
  const pod = makePod();
  const a = computePodActions(pod, runtimeState([sandbox()], [instance(pod, 'app')]), ctx());
  t.same({ create: a.createSandbox, kill: a.killPod, start: a.containersToStart, killC: a.containersToKill }, { create: false, kill: false, start: [], killC: [] });
  t.equal(a.sandboxId, 'sb1');
});

t.test('a dead sandbox is killed and recreated with the next attempt; containers restart with restartCount+1', async (t) => {
  const pod = makePod();
  const state = runtimeState([sandbox({ state: 'SANDBOX_NOTREADY', attempt: 2 })], [instance(pod, 'app', { state: 'CONTAINER_EXITED', exitCode: 137, restartCount: 3, finishedMs: 1_700_000_000_500 })]);
  const a = computePodActions(pod, state, ctx());
  t.equal(a.killPod, true);
  t.equal(a.createSandbox, true);
  t.equal(a.attempt, 3);
  t.same(a.containersToStart.map((s) => [s.name, s.restartCount]), [['app', 4]]);
});

t.test('a ready sandbox without an IP, or two ready sandboxes, mean a new sandbox', async (t) => {
  const pod = makePod();
  t.equal(computePodActions(pod, runtimeState([sandbox({ ip: undefined, ips: undefined })], [instance(pod, 'app')]), ctx()).createSandbox, true);
  const two = runtimeState([sandbox({ id: 'sb2', attempt: 1, createdAt: 2e18 }), sandbox()], [instance(pod, 'app')]);
  const a = computePodActions(pod, two, ctx());
  t.equal(a.createSandbox, true);
  t.equal(a.killPod, true);
  t.equal(a.attempt, 2);
  // Host-network pods have no sandbox IP of their own.
  const host = makePod({ hostNetwork: true });
  t.equal(computePodActions(host, runtimeState([sandbox({ ip: undefined, ips: undefined })], [instance(host, 'app')]), ctx()).createSandbox, false);
});

t.test('an exited container and each restartPolicy', async (t) => {
  const exited = (policy: 'Always' | 'OnFailure' | 'Never', exitCode: number) => {
    const pod = makePod({ restartPolicy: policy });
    return computePodActions(pod, runtimeState([sandbox()], [instance(pod, 'app', { state: 'CONTAINER_EXITED', exitCode, finishedMs: 1_700_000_000_000 })]), ctx());
  };
  for (const code of [0, 1]) {
    const a = exited('Always', code);
    t.same(names(a.containersToStart), ['app'], `Always restarts exit ${code}`);
    t.equal(a.containersToStart[0].restartCount, 1);
    t.equal(a.killPod, false);
  }
  t.same(names(exited('OnFailure', 1).containersToStart), ['app'], 'OnFailure restarts a failure');
  const done = exited('OnFailure', 0);
  t.same(done.containersToStart, [], 'OnFailure leaves a success alone');
  t.equal(done.killPod, true, 'nothing left to run: the sandbox goes');
  for (const code of [0, 1]) {
    const a = exited('Never', code);
    t.same(a.containersToStart, [], `Never leaves exit ${code} alone`);
    t.equal(a.killPod, true);
    t.equal(a.createSandbox, false);
  }
});

t.test('after the sandbox died, Never pods and completed OnFailure pods get no new sandbox', async (t) => {
  const never = makePod({ restartPolicy: 'Never' });
  const a = computePodActions(never, runtimeState([sandbox({ state: 'SANDBOX_NOTREADY' })], [instance(never, 'app', { state: 'CONTAINER_EXITED', exitCode: 0, finishedMs: 1 })]), ctx());
  t.equal(a.createSandbox, false);
  t.equal(a.killPod, true);
  t.same(a.containersToStart, []);

  const onFailure = makePod({ restartPolicy: 'OnFailure' });
  const b = computePodActions(onFailure, runtimeState([sandbox({ state: 'SANDBOX_NOTREADY' })], [instance(onFailure, 'app', { state: 'CONTAINER_EXITED', exitCode: 0, finishedMs: 1 })]), ctx());
  t.equal(b.createSandbox, false);
  const c = computePodActions(onFailure, runtimeState([sandbox({ state: 'SANDBOX_NOTREADY' })], [instance(onFailure, 'app', { state: 'CONTAINER_EXITED', exitCode: 2, finishedMs: 1 })]), ctx());
  t.equal(c.createSandbox, true, 'a failed container under OnFailure does get a new sandbox');

  // A Never pod whose first sandbox failed before any container ran still gets another try.
  const d = computePodActions(never, runtimeState([sandbox({ state: 'SANDBOX_NOTREADY' })], []), ctx());
  t.equal(d.createSandbox, true);
  t.equal(d.attempt, 1);
});

t.test('CrashLoopBackOff: 10 s doubling to 5 min, measured from each restart', async (t) => {
  const clock = new FakeClock();
  const backoff = new Backoff(clock);
  const pod = makePod();
  const key = backoffKey(pod, pod.spec.containers[0]);
  let restarts = 0;
  const crash = () => runtimeState([sandbox()], [instance(pod, 'app', { state: 'CONTAINER_EXITED', exitCode: 1, restartCount: restarts, startedMs: clock.now() - 100, finishedMs: clock.now() })]);
  // kubelet's doBackOff: a start that goes ahead records the restart.
  const start = (a: ReturnType<typeof computePodActions>) => {
    const s = a.containersToStart[0];
    backoff.next(s.backoffKey, s.lastFinishedAt);
    restarts++;
  };

  let a = computePodActions(pod, crash(), { backoff });
  t.same(names(a.containersToStart), ['app'], 'the first crash restarts at once');
  t.equal(a.containersToStart[0].backoffKey, key);
  start(a);

  const waits: string[] = [];
  for (let i = 0; i < 7; i++) {
    clock.advance(1000); // it ran for a second and crashed again
    a = computePodActions(pod, crash(), { backoff });
    t.same(a.containersToStart, [], `crash ${i + 2}: no immediate restart`);
    t.equal(a.backOff.length, 1);
    waits.push(a.backOff[0].message.split(' ')[1]);
    t.equal(a.nextSyncAt, a.backOff[0].until);
    t.equal(a.killPod, false, 'a container in back-off keeps its sandbox');
    clock.t = a.nextSyncAt!;
    a = computePodActions(pod, crash(), { backoff });
    t.same(names(a.containersToStart), ['app'], 'once the back-off has passed it starts');
    start(a);
  }
  t.same(waits, ['10s', '20s', '40s', '1m20s', '2m40s', '5m0s', '5m0s']);
  t.equal(
    computePodActions(pod, (clock.advance(1000), crash()), { backoff }).backOff[0].message,
    `back-off 5m0s restarting failed container=app pod=web_default(${testUID})`,
  );
  // A container that has not failed for a long time (twice the maximum) starts over at 10 s.
  clock.advance(11 * 60_000);
  a = computePodActions(pod, crash(), { backoff });
  t.same(names(a.containersToStart), ['app']);
  start(a);
  clock.advance(1000);
  t.match(computePodActions(pod, crash(), { backoff }).backOff[0].message, /^back-off 10s /);
});

t.test('a pod being deleted, or already terminal, only winds down', async (t) => {
  const deleted = makePod({ deleted: true });
  const a = computePodActions(deleted, runtimeState([sandbox()], [instance(deleted, 'app')]), ctx());
  t.same({ kill: a.killPod, create: a.createSandbox, start: a.containersToStart }, { kill: true, create: false, start: [] });
  const fresh = computePodActions(deleted, runtimeState([], []), ctx());
  t.equal(fresh.createSandbox, false, 'a pod deleted before it ever ran never gets a sandbox');

  const done = makePod({ restartPolicy: 'Always', status: { phase: 'Failed' } });
  const b = computePodActions(done, runtimeState([sandbox({ state: 'SANDBOX_NOTREADY' })], [instance(done, 'app', { state: 'CONTAINER_EXITED', exitCode: 1, finishedMs: 1 })]), ctx());
  t.same({ kill: b.killPod, create: b.createSandbox, start: b.containersToStart }, { kill: true, create: false, start: [] });
});

t.test('liveness failure, a changed spec, and unknown/created instances', async (t) => {
  const pod = makePod();
  const running = instance(pod, 'app', { restartCount: 2 });
  const live = computePodActions(pod, runtimeState([sandbox()], [running]), { ...ctx(), liveness: () => 'failure' });
  t.same(live.containersToKill.map((k) => k.id), [running.id]);
  t.match(live.containersToKill[0].message, /failed liveness probe/);
  t.same(live.containersToStart.map((s) => [s.name, s.restartCount]), [['app', 3]]);
  t.equal(live.killPod, false);

  const never = makePod({ restartPolicy: 'Never' });
  const n = computePodActions(never, runtimeState([sandbox()], [instance(never, 'app')]), { ...ctx(), liveness: () => 'failure' });
  t.equal(n.containersToKill.length, 1);
  t.same(n.containersToStart, [], 'Never: killed, not restarted');

  const changed = computePodActions(pod, runtimeState([sandbox()], [{ ...running, hash: 'deadbeef' }]), ctx());
  t.match(changed.containersToKill[0].message, /definition changed/);
  t.same(names(changed.containersToStart), ['app']);
  t.not(containerHash(pod.spec.containers[0]), containerHash({ ...pod.spec.containers[0], image: 'busybox:1.36' }));

  const unknown = computePodActions(pod, runtimeState([sandbox()], [{ ...running, state: 'CONTAINER_UNKNOWN' }]), ctx());
  t.same(unknown.containersToKill.map((k) => k.id), [running.id], 'an unknown instance is stopped before its successor starts');
  t.same(names(unknown.containersToStart), ['app']);

  const created = computePodActions(makePod({ restartPolicy: 'Never' }), runtimeState([sandbox()], [{ ...running, state: 'CONTAINER_CREATED' }]), ctx());
  t.same(names(created.containersToStart), ['app'], 'created but never started: start again, whatever the policy');
});

t.test('only the changed container restarts; the others keep running', async (t) => {
  const pod = makePod({ containers: [{ name: 'a', image: 'busybox:1.35' }, { name: 'b', image: 'busybox:1.35' }] });
  const a = computePodActions(pod, runtimeState([sandbox()], [instance(pod, 'a'), instance(pod, 'b', { state: 'CONTAINER_EXITED', exitCode: 1, finishedMs: 5, createdMs: 3 })]), ctx());
  t.same(names(a.containersToStart), ['b']);
  t.same(a.containersToKill, []);
  t.equal(a.killPod, false);
});

t.test('garbage: keep each container\'s newest instance and one exited predecessor; drop dead old sandboxes', async (t) => {
  const pod = makePod();
  const inst = (n: number, sb: string, state = 'CONTAINER_EXITED') => ({ ...instance(pod, 'app', { restartCount: n, createdMs: 1000 + n, state }), id: `c${n}`, sandboxId: sb });
  const state = runtimeState(
    [sandbox({ id: 'sb3', createdAt: 3e18 }), sandbox({ id: 'sb2', state: 'SANDBOX_NOTREADY', createdAt: 2e18 }), sandbox({ id: 'sb1', state: 'SANDBOX_NOTREADY', createdAt: 1e18 })],
    [inst(3, 'sb3', 'CONTAINER_RUNNING'), inst(2, 'sb2'), inst(1, 'sb1'), inst(0, 'sb1')],
  );
  const g = computePodGarbage(state);
  t.same(g.containers.sort(), ['c0', 'c1']);
  t.same(g.sandboxes, ['sb1']);
});

t.test('durations print like Go', async (t) => {
  t.same([10_000, 80_000, 300_000, 3_600_000].map(formatDuration), ['10s', '1m20s', '5m0s', '1h0m0s']);
});

t.test('init containers: one at a time, in order, each to success, then the app', async (t) => {
  const pod = makePod({ initContainers: [{ name: 'init1', image: 'busybox:1.35' }, { name: 'init2', image: 'busybox:1.35' }] });
  const starts = (a: ReturnType<typeof computePodActions>) => a.containersToStart.map((s) => [s.name, s.restartCount, !!s.init]);
  const at = (ms: number) => ({ createdMs: ms, startedMs: ms, finishedMs: ms + 1 });

  const fresh = computePodActions(pod, runtimeState([], []), ctx());
  t.equal(fresh.createSandbox, true);
  t.same(starts(fresh), [['init1', 0, true]], 'a new sandbox starts the first init container only');

  const steps: [string, ReturnType<typeof instance>[], unknown[]][] = [
    ['init1 runs: wait', [instance(pod, 'init1')], []],
    ['init1 succeeded: init2', [instance(pod, 'init1', { state: 'CONTAINER_EXITED', ...at(1) })], [['init2', 0, true]]],
    ['init2 runs: wait', [instance(pod, 'init1', { state: 'CONTAINER_EXITED', ...at(1) }), instance(pod, 'init2', at(5))], []],
    ['both succeeded: the app', [instance(pod, 'init1', { state: 'CONTAINER_EXITED', ...at(1) }), instance(pod, 'init2', { state: 'CONTAINER_EXITED', ...at(5) })], [['app', 0, false]]],
  ];
  for (const [what, containers, want] of steps) {
    const a = computePodActions(pod, runtimeState([sandbox()], containers), ctx());
    t.same(starts(a), want, what);
    t.equal(a.killPod, false, `${what}: the sandbox stays`);
    t.same(a.containersToKill, []);
  }

  // Once the app has run, the init containers are done for good, even when they have been removed since.
  const app = computePodActions(pod, runtimeState([sandbox()], [instance(pod, 'app', at(9))]), ctx());
  t.same(starts(app), []);
  t.equal(app.killPod, false);
  // A new sandbox runs initialization again.
  const again = computePodActions(pod, runtimeState([sandbox({ state: 'SANDBOX_NOTREADY' })], [instance(pod, 'app', { state: 'CONTAINER_EXITED', exitCode: 137, ...at(9) })]), ctx());
  t.same(starts(again), [['init1', 0, true]]);
  t.equal(again.createSandbox, true);
});

t.test('a failed init container restarts with back-off, or fails the pod under restartPolicy Never', async (t) => {
  const clock = new FakeClock();
  const backoff = new Backoff(clock);
  const spec = { initContainers: [{ name: 'init1', image: 'busybox:1.35' }, { name: 'init2', image: 'busybox:1.35' }] };
  const failed = (pod: ReturnType<typeof makePod>, restartCount = 0) => runtimeState([sandbox()], [instance(pod, 'init1', { state: 'CONTAINER_EXITED', exitCode: 1, restartCount, finishedMs: clock.now() })]);

  const pod = makePod({ ...spec, restartPolicy: 'Always' });
  const first = computePodActions(pod, failed(pod), { backoff });
  t.same(first.containersToStart.map((s) => [s.name, s.restartCount]), [['init1', 1]], 'restarted at once the first time');
  backoff.next(first.containersToStart[0].backoffKey, first.containersToStart[0].lastFinishedAt);
  clock.advance(1000);
  const second = computePodActions(pod, failed(pod, 1), { backoff });
  t.same(second.containersToStart, []);
  t.same(second.backOff.map((b) => b.name), ['init1'], 'then it backs off, and init2 waits');
  t.match(second.backOff[0].message, /^back-off 10s restarting failed container=init1 pod=web_default\(/);
  t.equal(second.killPod, false);

  const onFailure = makePod({ ...spec, restartPolicy: 'OnFailure' });
  t.same(computePodActions(onFailure, failed(onFailure), ctx()).containersToStart.map((s) => s.name), ['init1']);

  const never = makePod({ ...spec, restartPolicy: 'Never' });
  const n = computePodActions(never, failed(never), ctx());
  t.same(n.containersToStart, []);
  t.equal(n.killPod, true, 'Never: the pod has failed and winds down');
});

t.test('sidecars: started in turn, the next init container waits until they have started, restarted whenever they exit', async (t) => {
  const pod = makePod({ restartPolicy: 'Never', initContainers: [{ name: 'proxy', image: 'busybox:1.35', restartPolicy: 'Always' } as never, { name: 'migrate', image: 'busybox:1.35' }] });
  const names = (a: ReturnType<typeof computePodActions>) => a.containersToStart.map((s) => s.name);
  const proxy = instance(pod, 'proxy');
  t.same(names(computePodActions(pod, runtimeState([sandbox()], []), ctx())), ['proxy']);
  t.same(names(computePodActions(pod, runtimeState([sandbox()], [proxy]), { ...ctx(), started: () => false })), [], 'not started yet (startup probe): wait');
  t.same(names(computePodActions(pod, runtimeState([sandbox()], [proxy]), ctx())), ['migrate'], 'started: the next init container');
  const migrated = instance(pod, 'migrate', { state: 'CONTAINER_EXITED', createdMs: 1_700_000_000_100, finishedMs: 1_700_000_000_200 });
  t.same(names(computePodActions(pod, runtimeState([sandbox()], [proxy, migrated]), ctx())), ['app'], 'initialized: the app starts beside the sidecar');

  const app = instance(pod, 'app', { createdMs: 1_700_000_000_300 });
  const exitedProxy = instance(pod, 'proxy', { state: 'CONTAINER_EXITED', exitCode: 1, finishedMs: 1_700_000_000_400 });
  const a = computePodActions(pod, runtimeState([sandbox()], [exitedProxy, migrated, app]), ctx());
  t.same(names(a), ['proxy'], 'a sidecar that exits is restarted, even under restartPolicy Never');
  t.equal(a.containersToStart[0].restartCount, 1);
  t.equal(a.killPod, false);

  const done = instance(pod, 'app', { state: 'CONTAINER_EXITED', exitCode: 0, createdMs: 1_700_000_000_300, finishedMs: 1_700_000_000_500 });
  const end = computePodActions(pod, runtimeState([sandbox()], [proxy, migrated, done]), ctx());
  t.equal(end.killPod, true, 'the app is done: the pod winds down, its sidecar with it');
  t.same(names(end), []);
});

t.test('a failed startup probe restarts the container; liveness keeps its own message', async (t) => {
  const pod = makePod({ containers: [{ name: 'app', image: 'busybox:1.35', startupProbe: { exec: { command: ['true'] } } } as never] });
  const running = instance(pod, 'app', { restartCount: 1 });
  const a = computePodActions(pod, runtimeState([sandbox()], [running]), { ...ctx(), startup: () => 'failure' });
  t.same(a.containersToKill.map((k) => [k.id, k.message]), [[running.id, 'Container app failed startup probe, will be restarted']]);
  t.same(a.containersToStart.map((s) => [s.name, s.restartCount]), [['app', 2]]);
  const ok = computePodActions(pod, runtimeState([sandbox()], [running]), { ...ctx(), startup: () => 'success' });
  t.same([ok.containersToKill, ok.containersToStart], [[], []]);
});

t.test('ephemeral containers start once in the running pod and are never restarted', async (t) => {
  const pod = makePod();
  (pod.spec as { ephemeralContainers?: unknown[] }).ephemeralContainers = [{ name: 'debugger', image: 'busybox:1.35' }];
  const fresh = computePodActions(pod, runtimeState([], []), ctx());
  t.same(names(fresh.containersToStart), ['app'], 'not with a new sandbox');
  const running = computePodActions(pod, runtimeState([sandbox()], [instance(pod, 'app')]), ctx());
  t.same(running.containersToStart.map((s) => [s.name, s.restartCount]), [['debugger', 0]]);
  const exited = computePodActions(pod, runtimeState([sandbox()], [instance(pod, 'app'), instance(pod, 'debugger', { state: 'CONTAINER_EXITED', exitCode: 1 })]), ctx());
  t.same(exited.containersToStart, [], 'an ephemeral container that ran is not started again');
  t.equal(exited.killPod, false);
});
