import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { makePod, testUID } from '../../test/fixtures/kubelet.js';
import { runLifecycleHandler, runPreStopHook } from './lifecycle.js';
import type { RuntimeService } from './runtime.js';

/** A runtime whose ExecSync answers with a fixed result and records the commands. */
function execRuntime(exit_code: number, stdout = '', stderr = ''): RuntimeService & { commands: string[][] } {
  const commands: string[][] = [];
  return {
    commands,
    execSync: async (req: { cmd: string[] }) => {
      commands.push(req.cmd);
      return { stdout: Buffer.from(stdout), stderr: Buffer.from(stderr), exit_code };
    },
  } as unknown as RuntimeService & { commands: string[][] };
}

const pod = makePod();
const container = pod.spec.containers[0];

t.test('exec hooks: success, and a failure with kubelet\'s message', async (t) => {
  const ok = execRuntime(0);
  t.equal(await runLifecycleHandler({ runtime: ok, pod, container, containerId: 'c1', podIP: '' }, { exec: { command: ['sh', '-c', 'touch /ready'] } }), undefined);
  t.same(ok.commands, [['sh', '-c', 'touch /ready']]);
  const bad = execRuntime(3, 'out\n', 'no such file\n');
  t.equal(
    await runLifecycleHandler({ runtime: bad, pod, container, containerId: 'c1', podIP: '' }, { exec: { command: ['sh', '-c', 'exit 3'] } }),
    `Exec lifecycle hook ([sh -c exit 3]) for Container "app" in Pod "web_default(${testUID})" failed - error: command 'sh -c exit 3' exited with 3: no such file\n, message: "out\\nno such file\\n"`,
  );
});

t.test('HTTP hooks: any response succeeds; no response fails', async (t) => {
  const paths: string[] = [];
  const server = http.createServer((req, res) => {
    paths.push(`${req.url} ${req.headers['user-agent']}`);
    res.statusCode = 500;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const ctx = { runtime: execRuntime(0), pod, container, containerId: 'c1', podIP: '127.0.0.1' };
  t.equal(await runLifecycleHandler(ctx, { httpGet: { path: '/started', port } }), undefined);
  t.same(paths, ['/started kube-lifecycle/1.32']);
  const closed = await new Promise<number>((r) => {
    const s = http.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => r(p));
    });
  });
  t.match(await runLifecycleHandler(ctx, { httpGet: { path: '/started', port: closed } }), new RegExp(`^HTTP lifecycle hook \\(/started\\) for Container "app" in Pod "web_default\\(${testUID}\\)" failed - error: connect ECONNREFUSED`));
});

t.test('preStop: the time it took is taken off the grace period; a hook that outlives it is left behind', async (t) => {
  let now = 0;
  const slow = { execSync: () => new Promise((r) => setTimeout(() => r({ stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exit_code: 0 }), 50)).then((x) => ((now += 3000), x)) } as unknown as RuntimeService;
  t.same(await runPreStopHook({ runtime: slow, pod, container, containerId: 'c1', podIP: '' }, { exec: { command: ['sleep', '3'] } }, 30, () => now), { elapsedSeconds: 3, failure: undefined });
  const never = { execSync: () => new Promise(() => undefined) } as unknown as RuntimeService;
  const r = await runPreStopHook({ runtime: never, pod, container, containerId: 'c1', podIP: '' }, { exec: { command: ['sleep', 'inf'] } }, 1);
  t.equal(r.failure, undefined, 'a hook that never ends gives way when the grace period is over');
  t.same(await runPreStopHook({ runtime: never, pod, container, containerId: 'c1', podIP: '' }, { sleep: { seconds: 0 } }, 5), { elapsedSeconds: 0, failure: undefined }, 'a sleep handler');
});
