// The store conformance suite on EtcdStore against a real three-member etcd cluster on loopback, started here; then
// failover: with one member stopped, reads, writes and watches carry on through the other two.
import * as protoLoader from '@grpc/proto-loader';
import t from 'tap';
import { startEtcdCluster } from '../../test/etcd-cluster.js';
import { collect } from './conformance.js';
import { storeConformance } from './conformance.js';
import { EtcdStore, etcdProtoPath, parseEtcdEndpoints } from './etcd.js';

type Desc = { type: { field: { name: string; number: number }[] } };
const pkg = protoLoader.loadSync(etcdProtoPath(), { keepCase: true });
const fields = (msg: string): Record<string, number> =>
  Object.fromEntries((pkg[`etcdserverpb.${msg}`] as unknown as Desc).type.field.map((f) => [f.name, f.number]));

// A renumbered field would silently send the wrong thing to etcd; these are etcd's own numbers.
t.test('wire numbers of the fields EtcdStore depends on', async (t) => {
  t.match(fields('ResponseHeader'), { cluster_id: 1, member_id: 2, revision: 3, raft_term: 4 });
  t.match(fields('KeyValue'), { key: 1, create_revision: 2, mod_revision: 3, version: 4, value: 5, lease: 6 });
  t.match(fields('Event'), { type: 1, kv: 2, prev_kv: 3 });
  t.match(fields('RangeRequest'), { key: 1, range_end: 2, limit: 3, revision: 4, serializable: 7, keys_only: 8, count_only: 9 });
  t.match(fields('RangeResponse'), { header: 1, kvs: 2, more: 3, count: 4 });
  t.match(fields('PutRequest'), { key: 1, value: 2, lease: 3, prev_kv: 4 });
  t.match(fields('DeleteRangeRequest'), { key: 1, range_end: 2, prev_kv: 3 });
  t.match(fields('RequestOp'), { request_range: 1, request_put: 2, request_delete_range: 3 });
  t.match(fields('ResponseOp'), { response_range: 1, response_put: 2, response_delete_range: 3 });
  t.match(fields('Compare'), { result: 1, target: 2, key: 3, version: 4, create_revision: 5, mod_revision: 6, value: 7, lease: 8 });
  t.match(fields('TxnRequest'), { compare: 1, success: 2, failure: 3 });
  t.match(fields('TxnResponse'), { header: 1, succeeded: 2, responses: 3 });
  t.match(fields('CompactionRequest'), { revision: 1, physical: 2 });
  t.match(fields('WatchRequest'), { create_request: 1, cancel_request: 2, progress_request: 3 });
  t.match(fields('WatchCreateRequest'), { key: 1, range_end: 2, start_revision: 3, progress_notify: 4, prev_kv: 6, watch_id: 7, fragment: 8 });
  t.match(fields('WatchResponse'), { header: 1, watch_id: 2, created: 3, canceled: 4, compact_revision: 5, cancel_reason: 6, fragment: 7, events: 11 });
  t.match(fields('StatusResponse'), { header: 1, version: 2, leader: 4 });
});

t.test('endpoints from --datastore', async (t) => {
  t.same(parseEtcdEndpoints('etcd://10.0.0.1:2379,10.0.0.2:2379'), ['10.0.0.1:2379', '10.0.0.2:2379']);
  t.same(parseEtcdEndpoints('etcd://http://h:2379/'), ['h:2379']);
  t.throws(() => parseEtcdEndpoints('etcd://'), /invalid etcd datastore/);
  t.throws(() => parseEtcdEndpoints('etcd://host-without-port'), /invalid etcd datastore/);
});

t.test('on a 3-member etcd cluster', async (t) => {
  const cluster = await startEtcdCluster();
  t.teardown(() => cluster.close());

  t.test('conformance', async (t) => {
    storeConformance(t, async () => {
      const store = new EtcdStore({ endpoints: cluster.endpoints, tls: cluster.tls });
      return { store, cleanup: () => store.close() };
    });
  });

  t.test('failover: one member down, writes, reads and watches go on through the others', async (t) => {
    const store = new EtcdStore({ endpoints: cluster.endpoints, tls: cluster.tls });
    t.teardown(() => store.close());
    const p = `/failover/${Date.now()}/`;
    const from = await store.currentRevision();
    const w = collect(store, p, from);
    t.teardown(() => w.close());
    const acked: number[] = [];
    for (let i = 0; i < 5; i++) acked.push(await store.create(`${p}before-${i}`, String(i)));
    await w.until(5);
    // The store talks to the first endpoint first: stop exactly that member, with SIGKILL.
    await cluster.stopMember(0, 'SIGKILL');
    for (let i = 0; i < 20; i++) acked.push(await store.create(`${p}during-${i}`, String(i)));
    t.equal((await store.list(p)).items.length, 25, 'every acknowledged write is readable with a member down');
    await w.until(25);
    t.same(w.errors, [], 'the watch moved to another member without an error');
    t.same(w.events.map((e) => e.modRevision), acked, 'the watch delivered every write once, in order, across the failover');

    await cluster.startMember(0);
    // A fresh store that prefers the restarted member sees everything written while it was down.
    const back = new EtcdStore({ endpoints: [cluster.endpoints[0]], tls: cluster.tls });
    t.teardown(() => back.close());
    t.equal((await back.list(p)).items.length, 25, 'the restarted member caught up');
  });

  t.test('the leader goes down: writes wait out the election and go on', async (t) => {
    const store = new EtcdStore({ endpoints: cluster.endpoints, tls: cluster.tls });
    t.teardown(() => store.close());
    const statuses = await Promise.all(cluster.endpoints.map((_, i) => store.memberStatus(i)));
    const leader = statuses.findIndex((s) => s.isLeader);
    t.ok(leader >= 0, `member ${leader} is the leader (etcd ${statuses[0].version})`);
    const p = `/leader/${Date.now()}/`;
    const w = collect(store, p, await store.currentRevision());
    t.teardown(() => w.close());
    await cluster.stopMember(leader, 'SIGKILL');
    const acked: number[] = [];
    for (let i = 0; i < 20; i++) acked.push(await store.create(`${p}${i}`, String(i)));
    await w.until(20);
    t.same(w.errors, []);
    t.same(w.events.map((e) => e.modRevision), acked, 'every write acknowledged across the election, watched in order');
    await cluster.startMember(leader);
    const after = await Promise.all(cluster.endpoints.map((_, i) => store.memberStatus(i)));
    t.equal(after.filter((s) => s.isLeader).length, 1, 'one leader again with all three members up');
  });

  t.test('a watch from a revision in the future waits for it', async (t) => {
    const store = new EtcdStore({ endpoints: cluster.endpoints, tls: cluster.tls });
    t.teardown(() => store.close());
    const p = `/future/${Date.now()}/`;
    const cur = await store.currentRevision();
    const w = collect(store, p, cur + 1);
    t.teardown(() => w.close());
    const r1 = await store.create(p + 'a', '1');
    const r2 = await store.create(p + 'b', '1');
    await w.until(r1 > cur + 1 ? 2 : 1);
    t.ok(w.events.every((e) => e.modRevision > cur + 1), 'no event at or below the starting revision');
    t.equal(w.events[w.events.length - 1].modRevision, r2);
  });
});
