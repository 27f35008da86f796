// Node registration against a real API server, with the node's own joined identity (NodeRestriction decides): the
// label that keeps the kube-proxy DaemonSet off a node whose agent runs kube-proxy itself, added and taken back.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { Resources } from '../../api/resources.js';
import type { Node } from '../../api/types.js';
import { startServer } from '../../test/server-fixture.js';
import { joinedNodeClient } from '../../test/node-join.js';
import { embeddedProxyLabel } from '../proxy/manifests.js';
import { registerNode } from './node.js';
import type { RuntimeService } from './runtime.js';

// A runtime that answers as an idle containerd: registration reads its version, status and images.
const runtime = {
  version: async () => ({ runtime_name: 'containerd', runtime_version: '1.6.20', runtime_api_version: 'v1' }),
  status: async () => ({ status: { conditions: [] } }),
  listImages: async () => ({ images: [] }),
} as unknown as RuntimeService;

t.test('an agent with its own kube-proxy labels its Node; restarted without one, it removes the label', async (t) => {
  const server = await startServer();
  t.teardown(() => server.destroy());
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-register-'));
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const kubelet = await joinedNodeClient(server, 'n1');
  t.teardown(() => kubelet.close());
  const identity = { nodeName: 'n1', nodeIP: '10.99.0.1', nodeLabels: { tier: 'edge' }, registerWithTaints: [], dataDir };
  const labels = async () => (await server.client.get<Node>(Resources.nodes, undefined, 'n1')).metadata.labels ?? {};

  await registerNode(kubelet, { ...identity, embeddedProxy: true }, runtime);
  t.equal((await labels())[embeddedProxyLabel.key], embeddedProxyLabel.value, 'created with the label');
  t.equal((await labels()).tier, 'edge', 'beside the configured labels');

  await registerNode(kubelet, { ...identity, embeddedProxy: false }, runtime);
  t.notOk(embeddedProxyLabel.key in (await labels()), 'an existing Node loses it when the agent no longer runs kube-proxy');
  t.equal((await labels()).tier, 'edge', 'its other labels stay');

  await registerNode(kubelet, { ...identity, embeddedProxy: true }, runtime);
  t.equal((await labels())[embeddedProxyLabel.key], embeddedProxyLabel.value, 'and gets it back on the next restart with one');
});
