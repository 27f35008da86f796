// The real kubectl's protobuf bodies: kubectl talks to a real `kubets server` through a small recording proxy (plain
// HTTP in front, the admin client certificate behind). Every protobuf body kubectl POSTs must decode to exactly the
// object the same command prints with `--dry-run=client -o json`, which is what kubectl sends as JSON; the reviews
// and token requests (auth can-i, whoami, create token) and the approval kubectl sends back decode to what they say.
import t from 'tap';
import { execa } from 'execa';
import { createCSR } from '../../../api/pki.js';
import { Resources } from '../../../api/resources.js';
import type { CertificateSigningRequest } from '../../../api/types.js';
import { proxyKubeconfig, recordingProxy } from '../../../test/recording-proxy.js';
import { startServer } from '../../../test/server-fixture.js';
import { decodeProtobuf, isProtobuf } from './index.js';

t.test('kubectl create: protobuf bodies decode to the JSON kubectl would send', async (t) => {
  const srv = await startServer({ args: ['--disable-controllers'] });
  t.teardown(() => srv.destroy());
  const proxy = await recordingProxy(srv.kubeconfig);
  t.teardown(() => proxy.close());

  const kubeconfig = proxyKubeconfig(srv, proxy.port);
  const kubectl = (args: string[]) => execa('kubectl', args, { env: { KUBECONFIG: kubeconfig }, reject: false, timeout: 60_000 });

  const commands: Record<string, string[]> = {
    deployment: ['create', 'deployment', 'web', '--image=busybox:1.35', '--replicas=3', '--port=80'],
    namespace: ['create', 'namespace', 'demo'],
    configmap: ['create', 'configmap', 'cfg', '--from-literal=a=1', '--from-literal=greeting=hello world'],
    secret: ['create', 'secret', 'generic', 'creds', '--from-literal=password=hunter2', '--from-literal=user=admin'],
    serviceaccount: ['create', 'serviceaccount', 'robot'],
    job: ['create', 'job', 'once', '--image=busybox:1.35', '--', 'echo', 'hi'],
    'service nodeport': ['create', 'service', 'nodeport', 'web', '--tcp=80:8080', '--node-port=30080'],
    cronjob: ['create', 'cronjob', 'tick', '--image=busybox:1.35', '--schedule=*/5 * * * *', '--', 'date'],
    role: ['create', 'role', 'reader', '--verb=get', '--verb=list', '--resource=pods,deployments.apps', '--resource-name=web'],
    clusterrole: ['create', 'clusterrole', 'urls', '--verb=get', '--non-resource-url=/healthz', '--non-resource-url=/logs/*'],
    'clusterrole with aggregation': ['create', 'clusterrole', 'monitoring', '--aggregation-rule=rbac.example.com/aggregate-to-monitoring=true'],
    rolebinding: ['create', 'rolebinding', 'readers', '--role=reader', '--user=alice', '--group=devs', '--serviceaccount=default:robot'],
    clusterrolebinding: ['create', 'clusterrolebinding', 'viewers', '--clusterrole=view', '--user=bob', '--serviceaccount=kube-system:ctrl'],
  };

  for (const [what, args] of Object.entries(commands)) {
    proxy.captured.length = 0;
    await kubectl(args);
    const posts = proxy.captured.filter((c) => c.method === 'POST');
    t.ok(posts.length > 0, `${what}: kubectl sent a body`);
    if (!posts.length) continue;
    const sent = posts[0];
    t.ok(isProtobuf(sent.contentType), `${what}: kubectl sent ${sent.contentType}`);
    // The same command printing what it would send as JSON (flags go before a `--` command).
    const dash = args.indexOf('--');
    const at = dash < 0 ? args.length : dash;
    const dry = await kubectl([...args.slice(0, at), '--dry-run=client', '-o', 'json', ...args.slice(at)]);
    t.equal(dry.exitCode, 0, `${what}: dry run succeeds ${dry.stderr}`);
    const expected = JSON.parse(String(dry.stdout));
    t.strictSame(decodeProtobuf(sent.body), expected, `${what}: decoded protobuf equals kubectl's JSON`);
  }
});

t.test('kubectl auth, create token and certificate approve: protobuf bodies decode', async (t) => {
  const srv = await startServer({ args: ['--disable-controllers'] });
  t.teardown(() => srv.destroy());
  const proxy = await recordingProxy(srv.kubeconfig);
  t.teardown(() => proxy.close());
  const kubeconfig = proxyKubeconfig(srv, proxy.port);
  const kubectl = (args: string[]) => execa('kubectl', args, { env: { KUBECONFIG: kubeconfig }, reject: false, timeout: 60_000 });

  /** The first protobuf body kubectl sent to a path ending in `suffix`, decoded. */
  async function sent(args: string[], suffix: string): Promise<unknown> {
    proxy.captured.length = 0;
    await kubectl(args);
    const body = proxy.captured.find((c) => new URL(c.url, 'http://x').pathname.endsWith(suffix));
    t.ok(body && isProtobuf(body.contentType), `kubectl ${args.join(' ')}: a protobuf body to …${suffix}`);
    return body && decodeProtobuf(body.body);
  }
  const creating = { creationTimestamp: null };

  t.strictSame(await sent(['auth', 'can-i', 'list', 'pods', '-n', 'default'], '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews'), {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    metadata: creating,
    spec: { resourceAttributes: { namespace: 'default', verb: 'list', resource: 'pods' } },
    status: { allowed: false },
  });
  t.strictSame(await sent(['auth', 'can-i', 'get', '/logs/'], '/selfsubjectaccessreviews'), {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    metadata: creating,
    spec: { nonResourceAttributes: { path: '/logs/', verb: 'get' } },
    status: { allowed: false },
  });
  t.strictSame(await sent(['auth', 'can-i', '--list', '-n', 'kube-system'], '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews'), {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectRulesReview',
    metadata: creating,
    spec: { namespace: 'kube-system' },
    status: { resourceRules: null, nonResourceRules: null, incomplete: false },
  });
  t.strictSame(await sent(['auth', 'whoami'], '/apis/authentication.k8s.io/v1/selfsubjectreviews'), {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'SelfSubjectReview',
    metadata: creating,
    status: { userInfo: {} },
  });
  t.strictSame(
    await sent(['create', 'token', 'robot', '--duration=10m', '--audience=api', '--audience=vault', '--bound-object-kind=Pod', '--bound-object-name=web', '--bound-object-uid=1234'], '/api/v1/namespaces/default/serviceaccounts/robot/token'),
    {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      metadata: creating,
      spec: { audiences: ['api', 'vault'], expirationSeconds: 600, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web', uid: '1234' } },
      status: { token: '', expirationTimestamp: null },
    },
  );

  // The approval kubectl sends back is the request as read, plus its Approved condition.
  const { csrPem } = await createCSR({ commonName: 'jane', organizations: ['devs'] });
  const created = await srv.client.create<CertificateSigningRequest>(Resources.certificatesigningrequests, undefined, {
    metadata: { name: 'jane' },
    spec: { request: Buffer.from(csrPem).toString('base64'), signerName: 'example.com/signer', usages: ['digital signature', 'client auth'], expirationSeconds: 3600 },
  } as CertificateSigningRequest);
  const approval = (await sent(['certificate', 'approve', 'jane'], '/certificatesigningrequests/jane/approval')) as CertificateSigningRequest;
  const { managedFields: _m, ...meta } = created.metadata;
  t.strictSame({ ...approval, metadata: { ...approval.metadata, managedFields: undefined } }, {
    ...created,
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { ...meta, managedFields: undefined },
    status: { conditions: [{ type: 'Approved', status: 'True', reason: 'KubectlApprove', message: 'This CSR was approved by kubectl certificate approve.', lastUpdateTime: approval.status!.conditions![0].lastUpdateTime, lastTransitionTime: null }] },
  });
});
