// A pod's life on a real containerd (test/kubelet-node.ts: a kubelet without an API server, its statuses and events
// recorded): postStart runs before the container counts as started and a failing one kills it (FailedPostStartHook);
// preStop runs before the stop signal; a startup probe holds readiness back until it passes and restarts a container
// that never passes it; container logs rotate under the pod log directory while `kubectl logs`-style reads — the
// current file, and following across rotations — lose nothing; a restarted kubelet adopts the running pods without
// restarting them.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import type { ContainerStatus, Pod, PodStatus } from '../../api/types.js';
import { startKubeletNode } from '../../test/kubelet-node.js';
import { until } from '../../test/until.js';
import { readContainerLog } from './logs.js';

type C = Pod['spec']['containers'][number];
const sh = (script: string) => ({ image: 'busybox:1.35', command: ['sh', '-c', script] });
const ready = (s: { conditions?: { type: string; status: string }[] }) => s.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
const stateOf = (c: ContainerStatus) => (c.state.running ? 'running' : c.state.terminated ? `terminated:${c.state.terminated.reason}` : `waiting:${c.state.waiting?.reason}`);

t.test('pod lifecycle on a real node', { timeout: 600_000 }, async (t) => {
  const kn = await startKubeletNode(t, { prefix: 'kt-lc', podCIDR: '10.88.32.0/24', ownLogDir: true, logRotation: { maxSizeBytes: 16 * 1024, maxFiles: 3, periodMs: 1000 } });
  const logRoot = kn.spec.podLogDir!;
  const shared = path.join(kn.node.data, 'shared');
  fs.mkdirSync(shared, { mode: 0o777 });

  const pods: Pod[] = [
    kn.pod('hooks', {
      terminationGracePeriodSeconds: 10,
      containers: [{
        name: 'app',
        ...sh('trap "echo term >> /shared/log; exit 0" TERM; while true; do sleep 1; done'),
        lifecycle: { postStart: { exec: { command: ['sh', '-c', 'echo poststart > /tmp/poststart'] } }, preStop: { exec: { command: ['sh', '-c', 'echo prestop >> /shared/log'] } } },
        volumeMounts: [{ name: 'shared', mountPath: '/shared' }],
      } as C],
      volumes: [{ name: 'shared', hostPath: { path: shared } }],
    }),
    kn.pod('poststart-fail', { containers: [{ name: 'app', ...sh('exec sleep 3600'), lifecycle: { postStart: { exec: { command: ['sh', '-c', 'echo no >&2; exit 1'] } } } } as C] }),
    kn.pod('startup', {
      containers: [{
        name: 'app',
        ...sh('exec sleep 3600'),
        startupProbe: { exec: { command: ['test', '-f', '/tmp/started'] }, periodSeconds: 1, failureThreshold: 600 },
        readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1 },
      } as C],
    }),
    kn.pod('startup-fail', { containers: [{ name: 'app', ...sh('exec sleep 3600'), startupProbe: { exec: { command: ['false'] }, periodSeconds: 1, failureThreshold: 2 } } as C] }),
    // About 20 KiB of numbered lines a second: the 16 KiB limit rotates the log every pass.
    kn.pod('logger', { containers: [{ name: 'app', ...sh('i=0; while true; do j=0; while [ $j -lt 500 ]; do echo "n=$i"; i=$((i+1)); j=$((j+1)); done; sleep 1; done') }] }),
    kn.pod('steady', {
      initContainers: [{ name: 'setup', ...sh('true') }],
      containers: [{ name: 'app', ...sh('exec sleep 3600'), readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1 } } as C],
    }),
  ];
  const [hooks, postStartFail, startup, startupFail, logger, steady] = pods;
  for (const p of pods) kn.manager.podUpdated(p);

  // ---- postStart before the container counts as running; a failed one kills it ----
  await kn.waitStatus(hooks, 'Running', (s) => s.phase === 'Running');
  t.equal((await kn.exec(hooks, ['cat', '/tmp/poststart'])).stdout, 'poststart\n', 'postStart ran in the container');

  await until('FailedPostStartHook', () => kn.events.find((e) => e.pod === 'poststart-fail' && e.reason === 'FailedPostStartHook'), 60_000);
  const hookEvent = kn.events.find((e) => e.pod === 'poststart-fail' && e.reason === 'FailedPostStartHook')!;
  t.equal(hookEvent.type, 'Warning');
  t.match(hookEvent.message, new RegExp(`^Exec lifecycle hook \\(\\[sh -c echo no >&2; exit 1\\]\\) for Container "app" in Pod "poststart-fail_default\\(${postStartFail.metadata.uid}\\)" failed - error: command 'sh -c echo no >&2; exit 1' exited with 1: no\\n, message: "no\\\\n"$`));
  t.ok(kn.events.some((e) => e.pod === 'poststart-fail' && e.reason === 'Killing' && e.message === 'FailedPostStartHook'), 'the container is killed for it');
  const failedHook = await kn.waitStatus(postStartFail, 'restarted', (s) => s.containerStatuses![0].restartCount >= 1 && !!s.containerStatuses![0].state.waiting);
  t.match(failedHook.containerStatuses![0].state.waiting!.reason, /^(PostStartHookError|CrashLoopBackOff)$/, `waits: ${failedHook.containerStatuses![0].state.waiting!.reason}`);

  // ---- startup probes: not started, not ready, until the probe passes ----
  const waiting = await kn.waitStatus(startup, 'running, not yet started', (s) => !!s.containerStatuses![0].state.running);
  t.same([waiting.containerStatuses![0].started, waiting.containerStatuses![0].ready, ready(waiting)], [false, false, false], 'running but not started: the readiness probe waits');
  await kn.exec(startup, ['touch', '/tmp/started']);
  const started = await kn.waitStatus(startup, 'started and ready', (s) => !!s.containerStatuses![0].started && ready(s), 30_000);
  t.equal(started.containerStatuses![0].restartCount, 0);

  await until('the startup probe failure restart', () => kn.events.find((e) => e.pod === 'startup-fail' && e.reason === 'Killing' && e.message === 'Container app failed startup probe, will be restarted'), 60_000);
  await kn.waitStatus(startupFail, 'restarted', (s) => s.containerStatuses![0].restartCount >= 1);
  t.pass('a container that never passes its startup probe is restarted');

  // ---- log rotation; reads of the current file and a follow across rotations ----
  const logDir = path.join(logRoot, `default_logger_${logger.metadata.uid}`, 'app');
  await kn.waitStatus(logger, 'Running', (s) => s.phase === 'Running');
  const logFile = path.join(logDir, '0.log');
  t.ok(fs.existsSync(logFile), 'the log is <pod log root>/<ns>_<pod>_<uid>/<container>/0.log');
  const numbers: number[] = [];
  const follow = new AbortController();
  const following = readContainerLog(logFile, { follow: true, previous: false, timestamps: false }, {
    write: (chunk) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) numbers.push(Number(line.replace('n=', '')));
      return true;
    },
  }, { isRunning: async () => true, signal: follow.signal, pollMs: 50 });
  // Two rotations while following, then some more lines.
  const stamps = () => new Set(fs.readdirSync(logDir).filter((f) => /^0\.log\.\d{8}-\d{6}/.test(f)).map((f) => f.replace(/\.gz$/, '')));
  const atStart = stamps();
  await until('two rotations while following', () => [...stamps()].filter((f) => !atStart.has(f)).length >= 2, 60_000, 200);
  // Rotation renames the live file and the runtime makes it again: read its first line once it is there, whole.
  const firstLiveLine = () => until('a line in the live file', () => {
    const text = fs.readFileSync(logFile, 'utf8');
    return text.includes('\n') && text.slice(0, text.indexOf('\n'));
  }, 10_000, 50);
  const live = Number(/n=(\d+)/.exec(await firstLiveLine())?.[1] ?? NaN);
  await until('the follow to reach the live file', () => (numbers.at(-1) ?? -1) >= live, 30_000);
  follow.abort();
  await following;
  const files = fs.readdirSync(logDir).sort();
  t.ok(files.length <= 3, `at most 3 files: ${files.join(' ')}`);
  t.ok(files.includes('0.log') && files.some((f) => /^0\.log\.\d{8}-\d{6}$/.test(f)) && files.some((f) => /^0\.log\.\d{8}-\d{6}\.gz$/.test(f)), 'the live file, the newest rotated one, older ones gzipped');
  const gaps = numbers.slice(1).filter((n, i) => n !== numbers[i] + 1);
  t.same(gaps, [], `following across two rotations loses no line (${numbers[0]}…${numbers.at(-1)})`);
  const currentLines: number[] = [];
  await readContainerLog(logFile, { follow: false, previous: false, timestamps: false, tailLines: 100 }, { write: (c) => (currentLines.push(...c.toString().split('\n').filter(Boolean).map((l) => Number(l.replace('n=', '')))), true) });
  t.equal(currentLines.length, 100, 'tailLines on the current file');
  t.ok(currentLines.every((n, i) => i === 0 || n === currentLines[i - 1] + 1), 'in order');
  t.match(await firstLiveLine(), /^\S+Z stdout F n=\d+$/, 'the CRI log format');

  // ---- a restarted kubelet adopts what runs: same containers, no restarts ----
  for (const p of [postStartFail, startupFail, logger]) await kn.deletePod(p);
  const adopted = [hooks, startup, steady];
  await kn.waitStatus(steady, 'Running and Ready', (s) => s.phase === 'Running' && ready(s));
  const before = new Map(adopted.map((p) => [p.metadata.uid!, kn.latest(p.metadata.uid!)!]));
  const containersBefore = (await kn.cri.listContainers({})).containers.map((c) => `${c.id} ${c.state}`).sort();
  const eventsBefore = kn.events.length;
  const manager = await kn.restartManager();
  const writtenBefore = new Map(adopted.map((p) => [p.metadata.uid!, kn.statuses.get(p.metadata.uid!)!.length]));
  // The API shows the pods as they were created (Pending): the new kubelet reports their status afresh.
  for (const p of adopted) manager.podUpdated(p);
  const ids = (s: PodStatus) => [...(s.initContainerStatuses ?? []), ...s.containerStatuses!].map((c) => [c.name, c.containerID, c.restartCount, stateOf(c)]);
  for (const p of adopted) {
    const uid = p.metadata.uid!;
    const after = await kn.waitStatus(p, 'reported Ready again by the new kubelet', (s) => kn.statuses.get(uid)!.length > writtenBefore.get(uid)! && ready(s), 60_000);
    t.same(ids(after), ids(before.get(uid)!), `${p.metadata.name}: the same containers, restartCount unchanged`);
  }
  t.same((await kn.cri.listContainers({})).containers.map((c) => `${c.id} ${c.state}`).sort(), containersBefore, 'no container created or stopped');
  t.same(kn.events.slice(eventsBefore).filter((e) => ['Created', 'Started', 'Killing'].includes(e.reason)), [], 'nothing started or killed; postStart not run again');

  // ---- preStop before the stop signal ----
  await kn.deletePod(hooks, 10);
  t.equal(fs.readFileSync(path.join(shared, 'log'), 'utf8'), 'prestop\nterm\n', 'preStop ran, then the container got SIGTERM');
  for (const p of [startup, steady]) await kn.deletePod(p);
});
