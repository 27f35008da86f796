// Hand-built wire bytes through decodeProtobuf: the special apimachinery types, a nested Deployment with a thorough
// PodSpec, Go's zero-value rules, merging, unknown fields, and malformed input (always a 400, never a crash).
import t from 'tap';
import { StatusError } from '../../../api/errors.js';
import { formatDuration, formatTime } from './decode.js';
import { decodeProtobuf, isProtobuf } from './index.js';
import { varintBytes } from './wire.js';

// ---- a tiny test-only encoder ----
type Part = Buffer;
const varint = (v: number | bigint): Buffer => Buffer.from(varintBytes(v));
const key = (field: number, wt: number) => varint(field * 8 + wt);
const lenDelim = (field: number, payload: Buffer) => Buffer.concat([key(field, 2), varint(payload.length), payload]);
const str = (field: number, s: string) => lenDelim(field, Buffer.from(s, 'utf8'));
const bytes = (field: number, b: Buffer) => lenDelim(field, b);
const int = (field: number, v: number | bigint) => Buffer.concat([key(field, 0), varint(v)]);
const bool = (field: number, v: boolean) => int(field, v ? 1 : 0);
const msg = (field: number, ...parts: Part[]) => lenDelim(field, Buffer.concat(parts));
const map = (field: number, entries: Record<string, string>) => Buffer.concat(Object.entries(entries).map(([k, v]) => msg(field, str(1, k), str(2, v))));
const packed = (field: number, values: number[]) => lenDelim(field, Buffer.concat(values.map(varint)));
const time = (field: number, seconds: number, nanos = 0) => msg(field, int(1, seconds), ...(nanos ? [int(2, nanos)] : []));
const intOrStringInt = (field: number, v: number) => msg(field, int(1, 0), int(2, v), str(3, ''));
const intOrStringStr = (field: number, v: string) => msg(field, int(1, 1), int(2, 0), str(3, v));
const quantity = (field: number, s: string) => msg(field, str(1, s));
const envelope = (apiVersion: string, kind: string, raw: Buffer, extra: Part[] = []) =>
  Buffer.concat([Buffer.from('k8s\0', 'latin1'), msg(1, str(1, apiVersion), str(2, kind)), bytes(2, raw), ...extra]);

/** ObjectMeta as Go writes it: every non-pointer field, zero or not. */
const objectMeta = (name: string, extra: Part[] = []) =>
  msg(1, str(1, name), str(2, ''), str(3, ''), str(4, ''), str(5, ''), str(6, ''), int(7, 0), msg(8), ...extra, str(16, ''));

const expect400 = (t: Pick<typeof import('tap').default, 'ok' | 'equal' | 'match' | 'fail'>, fn: () => unknown, pattern: RegExp) => {
  try {
    fn();
    t.fail(`expected a 400 matching ${pattern}`);
  } catch (e) {
    t.ok(e instanceof StatusError, 'a StatusError');
    t.equal((e as StatusError).code, 400);
    t.match((e as StatusError).message, pattern);
  }
};

t.test('isProtobuf', async (t) => {
  t.ok(isProtobuf('application/vnd.kubernetes.protobuf'));
  t.ok(isProtobuf('application/vnd.kubernetes.protobuf; charset=binary'));
  t.ok(isProtobuf('Application/VND.Kubernetes.Protobuf'));
  t.notOk(isProtobuf('application/json'));
  t.notOk(isProtobuf('application/vnd.kubernetes.protobuf+json'));
  t.notOk(isProtobuf(undefined));
});

t.test('Time, MicroTime and Duration', async (t) => {
  t.equal(formatTime(1700000000, 999_999_999, false), '2023-11-14T22:13:20Z', 'Time drops the fraction');
  t.equal(formatTime(1700000000, 123_456_789, true), '2023-11-14T22:13:20.123456Z', 'MicroTime keeps microseconds');
  t.equal(formatTime(0, 0, true), '1970-01-01T00:00:00.000000Z');
  t.equal(formatTime(-1, 0, false), '1969-12-31T23:59:59Z');
  t.equal(formatDuration(0n), '0s');
  t.equal(formatDuration(999n), '999ns');
  t.equal(formatDuration(1_500n), '1.5µs');
  t.equal(formatDuration(150_000_000n), '150ms');
  t.equal(formatDuration(1_500_000_000n), '1.5s');
  t.equal(formatDuration(90_000_000_000n), '1m30s');
  t.equal(formatDuration(3_600_000_000_000n), '1h0m0s');
  t.equal(formatDuration(-(3_723_000_000_000n + 500_000_000n)), '-1h2m3.5s');

  // Lease: MicroTime fields, an empty Time (Go's zero time) is null, pointer int32 zero kept.
  const lease = envelope(
    'coordination.k8s.io/v1',
    'Lease',
    Buffer.concat([
      objectMeta('master', [time(9, 1700000100)]),
      msg(2, str(1, 'master'), int(2, 40), time(3, 1700000000, 5_000), time(4, 1700000010, 123_456_789), int(5, 0)),
    ]),
  );
  t.strictSame(decodeProtobuf(lease), {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'master', creationTimestamp: null, deletionTimestamp: '2023-11-14T22:15:00Z' },
    spec: { holderIdentity: 'master', leaseDurationSeconds: 40, acquireTime: '2023-11-14T22:13:20.000005Z', renewTime: '2023-11-14T22:13:30.123456Z', leaseTransitions: 0 },
  });
});

t.test('Secret and ConfigMap: bytes maps become base64, present zero pointers stay', async (t) => {
  const secret = envelope('v1', 'Secret', Buffer.concat([objectMeta('s'), msg(2, str(1, 'password'), bytes(2, Buffer.from([0, 1, 255]))), str(3, 'Opaque'), map(4, { user: 'admin' }), bool(5, false)]));
  t.strictSame(decodeProtobuf(secret), {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's', creationTimestamp: null },
    data: { password: 'AAH/' },
    type: 'Opaque',
    stringData: { user: 'admin' },
    immutable: false,
  });
  const cm = envelope('v1', 'ConfigMap', Buffer.concat([objectMeta('c'), map(2, { a: '1', empty: '' }), msg(3, str(1, 'bin'), bytes(2, Buffer.from('hi'))), msg(3, str(1, 'none'))]));
  t.strictSame(decodeProtobuf(cm), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', creationTimestamp: null }, data: { a: '1', empty: '' }, binaryData: { bin: 'aGk=', none: '' } });
});

t.test('ObjectMeta: labels, annotations, ownerReferences, finalizers, managedFields with FieldsV1', async (t) => {
  const meta = objectMeta('web-abc', [
    str(2, 'web-'),
    str(3, 'default'),
    str(5, '1b4e28ba-2fa1-11d2-883f-0016d3cca427'),
    str(6, '42'),
    int(7, 3),
    int(10, 30),
    map(11, { app: 'web' }),
    map(12, { note: 'x' }),
    msg(13, str(1, 'ReplicaSet'), str(3, 'web'), str(4, 'u-1'), str(5, 'apps/v1'), bool(6, true), bool(7, true)),
    str(14, 'example.com/hold'),
    msg(17, str(1, 'kubectl'), str(2, 'Update'), str(3, 'apps/v1'), time(4, 1700000000), str(6, 'FieldsV1'), msg(7, bytes(1, Buffer.from('{"f:spec":{".":{}}}'))), str(8, '')),
  ]);
  const out = decodeProtobuf(envelope('v1', 'Pod', meta)) as any;
  t.strictSame(out.metadata, {
    name: 'web-abc',
    generateName: 'web-',
    namespace: 'default',
    uid: '1b4e28ba-2fa1-11d2-883f-0016d3cca427',
    resourceVersion: '42',
    generation: 3,
    creationTimestamp: null,
    deletionGracePeriodSeconds: 30,
    labels: { app: 'web' },
    annotations: { note: 'x' },
    ownerReferences: [{ kind: 'ReplicaSet', name: 'web', uid: 'u-1', apiVersion: 'apps/v1', controller: true, blockOwnerDeletion: true }],
    finalizers: ['example.com/hold'],
    managedFields: [{ manager: 'kubectl', operation: 'Update', apiVersion: 'apps/v1', time: '2023-11-14T22:13:20Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { '.': {} } } }],
  });
});

t.test('Deployment with a thorough PodSpec', async (t) => {
  const container = Buffer.concat([
    str(1, 'web'),
    str(2, 'busybox:1.35'),
    str(3, 'httpd'),
    str(3, '-f'),
    str(4, ''), // an empty argument is still an argument
    str(5, ''),
    msg(6, str(1, 'http'), int(2, 0), int(3, 80), str(4, 'TCP'), str(5, '')),
    msg(7, str(1, 'A'), str(2, '1')),
    msg(7, str(1, 'POD_IP'), str(2, ''), msg(3, msg(1, str(1, 'v1'), str(2, 'status.podIP')))),
    msg(7, str(1, 'PASS'), str(2, ''), msg(3, msg(4, msg(1, str(1, 'creds')), str(2, 'password'), bool(3, true)))),
    msg(8, msg(1, str(1, 'cpu'), quantity(2, '500m')), msg(1, str(1, 'memory'), quantity(2, '128Mi')), msg(2, str(1, 'cpu'), quantity(2, '100m'))),
    msg(9, str(1, 'data'), bool(2, false), str(3, '/data'), str(4, ''), str(6, '')),
    msg(10, msg(1, msg(2, str(1, '/healthz'), intOrStringStr(2, 'http'), str(3, ''), str(4, 'HTTP'))), int(2, 5), int(3, 1), int(4, 10), int(5, 1), int(6, 3)),
    msg(11, msg(1, msg(3, intOrStringInt(1, 80), str(2, ''))), int(2, 0), int(3, 0), int(4, 0), int(5, 0), int(6, 0)),
    msg(12, msg(2, msg(1, str(1, 'sh'), str(1, '-c'), str(1, 'sleep 5')))),
    str(13, '/dev/termination-log'),
    str(14, 'IfNotPresent'),
    msg(15, msg(1, str(1, 'NET_ADMIN')), bool(2, false), int(4, 0), bool(5, true)),
    bool(16, false),
    bool(17, false),
    bool(18, false),
    str(20, 'File'),
    msg(19, str(1, 'CFG_'), msg(2, msg(1, str(1, 'settings')))),
  ]);
  const podSpec = Buffer.concat([
    msg(1, str(1, 'data'), msg(2, msg(2, str(1, '')))),
    msg(1, str(1, 'cfg'), msg(2, msg(19, msg(1, str(1, 'settings')), msg(2, str(1, 'k'), str(2, 'p'), int(3, 0o644)), int(3, 420)))),
    msg(1, str(1, 'host'), msg(2, msg(1, str(1, '/var/log'), str(2, 'Directory')))),
    msg(1, str(1, 'tok'), msg(2, msg(26, msg(1, msg(4, str(1, ''), int(2, 3600), str(3, 'token'))), msg(1, msg(2, msg(1, str(1, 'labels'), msg(2, str(1, 'v1'), str(2, 'metadata.labels'))))), int(2, 420)))),
    msg(1, str(1, 'claim'), msg(2, msg(10, str(1, 'pvc'), bool(2, false)))),
    msg(1, str(1, 'sec'), msg(2, msg(6, str(1, 'creds'), int(3, 256)))),
    msg(2, container),
    str(3, 'Always'),
    int(4, 30),
    str(6, 'ClusterFirst'),
    map(7, { 'kubernetes.io/hostname': 'worker1' }),
    str(8, 'default'),
    str(9, ''),
    str(10, ''),
    bool(11, false),
    bool(12, false),
    bool(13, false),
    // PodSecurityContext: runAsUser 0 is a pointer (kept); supplementalGroups once unpacked, once packed.
    msg(14, int(2, 0), int(4, 1000), packed(4, [2000, 3000]), int(5, 2000)),
    str(16, ''),
    str(17, ''),
    msg(
      18,
      msg(1, msg(1, msg(1, msg(1, str(1, 'kubernetes.io/os'), str(2, 'In'), str(3, 'linux'))))),
      msg(3, msg(2, int(1, 100), msg(2, msg(1, map(1, { app: 'web' })), str(3, 'kubernetes.io/hostname')))),
    ),
    str(19, 'default-scheduler'),
    msg(22, str(1, 'node-role.kubernetes.io/control-plane'), str(2, 'Exists'), str(3, ''), str(4, 'NoSchedule')),
    msg(22, str(1, 'node.kubernetes.io/unreachable'), str(2, 'Exists'), str(3, ''), str(4, 'NoExecute'), int(5, 300)),
    str(24, ''),
    int(25, 0),
  ]);
  const deployment = Buffer.concat([
    objectMeta('web', [map(11, { app: 'web' })]),
    msg(
      2,
      int(1, 0), // replicas: 0 is a pointer, so it stays
      msg(2, map(1, { app: 'web' }), msg(2, str(1, 'tier'), str(2, 'NotIn'), str(3, 'db'), str(3, 'cache'))),
      msg(3, objectMeta('', [map(11, { app: 'web' })]), msg(2, podSpec)),
      msg(4, str(1, 'RollingUpdate'), msg(2, intOrStringStr(1, '25%'), intOrStringInt(2, 1))),
      int(5, 0),
      int(6, 10),
      bool(7, false),
      int(9, 600),
    ),
    msg(3, int(1, 0), int(2, 0), int(3, 0), int(4, 0), int(5, 0), int(7, 0)),
  ]);

  t.strictSame(decodeProtobuf(envelope('apps/v1', 'Deployment', deployment)), {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', creationTimestamp: null, labels: { app: 'web' } },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db', 'cache'] }] },
      template: {
        metadata: { creationTimestamp: null, labels: { app: 'web' } },
        spec: {
          volumes: [
            { name: 'data', emptyDir: {} },
            { name: 'cfg', configMap: { name: 'settings', items: [{ key: 'k', path: 'p', mode: 420 }], defaultMode: 420 } },
            { name: 'host', hostPath: { path: '/var/log', type: 'Directory' } },
            {
              name: 'tok',
              projected: {
                sources: [{ serviceAccountToken: { expirationSeconds: 3600, path: 'token' } }, { downwardAPI: { items: [{ path: 'labels', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.labels' } }] } }],
                defaultMode: 420,
              },
            },
            { name: 'claim', persistentVolumeClaim: { claimName: 'pvc' } },
            { name: 'sec', secret: { secretName: 'creds', defaultMode: 256 } },
          ],
          containers: [
            {
              name: 'web',
              image: 'busybox:1.35',
              command: ['httpd', '-f'],
              args: [''],
              ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
              env: [
                { name: 'A', value: '1' },
                { name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
                { name: 'PASS', valueFrom: { secretKeyRef: { name: 'creds', key: 'password', optional: true } } },
              ],
              resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '100m' } },
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
              livenessProbe: { httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' }, initialDelaySeconds: 5, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
              readinessProbe: { tcpSocket: { port: 80 } },
              lifecycle: { preStop: { exec: { command: ['sh', '-c', 'sleep 5'] } } },
              terminationMessagePath: '/dev/termination-log',
              imagePullPolicy: 'IfNotPresent',
              securityContext: { capabilities: { add: ['NET_ADMIN'] }, privileged: false, runAsUser: 0, runAsNonRoot: true },
              terminationMessagePolicy: 'File',
              envFrom: [{ prefix: 'CFG_', configMapRef: { name: 'settings' } }],
            },
          ],
          restartPolicy: 'Always',
          terminationGracePeriodSeconds: 30,
          dnsPolicy: 'ClusterFirst',
          nodeSelector: { 'kubernetes.io/hostname': 'worker1' },
          serviceAccountName: 'default',
          securityContext: { runAsUser: 0, supplementalGroups: [1000, 2000, 3000], fsGroup: 2000 },
          affinity: {
            nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/os', operator: 'In', values: ['linux'] }] }] } },
            podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' } }] },
          },
          schedulerName: 'default-scheduler',
          tolerations: [
            { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
            { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
          ],
          priority: 0,
        },
      },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: 1 } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    },
    status: {},
  });
});

t.test('Service: IntOrString targetPort, non-omitempty port 0, pointer strings', async (t) => {
  const svc = Buffer.concat([
    objectMeta('web'),
    msg(
      2,
      msg(1, str(1, 'http'), str(2, 'TCP'), int(3, 80), intOrStringStr(4, 'http'), int(5, 30080)),
      msg(1, str(1, 'zero'), str(2, 'UDP'), int(3, 0), intOrStringInt(4, 0), int(5, 0)),
      map(2, { app: 'web' }),
      str(3, '10.96.0.20'),
      str(18, '10.96.0.20'),
      str(4, 'NodePort'),
      str(7, 'None'),
      str(11, 'Cluster'),
      str(17, 'SingleStack'),
      str(19, 'IPv4'),
      str(22, 'Cluster'),
    ),
    msg(3, msg(1)),
  ]);
  t.strictSame(decodeProtobuf(envelope('v1', 'Service', svc)), {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', creationTimestamp: null },
    spec: {
      ports: [
        { name: 'http', protocol: 'TCP', port: 80, targetPort: 'http', nodePort: 30080 },
        { name: 'zero', protocol: 'UDP', port: 0, targetPort: 0 },
      ],
      selector: { app: 'web' },
      clusterIP: '10.96.0.20',
      clusterIPs: ['10.96.0.20'],
      type: 'NodePort',
      sessionAffinity: 'None',
      externalTrafficPolicy: 'Cluster',
      ipFamilyPolicy: 'SingleStack',
      ipFamilies: ['IPv4'],
      internalTrafficPolicy: 'Cluster',
    },
    status: { loadBalancer: {} },
  });
});

t.test('EndpointSlice, Binding, Scale, Eviction, DeleteOptions and Node', async (t) => {
  const slice = Buffer.concat([
    objectMeta('web-x'),
    str(4, 'IPv4'),
    msg(2, str(1, '10.244.1.5'), msg(2, bool(1, true), bool(2, true), bool(3, false)), msg(4, str(1, 'Pod'), str(2, 'default'), str(3, 'web-1')), str(6, 'worker1')),
    msg(3, str(1, 'http'), str(2, 'TCP'), int(3, 8080)),
  ]);
  t.strictSame(decodeProtobuf(envelope('discovery.k8s.io/v1', 'EndpointSlice', slice)), {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-x', creationTimestamp: null },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.244.1.5'], conditions: { ready: true, serving: true, terminating: false }, targetRef: { kind: 'Pod', namespace: 'default', name: 'web-1' }, nodeName: 'worker1' }],
    ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
  });

  const binding = Buffer.concat([objectMeta('web-1'), msg(2, str(1, 'Node'), str(2, ''), str(3, 'worker2'))]);
  t.strictSame(decodeProtobuf(envelope('v1', 'Binding', binding)), { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'web-1', creationTimestamp: null }, target: { kind: 'Node', name: 'worker2' } });

  const scale = Buffer.concat([objectMeta('web'), msg(2, int(1, 5)), msg(3, int(1, 0), str(2, ''))]);
  t.strictSame(decodeProtobuf(envelope('autoscaling/v1', 'Scale', scale)), { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web', creationTimestamp: null }, spec: { replicas: 5 }, status: { replicas: 0 } });

  const opts = Buffer.concat([int(1, 0), msg(2, str(1, 'u-1')), str(4, 'Foreground'), str(5, 'All')]);
  t.strictSame(decodeProtobuf(envelope('apps/v1', 'DeleteOptions', opts)), {
    apiVersion: 'apps/v1',
    kind: 'DeleteOptions',
    gracePeriodSeconds: 0,
    preconditions: { uid: 'u-1' },
    propagationPolicy: 'Foreground',
    dryRun: ['All'],
  });
  t.strictSame(decodeProtobuf(envelope('policy/v1', 'Eviction', Buffer.concat([objectMeta('web-1', [str(3, 'default')]), msg(2, int(1, 10))]))), {
    apiVersion: 'policy/v1',
    kind: 'Eviction',
    metadata: { name: 'web-1', namespace: 'default', creationTimestamp: null },
    deleteOptions: { gracePeriodSeconds: 10 },
  });

  const node = Buffer.concat([
    objectMeta('worker1'),
    msg(2, str(1, '10.244.1.0/24'), str(7, '10.244.1.0/24'), str(3, ''), bool(4, true), msg(5, str(1, 'node.kubernetes.io/unreachable'), str(2, ''), str(3, 'NoExecute'), time(4, 1700000000)), str(2, '')),
    msg(3, msg(1, str(1, 'cpu'), quantity(2, '2')), msg(1, str(1, 'pods'), msg(2)), msg(6, msg(1, int(1, 10250)))),
  ]);
  t.strictSame(decodeProtobuf(envelope('v1', 'Node', node)), {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'worker1', creationTimestamp: null },
    spec: { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'], unschedulable: true, taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: '2023-11-14T22:13:20Z' }] },
    status: { capacity: { cpu: '2', pods: '0' }, daemonEndpoints: { kubeletEndpoint: { Port: 10250 } } },
  });
});

t.test('wire rules: unknown fields skipped, repeated message fields merge, negative int32, last scalar wins', async (t) => {
  const job = Buffer.concat([
    objectMeta('j', [int(999, 7), str(998, 'future'), Buffer.concat([key(997, 1), Buffer.alloc(8)]), Buffer.concat([key(996, 5), Buffer.alloc(4)])]),
    msg(2, int(1, 2), int(7, 4)),
    msg(2, int(2, 3), int(1, 1)), // the spec arrives in two parts: merged, and parallelism's last value wins
    msg(3, int(4, -1), str(7, '0-2')),
  ]);
  t.strictSame(decodeProtobuf(envelope('batch/v1', 'Job', job)), {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'j', creationTimestamp: null },
    spec: { parallelism: 1, backoffLimit: 4, completions: 3 },
    status: { active: -1, completedIndexes: '0-2' },
  });
  t.equal(varint(-1).length, 10, 'negative int32 travels sign-extended in 10 bytes');

  // A later zero for an omitempty field removes the earlier value, as Go's last-wins unmarshal would leave it zero.
  const ns = Buffer.concat([objectMeta('n', [str(2, 'gen-'), str(2, '')])]);
  t.strictSame(decodeProtobuf(envelope('v1', 'Namespace', ns)), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n', creationTimestamp: null } });
});

t.test('malformed bodies and unknown kinds are 400s that name the problem', async (t) => {
  expect400(t, () => decodeProtobuf(Buffer.from('{"kind":"Pod"}')), /magic/);
  expect400(t, () => decodeProtobuf(Buffer.from('k8s', 'latin1')), /magic/);
  expect400(t, () => decodeProtobuf(Buffer.concat([Buffer.from('k8s\0', 'latin1'), Buffer.from([0x0a, 0x20, 0x0a])])), /envelope.*truncated/);
  expect400(t, () => decodeProtobuf(Buffer.from('k8s\0', 'latin1')), /no apiVersion\/kind/);
  expect400(t, () => decodeProtobuf(envelope('storage.k8s.io/v1', 'CSIDriver', Buffer.alloc(0))), /no protobuf decoding for kind "CSIDriver"/);
  expect400(t, () => decodeProtobuf(envelope('v1', 'Pod', Buffer.alloc(0), [str(3, 'gzip')])), /content encoding "gzip"/);
  expect400(t, () => decodeProtobuf(envelope('v1', 'Pod', msg(1, int(1, 5)))), /metadata\.name: field 1 has wire type 0, want 2/);
  expect400(t, () => decodeProtobuf(envelope('v1', 'Pod', msg(2, msg(2, lenDelim(1, Buffer.from([0xff, 0xfe])))))), /spec\.containers\[0\]\.name: string is not valid UTF-8/);
  expect400(t, () => decodeProtobuf(envelope('v1', 'Pod', Buffer.concat([key(2, 2), varint(50), Buffer.alloc(3)]))), /spec: truncated/);
  expect400(t, () => decodeProtobuf(envelope('v1', 'Pod', Buffer.concat([key(999, 0), Buffer.alloc(10, 0xff), Buffer.from([0x01])]))), /varint longer than 10 bytes/);
  expect400(t, () => decodeProtobuf(envelope('v1', 'Pod', objectMeta('p', [msg(17, msg(7, bytes(1, Buffer.from('{not json'))))]))), /metadata\.managedFields\[0\]\.fieldsV1: FieldsV1 does not hold JSON/);
  expect400(t, () => decodeProtobuf(envelope('v1', 'Pod', objectMeta('p', [time(8, 1e12)]))), /metadata\.creationTimestamp: time .* outside years/);
});

t.test('corrupted bodies never crash: every outcome is a value or a 400', async (t) => {
  const good = envelope('apps/v1', 'Deployment', Buffer.concat([objectMeta('web', [map(11, { app: 'web' })]), msg(2, int(1, 3), msg(3, msg(2, msg(2, str(1, 'c'), str(2, 'i'), msg(6, int(3, 80))))))]));
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  let values = 0;
  let rejected = 0;
  for (let i = 0; i < 2000; i++) {
    const b = Buffer.from(good);
    if (i % 3 === 0) {
      const cut = 4 + rand(b.length - 4);
      b.fill(0, cut);
      const trimmed = b.subarray(0, cut);
      tryDecode(trimmed);
      continue;
    }
    for (let k = 0; k < 1 + rand(3); k++) b[4 + rand(b.length - 4)] = rand(256);
    tryDecode(b);
  }
  function tryDecode(b: Buffer) {
    try {
      decodeProtobuf(b);
      values++;
    } catch (e) {
      if (!(e instanceof StatusError) || e.code !== 400) throw e;
      rejected++;
    }
  }
  t.equal(values + rejected, 2000);
  t.ok(rejected > 0 && values > 0, `${values} decoded, ${rejected} rejected`);
});

t.test('authentication and authorization reviews', async (t) => {
  // extra is map<string, ExtraValue>: each value a message of repeated strings, a plain list in JSON.
  const extra = (field: number, entries: Record<string, string[]>) => Buffer.concat(Object.entries(entries).map(([k, v]) => msg(field, str(1, k), msg(2, ...v.map((s) => str(1, s))))));
  const emptyMeta = msg(1, msg(8));

  const tokenReview = Buffer.concat([emptyMeta, msg(2, str(1, 'abc.def'), str(2, 'https://kubernetes.default.svc')), msg(3, bool(1, false), msg(2), str(3, ''))]);
  t.strictSame(decodeProtobuf(envelope('authentication.k8s.io/v1', 'TokenReview', tokenReview)), {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenReview',
    metadata: { creationTimestamp: null },
    spec: { token: 'abc.def', audiences: ['https://kubernetes.default.svc'] },
    status: { user: {} },
  });

  const answered = Buffer.concat([emptyMeta, msg(2), msg(3, bool(1, true), msg(2, str(1, 'system:serviceaccount:default:robot'), str(2, 'u-1'), str(3, 'system:serviceaccounts'), str(3, 'system:authenticated'), extra(4, { 'authentication.kubernetes.io/pod-name': ['web'], empty: [] })), str(4, 'api'))]);
  t.strictSame(decodeProtobuf(envelope('authentication.k8s.io/v1', 'TokenReview', answered)), {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenReview',
    metadata: { creationTimestamp: null },
    spec: {},
    status: {
      authenticated: true,
      user: { username: 'system:serviceaccount:default:robot', uid: 'u-1', groups: ['system:serviceaccounts', 'system:authenticated'], extra: { 'authentication.kubernetes.io/pod-name': ['web'], empty: [] } },
      audiences: ['api'],
    },
  });

  t.strictSame(decodeProtobuf(envelope('authentication.k8s.io/v1', 'SelfSubjectReview', Buffer.concat([emptyMeta, msg(2, msg(1))]))), {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'SelfSubjectReview',
    metadata: { creationTimestamp: null },
    status: { userInfo: {} },
  });

  // A SubjectAccessReview as a webhook or the kubelet sends it: user, groups, extra, uid, and selectors.
  const resource = msg(1, str(1, 'team'), str(2, 'list'), str(3, 'apps'), str(4, 'v1'), str(5, 'deployments'), str(6, ''), str(7, ''), msg(8, str(1, ''), msg(2, str(1, 'metadata.name'), str(2, 'In'), str(3, 'web'))), msg(9, str(1, 'app=web')));
  const sar = Buffer.concat([emptyMeta, msg(2, resource, str(3, 'alice'), str(4, 'devs'), extra(5, { scopes: ['a', 'b'] }), str(6, 'uid-7')), msg(3, bool(1, false), str(2, ''), str(3, ''), bool(4, false))]);
  t.strictSame(decodeProtobuf(envelope('authorization.k8s.io/v1', 'SubjectAccessReview', sar)), {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    metadata: { creationTimestamp: null },
    spec: {
      resourceAttributes: { namespace: 'team', verb: 'list', group: 'apps', version: 'v1', resource: 'deployments', fieldSelector: { requirements: [{ key: 'metadata.name', operator: 'In', values: ['web'] }] }, labelSelector: { rawSelector: 'app=web' } },
      user: 'alice',
      groups: ['devs'],
      extra: { scopes: ['a', 'b'] },
      uid: 'uid-7',
    },
    status: { allowed: false },
  });

  const local = Buffer.concat([objectMeta('', [str(3, 'team')]), msg(2, msg(2, str(1, '/metrics'), str(2, 'get')), str(3, 'bob')), msg(3, bool(1, true), str(2, 'RBAC: allowed by ClusterRoleBinding'))]);
  t.strictSame(decodeProtobuf(envelope('authorization.k8s.io/v1', 'LocalSubjectAccessReview', local)), {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'LocalSubjectAccessReview',
    metadata: { namespace: 'team', creationTimestamp: null },
    spec: { nonResourceAttributes: { path: '/metrics', verb: 'get' }, user: 'bob' },
    status: { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding' },
  });

  // A rules review's answer: rules without verbs on the wire are null verbs, as Go prints a nil slice.
  const rules = Buffer.concat([emptyMeta, msg(2, str(1, 'team')), msg(3, msg(1, str(1, 'get'), str(2, ''), str(3, 'pods')), msg(1, str(3, 'secrets')), msg(2, str(1, 'get'), str(2, '/healthz')), bool(3, true), str(4, 'webhook: no opinion'))]);
  t.strictSame(decodeProtobuf(envelope('authorization.k8s.io/v1', 'SelfSubjectRulesReview', rules)), {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectRulesReview',
    metadata: { creationTimestamp: null },
    spec: { namespace: 'team' },
    status: {
      resourceRules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }, { verbs: null, resources: ['secrets'] }],
      nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }],
      incomplete: true,
      evaluationError: 'webhook: no opinion',
    },
  });
  expect400(t, () => decodeProtobuf(envelope('authentication.k8s.io/v1', 'TokenReview', Buffer.concat([emptyMeta, msg(3, msg(2, msg(4, str(1, 'k'), msg(2, lenDelim(1, Buffer.from([0xff]))))))]))), /status\.user\.extra\["k"\]: string is not valid UTF-8/);
});

t.test('RBAC kinds and CertificateSigningRequests', async (t) => {
  // A ClusterRole built by aggregation has no rules on the wire: rules is null in JSON, as kubectl prints it.
  const agg = Buffer.concat([objectMeta('monitoring'), msg(3, msg(1, map(1, { 'rbac.example.com/aggregate-to-monitoring': 'true' })))]);
  t.strictSame(decodeProtobuf(envelope('rbac.authorization.k8s.io/v1', 'ClusterRole', agg)), {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'monitoring', creationTimestamp: null },
    rules: null,
    aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'rbac.example.com/aggregate-to-monitoring': 'true' } }] },
  });
  const binding = Buffer.concat([objectMeta('readers', [str(3, 'team')]), msg(2, str(1, 'User'), str(2, 'rbac.authorization.k8s.io'), str(3, 'alice'), str(4, '')), msg(2, str(1, 'ServiceAccount'), str(2, ''), str(3, 'robot'), str(4, 'team')), msg(3, str(1, ''), str(2, 'Role'), str(3, 'reader'))]);
  t.strictSame(decodeProtobuf(envelope('rbac.authorization.k8s.io/v1', 'RoleBinding', binding)), {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'readers', namespace: 'team', creationTimestamp: null },
    subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice' }, { kind: 'ServiceAccount', name: 'robot', namespace: 'team' }],
    roleRef: { apiGroup: '', kind: 'Role', name: 'reader' },
  });

  const pem = Buffer.from('-----BEGIN CERTIFICATE REQUEST-----\n');
  const csr = Buffer.concat([
    objectMeta('node-csr-1'),
    msg(2, bytes(1, pem), str(2, 'kubelet-bootstrap'), str(3, ''), str(4, 'system:bootstrappers'), str(5, 'digital signature'), str(5, 'client auth'), extra(6, { tok: ['x'] }), str(7, 'kubernetes.io/kube-apiserver-client-kubelet'), int(8, 3600)),
    msg(3, msg(1, str(1, 'Approved'), str(2, 'AutoApproved'), str(3, 'ok'), time(4, 1700000000), msg(5), str(6, 'True'))),
  ]);
  t.strictSame(decodeProtobuf(envelope('certificates.k8s.io/v1', 'CertificateSigningRequest', csr)), {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name: 'node-csr-1', creationTimestamp: null },
    spec: {
      request: pem.toString('base64'),
      username: 'kubelet-bootstrap',
      groups: ['system:bootstrappers'],
      usages: ['digital signature', 'client auth'],
      extra: { tok: ['x'] },
      signerName: 'kubernetes.io/kube-apiserver-client-kubelet',
      expirationSeconds: 3600,
    },
    status: { conditions: [{ type: 'Approved', reason: 'AutoApproved', message: 'ok', lastUpdateTime: '2023-11-14T22:13:20Z', lastTransitionTime: null, status: 'True' }] },
  });

  function extra(field: number, entries: Record<string, string[]>) {
    return Buffer.concat(Object.entries(entries).map(([k, v]) => msg(field, str(1, k), msg(2, ...v.map((s) => str(1, s))))));
  }
});

t.test('NetworkPolicies', async (t) => {
  const spec = msg(2,
    msg(1, map(1, { app: 'web' })),
    msg(2, msg(1, str(1, 'TCP'), intOrStringInt(2, 80), int(3, 90)), msg(1, str(1, 'UDP'), intOrStringStr(2, 'dns')), msg(2, msg(3, str(1, '10.0.0.0/16'), str(2, '10.0.1.0/24')))),
    msg(3, msg(2, msg(2))),
    str(4, 'Ingress'), str(4, 'Egress'),
  );
  t.strictSame(decodeProtobuf(envelope('networking.k8s.io/v1', 'NetworkPolicy', Buffer.concat([objectMeta('web', [str(3, 'team')]), spec]))), {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'web', namespace: 'team', creationTimestamp: null },
    spec: {
      podSelector: { matchLabels: { app: 'web' } },
      ingress: [{ ports: [{ protocol: 'TCP', port: 80, endPort: 90 }, { protocol: 'UDP', port: 'dns' }], from: [{ ipBlock: { cidr: '10.0.0.0/16', except: ['10.0.1.0/24'] } }] }],
      egress: [{ to: [{ namespaceSelector: {} }] }],
      policyTypes: ['Ingress', 'Egress'],
    },
  });
});
