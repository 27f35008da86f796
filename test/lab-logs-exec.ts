// `kubectl logs` and `kubectl exec` end to end on the lab, with the real kubectl: the API server relays pods/log and
// pods/exec to the node's kubelet on :10250, which reads the CRI log files and runs commands through CRI Exec.
// Its bare pods are force-deleted at the end, so a later drain meets only managed pods.
import type { Test } from 'tap';
import { execa } from 'execa';
import { labClient, until, type LabUnderTest } from './lab-e2e.js';

const lineNumbers = (text: string) => [...text.matchAll(/^line (\d+)$/gm)].map((m) => Number(m[1]));

const pods = `
apiVersion: v1
kind: Pod
metadata: {name: talker}
spec:
  containers:
  - name: main
    image: busybox:1.35
    command: ["sh", "-c", "i=0; while true; do echo line $i; i=$((i+1)); sleep 0.5; done"]
  - name: side
    image: busybox:1.35
    command: ["sh", "-c", "echo side-start; echo side-err >&2; exec sleep 100000"]
---
apiVersion: v1
kind: Pod
metadata: {name: crasher}
spec:
  containers:
  - name: run
    image: busybox:1.35
    command: ["sh", "-c", "echo run $(cat /proc/sys/kernel/random/uuid); sleep 1; exit 1"]
---
apiVersion: v1
kind: Pod
metadata: {name: stuck}
spec:
  containers:
  - name: app
    image: kubets.local/not-imported:1
`;

export function logsExecChecks(t: Test, lab: () => LabUnderTest): void {
  t.test('kubectl logs and exec', async (t) => {
    const { kubectl, json: getJSON } = labClient(lab());
    const env = () => ({ KUBECONFIG: lab().kubeconfig });
    const podJSON = (name: string) => getJSON(['get', 'pod', name]);
    t.teardown(async () => {
      await kubectl(['delete', 'pod', 'talker', 'crasher', 'stuck', 'ticker', 'logprobe', '--grace-period=0', '--force', '--ignore-not-found']);
    });
    const r = await kubectl(['apply', '-f', '-'], pods);
    t.equal(r.exitCode, 0, r.stderr);
    await until('talker Ready', async () => (await podJSON('talker')).status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'), 90_000);

    t.test('kubectl logs: a container, the default one, --tail, --timestamps', async (t) => {
      await until('a few lines logged', async () => lineNumbers((await kubectl(['logs', 'talker', '-c', 'main'])).stdout).length >= 3);
      const side = await kubectl(['logs', 'talker', '-c', 'side']);
      t.equal(side.exitCode, 0);
      // stdout and stderr reach the log through separate pipes: their relative order is the runtime's.
      t.same(side.stdout.split('\n').sort(), ['side-err', 'side-start'], 'stdout and stderr lines, prefixes stripped');

      const all = await kubectl(['logs', 'talker', '-c', 'main']);
      const numbers = lineNumbers(all.stdout);
      t.same(numbers, numbers.map((_, i) => i), 'every line from the start, in order');

      const dflt = await kubectl(['logs', 'talker']);
      t.equal(dflt.exitCode, 0);
      t.match(dflt.stderr, /Defaulted container "main"/);
      t.match(dflt.stdout, /^line 0$/m);

      const tail = await kubectl(['logs', 'talker', '-c', 'main', '--tail=2']);
      const last = lineNumbers(tail.stdout);
      t.equal(last.length, 2, '--tail=2 gives two lines');
      t.equal(last[1], last[0] + 1, 'the last two, consecutive');

      const stamped = await kubectl(['logs', 'talker', '-c', 'side', '--timestamps']);
      const stampedLines = stamped.stdout.split('\n');
      t.equal(stampedLines.length, 2);
      for (const l of stampedLines) t.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z side-(start|err)$/, 'RFC 3339 time, a space, the line');

      const bytes = await kubectl(['logs', 'talker', '-c', 'main', '--limit-bytes=8']);
      t.equal(bytes.stdout, 'line 0\nl', '--limit-bytes cuts the output at that many bytes');
    });

    t.test('kubectl logs -f streams new lines', async (t) => {
      const follow = execa('kubectl', ['logs', '-f', 'talker', '-c', 'main', '--tail=1'], { env: env(), reject: false });
      let out = '';
      follow.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      try {
        const first = await until('the first followed line', async () => lineNumbers(out)[0] ?? false, 30_000);
        const later = await until('a line written after following began', async () => lineNumbers(out).find((n) => n >= first + 2), 30_000);
        t.ok(later > first, `saw line ${first}, then line ${later} appear`);
        t.same(lineNumbers(out), lineNumbers(out).map((_, i) => first + i), 'no line lost or repeated');
      } finally {
        follow.kill();
        await follow;
      }
    });

    t.test('kubectl logs -f ends when the container exits', async (t) => {
      const created = await kubectl(['run', 'ticker', '--image=busybox:1.35', '--restart=Never', '--', 'sh', '-c', 'sleep 1; for i in 1 2 3; do echo tick $i; sleep 1; done']);
      t.equal(created.exitCode, 0, created.stderr);
      await until('ticker running', async () => (await podJSON('ticker')).status?.containerStatuses?.[0]?.state?.running);
      const r = await execa('kubectl', ['logs', '-f', 'ticker'], { env: env(), reject: false, timeout: 60_000 });
      t.equal(r.exitCode, 0, 'kubectl returned by itself');
      t.equal(String(r.stdout), 'tick 1\ntick 2\ntick 3');
    });

    t.test('kubectl logs --previous after a restart', async (t) => {
      await until('crasher restarted at least once', async () => (await podJSON('crasher')).status?.containerStatuses?.[0]?.restartCount >= 1);
      const previous = await kubectl(['logs', 'crasher', '--previous']);
      t.equal(previous.exitCode, 0, previous.stderr);
      t.match(previous.stdout, /^run [0-9a-f-]{36}$/, 'the previous run printed one line');
      const current = await kubectl(['logs', 'crasher']);
      t.match(current.stdout, /^run [0-9a-f-]{36}$/);
      t.not(current.stdout, previous.stdout, 'current and previous are different runs');

      const none = await kubectl(['logs', 'talker', '-c', 'side', '--previous']);
      t.not(none.exitCode, 0);
      t.match(none.stderr, /previous terminated container "side" in pod "talker" not found/);
    });

    t.test('kubectl exec: output, stderr and the exit code', async (t) => {
      const r = await kubectl(['exec', 'talker', '-c', 'side', '--', 'sh', '-c', 'echo hi; echo oops >&2; exit 3']);
      t.equal(r.stdout, 'hi');
      t.match(r.stderr, /oops/);
      t.equal(r.exitCode, 3, 'kubectl exits with the command exit code');

      const ok = await kubectl(['exec', 'talker', '-c', 'side', '--', 'cat', '/proc/1/cmdline']);
      t.equal(ok.exitCode, 0);
      t.equal(ok.stdout.replace(/\0/g, ' ').trim(), 'sleep 100000', 'runs inside the container');
    });

    t.test('kubectl exec -i: stdin reaches the command, and its end too', async (t) => {
      const cat = await kubectl(['exec', '-i', 'talker', '-c', 'side', '--', 'cat'], 'first\nsecond\n');
      t.equal(cat.exitCode, 0, cat.stderr);
      t.equal(cat.stdout, 'first\nsecond');
      const big = 'x'.repeat(199_999) + '\n';
      const wc = await kubectl(['exec', '-i', 'talker', '-c', 'side', '--', 'wc', '-c'], big);
      t.equal(wc.stdout.trim(), '200000', '200 kB of stdin arrive whole');
    });

    t.test('cluster logs: a pod\'s line is found through the services proxy, still after the pod is deleted', async (t) => {
      const token = `lab-logs-${Math.random().toString(36).slice(2, 10)}`;
      const run = await kubectl(['run', 'logprobe', '--image=busybox:1.35', '--restart=Never', '--labels=app=logprobe', '--', 'sh', '-c', `echo ${token}; exec sleep 3600`]);
      t.equal(run.exitCode, 0, run.stderr);
      const search = async (query: string) => {
        const r = await kubectl(['get', '--raw', `/api/v1/namespaces/kube-system/services/cluster-logs:80/proxy/search?${query}`]);
        return r.exitCode === 0 ? r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)) : undefined;
      };
      const [line] = await until('the line searchable', async () => {
        const found = await search(`q=${token}&namespace=default`);
        return found?.length === 1 && found;
      }, 180_000);
      const pod = await podJSON('logprobe');
      t.same([line.namespace, line.pod, line.container, line.node, line.labels?.app, line.stream, line.line], ['default', 'logprobe', 'logprobe', pod.spec.nodeName, 'logprobe', 'stdout', token], 'pod, container, node, labels, stream and line');
      t.equal((await kubectl(['delete', 'pod', 'logprobe', '--grace-period=0', '--force'])).exitCode, 0);
      await until('the pod gone', async () => (await kubectl(['get', 'pod', 'logprobe'])).exitCode !== 0, 60_000);
      t.same((await search(`q=${token}`))?.map((l: any) => l.line), [token], "the deleted pod's line is still found");
      const bad = await kubectl(['get', '--raw', '/api/v1/namespaces/kube-system/services/cluster-logs:80/proxy/search?q=x&limit=0']);
      t.not(bad.exitCode, 0);
      t.match(bad.stderr, /BadRequest.*limit/, 'a bad parameter: 400 with the reason');
    });

    t.test('errors read as kubectl users know them', async (t) => {
      const noPod = await kubectl(['exec', 'nope', '--', 'true']);
      t.not(noPod.exitCode, 0);
      t.match(noPod.stderr, /pods "nope" not found/);

      const noContainer = await kubectl(['exec', 'talker', '-c', 'nope', '--', 'true']);
      t.not(noContainer.exitCode, 0);
      t.match(noContainer.stderr, /container nope is not valid for pod talker/);

      const logsNoContainer = await kubectl(['logs', 'talker', '-c', 'nope']);
      t.match(logsNoContainer.stderr, /container nope is not valid for pod talker/);

      const waiting = await kubectl(['exec', 'stuck', '--', 'true']);
      t.not(waiting.exitCode, 0);
      t.match(waiting.stderr, /container "app" in pod "stuck" is waiting to start: \w+/);
      const waitingLogs = await kubectl(['logs', 'stuck']);
      t.match(waitingLogs.stderr, /container "app" in pod "stuck" is waiting to start: \w+/);
    });
  });
}
