import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { notifySocket } from '../test/notify-socket.js';
import { ServiceNotifier } from './sdnotify.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-notify-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

for (const address of [path.join(dir, 'notify'), `@kubets-notify-test-${process.pid}`]) {
  t.test(`messages reach ${address.startsWith('@') ? 'an abstract' : 'a path'} socket in the main process's name`, async (t) => {
    const socket = await notifySocket(address);
    t.teardown(() => socket.close());
    const env: NodeJS.ProcessEnv = { NOTIFY_SOCKET: address };
    const notifier = new ServiceNotifier(env);
    t.equal(env.NOTIFY_SOCKET, undefined, 'taken out of the environment children inherit');
    t.ok(notifier.enabled);
    t.equal(await notifier.ready('serving https://127.0.0.1:6443'), true);
    const msg = await socket.next();
    t.equal(msg.pid, process.pid, 'the credentials name this process, not the short-lived helper');
    t.same(msg.fields, ['READY=1', 'STATUS=serving https://127.0.0.1:6443']);
    await notifier.stopping();
    t.same((await socket.next()).fields, ['STOPPING=1', 'STATUS=shutting down']);
  });
}

t.test('without $NOTIFY_SOCKET nothing is sent', async (t) => {
  const calls: string[][] = [];
  const notifier = new ServiceNotifier({}, async (_cmd, args) => void calls.push(args));
  t.equal(notifier.enabled, false);
  t.equal(await notifier.ready('x'), false);
  t.same(calls, []);
});

t.test('messages go out one at a time, in order, and a failed send does not block the next', async (t) => {
  const seen: string[] = [];
  let fail = true;
  const notifier = new ServiceNotifier({ NOTIFY_SOCKET: '/run/x' }, async (_cmd, args) => {
    await new Promise((r) => setTimeout(r, seen.length === 0 ? 20 : 0));
    seen.push(args.join(' '));
    if (fail) {
      fail = false;
      throw new Error('systemd-notify: boom');
    }
  });
  const first = notifier.status('one');
  const second = notifier.status('two\nlines');
  await t.rejects(first, /boom/);
  t.equal(await second, true);
  t.same(seen, ['STATUS=one', 'STATUS=two lines']);
});
