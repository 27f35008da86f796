// A node identity for tests of a kubelet against a real API server, obtained as a joining node gets it: a bootstrap
// token Secret, then a CSR signed for system:node:<name> — so the Node authorizer and NodeRestriction decide what the
// kubelet may do, as in a cluster.
import { caCertHash, formatToken, generateToken, tokenSecret } from '../api/bootstraptoken.js';
import { ApiClient, loadKubeconfig } from '../api/client.js';
import { Resources } from '../api/resources.js';
import type { KubeObject } from '../api/types.js';
import { requestClientCertificate } from '../agent/bootstrap.js';
import type { TestServer } from './server-fixture.js';

export async function joinedNodeClient(server: TestServer, nodeName: string): Promise<ApiClient> {
  const admin = server.client;
  const apiServer = admin.config.server;
  const caPem = String(loadKubeconfig(server.kubeconfig).ca);
  const bootstrap = generateToken();
  const { stringData, ...secret } = tokenSecret(bootstrap, { ttlSeconds: 600, description: `${nodeName} in a test` });
  await admin.create(Resources.secrets, 'kube-system', { ...secret, data: Object.fromEntries(Object.entries(stringData).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) } as KubeObject);
  const { certPem, keyPem } = await requestClientCertificate({ server: apiServer, token: formatToken(bootstrap), caCertHashes: [caCertHash(caPem)] }, caPem, nodeName);
  return new ApiClient({ server: apiServer, ca: caPem, cert: certPem, key: keyPem, userAgent: `kubelet/${nodeName}` });
}
