// Picks the store from --datastore: embedded SQLite under the data dir (default), or an etcd v3 cluster.
import fs from 'node:fs';
import path from 'node:path';
import type { ServerConfig } from '../config.js';
import { EtcdStore, EtcdUnavailableError } from './etcd.js';
import { SqliteStore } from './sqlite.js';
import type { Store } from './store.js';
import { sleep } from '../../api/informer.js';
import { logger } from '../../api/log.js';

const log = logger('storage');

/** Revisions kept behind the newest at each compaction (kube-apiserver compacts every 5 minutes). */
const KEEP_REVISIONS = 10_000;
const COMPACT_INTERVAL_MS = 5 * 60_000;

/** TLS for https:// endpoints, from --etcd-cafile/--etcd-certfile/--etcd-keyfile (required together). */
function etcdTLS(ds: string, c: Pick<ServerConfig, 'etcdCAFile' | 'etcdCertFile' | 'etcdKeyFile'>) {
  if (!ds.startsWith('https://')) return undefined;
  if (!c.etcdCAFile || !c.etcdCertFile || !c.etcdKeyFile) throw new Error('https:// etcd endpoints need --etcd-cafile, --etcd-certfile and --etcd-keyfile');
  return { ca: fs.readFileSync(c.etcdCAFile), cert: fs.readFileSync(c.etcdCertFile), key: fs.readFileSync(c.etcdKeyFile) };
}

/** How long a starting API server waits for etcd to answer: on a master, etcd is a static pod starting beside it. */
const ETCD_STARTUP_WAIT_MS = 60_000;

async function connectEtcd(ds: string, tls: ReturnType<typeof etcdTLS>): Promise<EtcdStore> {
  const deadline = Date.now() + ETCD_STARTUP_WAIT_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await EtcdStore.connect(ds, { tls });
    } catch (e) {
      // Only an etcd that does not answer yet is waited for; a configuration that can never work fails at once.
      if (!(e instanceof EtcdUnavailableError) || Date.now() > deadline) throw e;
      if (attempt === 1 || attempt % 10 === 0) log.info({ err: (e as Error).message }, 'waiting for etcd');
      await sleep(1_000);
    }
  }
}

export async function openStore(config: Pick<ServerConfig, 'datastore' | 'dataDir' | 'etcdCAFile' | 'etcdCertFile' | 'etcdKeyFile'>): Promise<Store> {
  const ds = config.datastore || 'sqlite';
  if (ds === 'sqlite' || ds.startsWith('sqlite://')) {
    const file = ds.startsWith('sqlite://') ? ds.slice('sqlite://'.length) : path.join(config.dataDir, 'state.db');
    const store = new SqliteStore(file);
    store.startCompactor(COMPACT_INTERVAL_MS, KEEP_REVISIONS);
    return store;
  }
  if (ds.startsWith('etcd://') || ds.startsWith('https://')) {
    const store = await connectEtcd(ds, etcdTLS(ds, config));
    store.startCompactor(COMPACT_INTERVAL_MS, KEEP_REVISIONS);
    return store;
  }
  throw new Error(`unsupported --datastore "${ds}": use "sqlite", "sqlite:///path/to/file.db", "etcd://host:port[,host:port…]" or "https://host:port[,…]" with --etcd-cafile/--etcd-certfile/--etcd-keyfile`);
}
