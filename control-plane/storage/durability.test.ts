// What "acknowledged" means, end to end through the real `kubets server`: ConfigMaps are created through the API by
// several writers at once, the server is SIGKILLed mid-stream (on etcd, every etcd member too), and after a restart
// every write that got a 201 is there with the resourceVersion it was acknowledged with, and a watch from a
// resourceVersion taken before the kill resumes with all the later writes. On etcd, two servers sharing one cluster
// serve the same objects, and a write through one is seen by a watch on the other.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { ApiClient } from '../../api/client.js';
import { Resources } from '../../api/resources.js';
import type { KubeObject, WatchEvent } from '../../api/types.js';
import { startEtcdCluster } from '../../test/etcd-cluster.js';
import { startServer, type TestServer } from '../../test/server-fixture.js';
import type { Tap } from './conformance.js';

const NS = 'default';

/** A data dir this test owns, removed in teardown even when the server in it never came up. */
function dataDir(t: Tap): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-durability-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}
const WRITERS = 4;
/** Acknowledged creates after which the kill comes (the writers are still going). */
const KILL_AFTER = 80;

interface Stream {
  /** name → resourceVersion of every create that was acknowledged. */
  acked: Map<string, string>;
  /** The list resourceVersion taken before the stream started. */
  rvBefore: string;
}

/** Writers create ConfigMaps until their server dies; kill() is called once KILL_AFTER creates are acknowledged. */
async function writeUntilKilled(client: ApiClient, prefix: string, kill: () => Promise<void>): Promise<Stream> {
  const rvBefore = (await client.list(Resources.configmaps, NS)).metadata.resourceVersion!;
  const acked = new Map<string, string>();
  let killing: Promise<void> | undefined;
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, w) => {
      for (let i = 0; ; i++) {
        const name = `${prefix}-${w}-${i}`;
        try {
          const o = await client.create<KubeObject>(Resources.configmaps, NS, { metadata: { name }, data: { writer: String(w), seq: String(i) } } as KubeObject);
          acked.set(name, o.metadata.resourceVersion!);
        } catch {
          return; // the server is gone; this write was not acknowledged
        }
        if (acked.size >= KILL_AFTER) killing ??= kill();
      }
    }),
  );
  await killing;
  return { acked, rvBefore };
}

/** Every acknowledged create is listed with the resourceVersion it was acknowledged with. */
async function checkAcked(t: Tap, client: ApiClient, s: Stream): Promise<void> {
  const listed = new Map((await client.list(Resources.configmaps, NS)).items.map((o) => [o.metadata.name!, o.metadata.resourceVersion!]));
  const missing = [...s.acked].filter(([name, rv]) => listed.get(name) !== rv);
  t.ok(s.acked.size >= KILL_AFTER, `${s.acked.size} creates acknowledged before the kill`);
  t.same(missing, [], 'every acknowledged create survived, at its acknowledged resourceVersion');
}

/** Watches from rv until every name in want has been ADDED (or 30 s pass); returns the events seen. */
async function watchUntil(client: ApiClient, rv: string, want: Set<string>): Promise<WatchEvent[]> {
  const events: WatchEvent[] = [];
  const seen = new Set<string>();
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 30_000);
  await client.watch(Resources.configmaps, NS, { resourceVersion: rv }, (e) => {
    events.push(e);
    if (e.type === 'ADDED' && want.has(e.object.metadata.name!)) seen.add(e.object.metadata.name!);
    if (e.type === 'ERROR' || seen.size === want.size) ac.abort();
  }, ac.signal);
  clearTimeout(timer);
  return events;
}

async function checkWatchResumes(t: Tap, client: ApiClient, s: Stream): Promise<void> {
  const events = await watchUntil(client, s.rvBefore, new Set(s.acked.keys()));
  t.same(events.filter((e) => e.type === 'ERROR'), [], 'the watch from before the kill is not expired');
  const added = new Map(events.filter((e) => e.type === 'ADDED').map((e) => [e.object.metadata.name!, e.object.metadata.resourceVersion!]));
  t.same([...s.acked].filter(([name, rv]) => added.get(name) !== rv), [], 'it delivers every acknowledged create made after its resourceVersion');
  const rvs = events.map((e) => Number(e.object.metadata.resourceVersion));
  t.ok(rvs.every((rv, i) => i === 0 || rv > rvs[i - 1]), 'in resourceVersion order');
}

t.test('SQLite: acknowledged writes survive SIGKILL of the server; a watch from before resumes', async (t) => {
  const args = ['--disable-controllers'];
  let server: TestServer = await startServer({ dir: dataDir(t), args });
  const { dir, port } = server;
  t.teardown(() => server.stop());
  const s = await writeUntilKilled(server.client, 'sqlite', () => server.stop('SIGKILL'));
  server = await startServer({ dir, port, args });
  await checkAcked(t, server.client, s);
  await checkWatchResumes(t, server.client, s);
});

t.test('etcd (3 members)', async (t) => {
  const cluster = await startEtcdCluster();
  t.teardown(() => cluster.close());
  const args = ['--disable-controllers', ...cluster.serverArgs];

  let a: TestServer = await startServer({ dir: dataDir(t), args });
  const { dir, port } = a;
  t.teardown(() => a.stop());

  t.test('acknowledged writes survive SIGKILL of the server and of every etcd member; a watch from before resumes', async (t) => {
    const s = await writeUntilKilled(a.client, 'etcd', async () => {
      await Promise.all([a.stop('SIGKILL'), cluster.stopAll('SIGKILL')]);
    });
    await cluster.startAll();
    a = await startServer({ dir, port, args });
    await checkAcked(t, a.client, s);
    await checkWatchResumes(t, a.client, s);
  });

  t.test('two servers on one cluster serve the same objects, and watches see each other\'s writes', async (t) => {
    const b = await startServer({ dir: dataDir(t), args });
    t.teardown(() => b.stop());
    const cm = (name: string) => ({ metadata: { name }, data: { k: 'v' } }) as KubeObject;

    const onA = await a.client.create<KubeObject>(Resources.configmaps, NS, cm('via-a'));
    const fromB = await b.client.get<KubeObject>(Resources.configmaps, NS, 'via-a');
    t.equal(fromB.metadata.resourceVersion, onA.metadata.resourceVersion, 'B serves what A wrote, at the same resourceVersion');
    t.equal(fromB.metadata.uid, onA.metadata.uid);

    // A watch on B from now sees a write made through A, and a watch on A sees one made through B.
    const rvB = (await b.client.list(Resources.configmaps, NS)).metadata.resourceVersion!;
    const rvA = (await a.client.list(Resources.configmaps, NS)).metadata.resourceVersion!;
    const watchB = watchUntil(b.client, rvB, new Set(['written-on-a']));
    const watchA = watchUntil(a.client, rvA, new Set(['written-on-b']));
    const wa = await a.client.create<KubeObject>(Resources.configmaps, NS, cm('written-on-a'));
    const wb = await b.client.create<KubeObject>(Resources.configmaps, NS, cm('written-on-b'));
    const seenOnB = (await watchB).find((e) => e.object.metadata.name === 'written-on-a');
    const seenOnA = (await watchA).find((e) => e.object.metadata.name === 'written-on-b');
    t.match(seenOnB, { type: 'ADDED', object: { metadata: { resourceVersion: wa.metadata.resourceVersion } } }, 'B\'s watch saw the create made through A');
    t.match(seenOnA, { type: 'ADDED', object: { metadata: { resourceVersion: wb.metadata.resourceVersion } } }, 'A\'s watch saw the create made through B');

    // Optimistic concurrency holds across servers: an update through B with A's stale resourceVersion is refused.
    const upd = await a.client.update<KubeObject>(Resources.configmaps, { ...wa, data: { k: 'v2' } } as KubeObject);
    const stale = await b.client.update<KubeObject>(Resources.configmaps, { ...wa, data: { k: 'v3' } } as KubeObject).then(
      () => undefined,
      (e: { code?: number }) => e.code,
    );
    t.equal(stale, 409, 'a stale update through the other server is a 409 Conflict');
    t.equal((await b.client.get<KubeObject>(Resources.configmaps, NS, 'written-on-a')).metadata.resourceVersion, upd.metadata.resourceVersion);
  });
});
