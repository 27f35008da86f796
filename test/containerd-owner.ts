// The process that owns a test node's containerd. containerd-node.ts starts it inside the node's network namespace
// and a private mount namespace (as the lab starts an agent); it reads the node's ContainerdNodeConfig from
// KT_CONTAINERD_NODE, starts containerd, prints {"pid":…} once the CRI answers, and stops containerd on SIGTERM — or
// when its stdin, a pipe from the test, closes because the test died without its teardown.
import { startContainerd, type ContainerdNodeConfig } from '../agent/containerd/index.js';

const raw = process.env.KT_CONTAINERD_NODE;
if (!raw) throw new Error('KT_CONTAINERD_NODE (a ContainerdNodeConfig as JSON) is not set');
const node = JSON.parse(raw) as ContainerdNodeConfig;
const proc = await startContainerd({ ...node, readyTimeoutMs: 90_000 });
process.stdout.write(JSON.stringify({ pid: proc.pid }) + '\n');
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void proc.close().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
process.stdin.once('close', stop);
process.stdin.resume();
await proc.exited;
