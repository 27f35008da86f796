// The port handling every server-starting test relies on: reserved ports are distinct and held until released, and a
// kubets server or etcd member that finds its port taken by another process is started again once it is free.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { startEtcdCluster } from './etcd-cluster.js';
import { bindConflict, reservePorts } from './ports.js';
import { startServer } from './server-fixture.js';
import { until } from './until.js';

/** Listens on 127.0.0.1:port, as another process would (hanging up on whoever connects, the health checks). */
async function occupy(port: number): Promise<net.Server> {
  const s = net.createServer((c) => c.destroy());
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve());
  });
  return s;
}
const close = (s: net.Server) => new Promise<void>((r) => s.close(() => r()));

t.test('reserved ports are distinct and held until released', async (t) => {
  const r = await reservePorts(20);
  t.equal(new Set(r.ports).size, 20, 'twenty different ports');
  await t.rejects(occupy(r.ports[7]), { code: 'EADDRINUSE' }, 'a reserved port cannot be bound by anyone else');
  // A client that connects meanwhile (say, to a server that had the port before) is hung up on, not waited for.
  const client = net.connect(r.ports[3], '127.0.0.1');
  await new Promise((resolve) => client.once('close', resolve));
  await r.release();
  await r.release();
  const s = await occupy(r.ports[7]);
  t.pass('released, the port can be bound');
  await close(s);
});

t.test('bind conflicts are recognised in Node and Go logs', async (t) => {
  t.ok(bindConflict('kubets server: listen on 127.0.0.1:6443: listen EADDRINUSE: address already in use 127.0.0.1:6443'));
  t.ok(bindConflict('{"level":"fatal","msg":"discovery failed","error":"listen tcp 127.0.0.1:2380: bind: address already in use"}'));
  t.notOk(bindConflict('listen EACCES: permission denied 0.0.0.0:80'));
});

t.test('a kubets server whose port is taken starts once it is free again', async (t) => {
  const r = await reservePorts(1);
  await r.release();
  const [port] = r.ports;
  const holder = await occupy(port);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-test-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const starting = startServer({ dir, port, args: ['--disable-controllers'] });
  await until('the first start to fail on the port', () => bindConflict(fs.readFileSync(path.join(dir, 'server.log'), 'utf8')));
  await close(holder);
  const srv = await starting;
  t.teardown(() => srv.stop());
  t.equal(srv.port, port);
  t.equal((await srv.client.raw('GET', '/readyz')).status, 200, 'serving on the port it was given');
});

t.test('an etcd member restarted while another process holds its port comes back once it is free', async (t) => {
  const cluster = await startEtcdCluster();
  t.teardown(() => cluster.close());
  await cluster.stopMember(1, 'SIGKILL');
  const port = Number(cluster.endpoints[1].split(':')[1]);
  const holder = await occupy(port);
  const log = path.join(cluster.dir, 'm1.log');
  const before = fs.readFileSync(log, 'utf8').length;
  const starting = cluster.startMember(1);
  await until('the restart to fail on the port', () => bindConflict(fs.readFileSync(log, 'utf8').slice(before)));
  await close(holder);
  await starting;
  t.pass('the member is healthy again on its own port');
});
