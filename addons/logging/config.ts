// The logging add-on's settings — the collector's (fluentd's tail source and its position file, the output's
// endpoint and buffer) and the store's (listen address, data dir, retention) — as typed configs computed once from
// flags by the CLI and passed to startLogCollector() / startLogStore().

export interface CollectorConfig {
  /** Kubeconfig to look pods up with; undefined means in-cluster credentials (the pod's service account). */
  kubeconfig?: string;
  /** The node the collector runs on (its pods' log lines carry it). */
  nodeName: string;
  /** Root of the pods' log directories: <ns>_<pod>_<uid>/<container>/<n>.log. */
  podLogDir: string;
  /** Where the read positions are kept across restarts (a file in a hostPath directory). */
  positionFile: string;
  /** Base URL of the store (its /ingest receives the batches). */
  storeURL: string;
  /** How often the files are looked at for new lines and new files. */
  pollMs: number;
  /** At most this many lines per batch shipped. */
  batchLines: number;
  /** A longer line keeps its first maxLineBytes; the rest is counted as truncated. */
  maxLineBytes: number;
  /** Shipping retries back off from 1 s up to this. */
  maxBackoffMs: number;
}

export const collectorDefaults = {
  podLogDir: '/var/log/pods',
  positionFile: '/var/log/kubets-log-collector/positions.json',
  storeURL: 'http://cluster-logs.kube-system.svc',
  pollMs: 250,
  batchLines: 2000,
  maxLineBytes: 16 * 1024,
  maxBackoffMs: 30_000,
} satisfies Omit<CollectorConfig, 'kubeconfig' | 'nodeName'>;

export interface StoreConfig {
  /** host:port the search and ingest API listens on. */
  listen: string;
  /** Directory of the SQLite database (a hostPath or a PersistentVolumeClaim's mount). */
  dataDir: string;
  /** Lines older than this are removed. */
  maxAgeMs: number;
  /** Once the stored lines take more than this many bytes, the oldest go. */
  maxBytes: number;
  /** How often the age limit is applied. */
  retentionPeriodMs: number;
}

export const storeDefaults = {
  listen: '0.0.0.0:8080',
  dataDir: '/var/lib/cluster-logs',
  maxAgeMs: 7 * 24 * 3_600_000,
  maxBytes: 1024 * 1024 * 1024,
  retentionPeriodMs: 60_000,
} satisfies StoreConfig;
