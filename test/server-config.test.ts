// `kubets server` as a systemd unit runs it: settings from a config file (flags override), the advertise address
// following a specific bind address as kube-apiserver's does, and READY=1 on $NOTIFY_SOCKET once the API answers.
import t from 'tap';
import { execa } from 'execa';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiClient, loadKubeconfig } from '../api/client.js';
import { notifySocket } from './notify-socket.js';
import { reservePorts } from './ports.js';
import { spawnOwned, stopOwned } from './processes.js';
import { cliPath } from './server-fixture.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-server-config-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

t.test('config file, flags over it, advertise = bind address, ready on the notify socket once the API answers', async (t) => {
  const ports = await reservePorts(2);
  const [filePort, flagPort] = ports.ports;
  const config = path.join(dir, 'server.yaml');
  fs.writeFileSync(config, `data-dir: ${dir}/data\nbind-address: 127.0.0.1\nport: ${filePort}\ndisable-controllers: true\n`);
  const socket = await notifySocket(path.join(dir, 'notify'));
  t.teardown(() => socket.close());
  await ports.release();
  const log = fs.openSync(path.join(dir, 'server.log'), 'a');
  const server = spawnOwned(process.execPath, [cliPath, 'server', '--config', config, '--port', String(flagPort)], {
    stdio: ['ignore', log, log],
    env: { ...process.env, NOTIFY_SOCKET: path.join(dir, 'notify'), KUBETS_LOG_LEVEL: 'warn' },
  });
  fs.closeSync(log);
  t.teardown(() => stopOwned(server));

  const ready = await socket.next();
  t.equal(ready.pid, server.proc.pid, 'sent in the server\'s own name (its main PID)');
  t.same(ready.fields, ['READY=1', `STATUS=serving https://127.0.0.1:${flagPort}`]);
  const kubeconfig = path.join(dir, 'data', 'admin.kubeconfig');
  t.equal(loadKubeconfig(kubeconfig).server, `https://127.0.0.1:${flagPort}`, 'the kubeconfig points where the server listens: the bind address, the flag\'s port');
  const client = ApiClient.fromKubeconfig(kubeconfig);
  t.teardown(() => client.close());
  t.equal((await client.raw('GET', '/readyz')).status, 200, 'the API answers when READY=1 arrives');

  server.proc.kill('SIGTERM');
  t.same((await socket.next()).fields, ['STOPPING=1', 'STATUS=shutting down'], 'STOPPING=1 on SIGTERM');
  await server.exited;
});

t.test('a config file with a mistake stops the server with one line naming it', async (t) => {
  const config = path.join(dir, 'bad.yaml');
  fs.writeFileSync(config, `data-dir: ${dir}/bad\nbind-adress: 127.0.0.1\n`);
  const r = await execa(process.execPath, [cliPath, 'server', '--config', config], { reject: false, timeout: 30_000 });
  t.equal(r.exitCode, 2);
  t.equal(String(r.stderr).trim(), `kubets server: ${config}: unknown key "bind-adress"`);
});
