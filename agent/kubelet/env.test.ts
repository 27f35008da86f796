import t from 'tap';
import type { Service } from '../../api/types.js';
import { makePod } from '../../test/fixtures/kubelet.js';
import { envReferences, expandCommandAndArgs, expandSubPathExpr, makeEnvironmentVariables, serviceEnvironment, type EnvContainer, type EnvContext } from './env.js';
import { formatMap } from './fieldpath.js';
import type { ConfigMap, Secret } from './volumes/types.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const service = (namespace: string, name: string, clusterIP: string, ports: Service['spec']['ports']): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { namespace, name }, spec: { clusterIP, ports } });
const kubernetes = service('default', 'kubernetes', '10.96.0.1', [{ name: 'https', port: 443, protocol: 'TCP' }]);

function ctx(over: Partial<EnvContext> = {}): EnvContext {
  return {
    nodeName: 'worker1',
    nodeIP: '192.168.56.11',
    podIP: '10.244.1.5',
    podIPs: ['10.244.1.5'],
    configMaps: new Map<string, ConfigMap | undefined>([['app', { data: { MODE: 'fast', 'log-level': 'debug', 'bad=key': 'x' } }]]),
    secrets: new Map<string, Secret | undefined>([['creds', { data: { password: b64('s3cret'), user: b64('admin') } }]]),
    allocatable: { cpu: 4, memory: 8 * 2 ** 30 },
    ...over,
  };
}

const envOf = (c: EnvContainer, over: Partial<EnvContext> = {}, pod = makePod({ containers: [c] })) => makeEnvironmentVariables(pod, c, ctx(over));

t.test('the Service variables kubelet adds: the master Service always, the namespace\'s with enableServiceLinks', async (t) => {
  const web = service('default', 'web-front', '10.96.0.20', [{ port: 80 }, { name: 'metrics', port: 9100, protocol: 'TCP' }]);
  const dns = service('kube-system', 'kube-dns', '10.96.0.10', [{ name: 'dns', port: 53, protocol: 'UDP' }]);
  const headless = service('default', 'db', 'None', [{ port: 5432 }]);
  t.same(Object.fromEntries(serviceEnvironment([kubernetes, web, dns, headless], 'default', true)), {
    KUBERNETES_SERVICE_HOST: '10.96.0.1',
    KUBERNETES_SERVICE_PORT: '443',
    KUBERNETES_SERVICE_PORT_HTTPS: '443',
    KUBERNETES_PORT: 'tcp://10.96.0.1:443',
    KUBERNETES_PORT_443_TCP: 'tcp://10.96.0.1:443',
    KUBERNETES_PORT_443_TCP_PROTO: 'tcp',
    KUBERNETES_PORT_443_TCP_PORT: '443',
    KUBERNETES_PORT_443_TCP_ADDR: '10.96.0.1',
    WEB_FRONT_SERVICE_HOST: '10.96.0.20',
    WEB_FRONT_SERVICE_PORT: '80',
    WEB_FRONT_SERVICE_PORT_METRICS: '9100',
    WEB_FRONT_PORT: 'tcp://10.96.0.20:80',
    WEB_FRONT_PORT_80_TCP: 'tcp://10.96.0.20:80',
    WEB_FRONT_PORT_80_TCP_PROTO: 'tcp',
    WEB_FRONT_PORT_80_TCP_PORT: '80',
    WEB_FRONT_PORT_80_TCP_ADDR: '10.96.0.20',
    WEB_FRONT_PORT_9100_TCP: 'tcp://10.96.0.20:9100',
    WEB_FRONT_PORT_9100_TCP_PROTO: 'tcp',
    WEB_FRONT_PORT_9100_TCP_PORT: '9100',
    WEB_FRONT_PORT_9100_TCP_ADDR: '10.96.0.20',
  });
  t.same([...serviceEnvironment([kubernetes, web], 'default', false).keys()].filter((k) => !k.startsWith('KUBERNETES_')), [], 'links off: only the master Service');
  t.same([...serviceEnvironment([kubernetes, dns], 'kube-system', true).keys()].filter((k) => k.startsWith('KUBE_DNS')), ['KUBE_DNS_SERVICE_HOST', 'KUBE_DNS_SERVICE_PORT', 'KUBE_DNS_SERVICE_PORT_DNS', 'KUBE_DNS_PORT', 'KUBE_DNS_PORT_53_UDP', 'KUBE_DNS_PORT_53_UDP_PROTO', 'KUBE_DNS_PORT_53_UDP_PORT', 'KUBE_DNS_PORT_53_UDP_ADDR']);
  t.equal(serviceEnvironment([kubernetes, dns], 'kube-system', true).get('KUBE_DNS_PORT'), 'udp://10.96.0.10:53');
  t.same(serviceEnvironment([service('default', 'v6', 'fd00::10', [{ port: 80 }])], 'default', true).get('V6_PORT'), 'tcp://[fd00::10]:80');
});

t.test('env: literals with $(VAR), envFrom with prefix, key refs, field and resource refs, Service variables last', async (t) => {
  const c: EnvContainer = {
    name: 'app',
    image: 'busybox:1.35',
    command: ['sh', '-c', 'echo $(GREETING) from $(POD_NAME)'],
    args: ['$(MODE)', '$$(MODE)', '$(UNSET)'],
    resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { memory: '128Mi' } },
    envFrom: [{ configMapRef: { name: 'app' }, prefix: 'CFG_' }, { secretRef: { name: 'creds' } }],
    env: [
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'GREETING', value: 'hello $(POD_NAME) at $(KUBERNETES_SERVICE_HOST)' },
      { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'app', key: 'MODE' } } },
      { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
      { name: 'user', value: 'overridden' },
      { name: 'TIER', valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } },
      { name: 'NOTE', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['note']" } } },
      { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
      { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'SA', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
      { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
      { name: 'POD_IPS', valueFrom: { fieldRef: { fieldPath: 'status.podIPs' } } },
      { name: 'CPU_REQ_M', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
      { name: 'CPU_REQ', valueFrom: { resourceFieldRef: { resource: 'requests.cpu' } } },
      { name: 'CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
      { name: 'MEM_LIMIT_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
      { name: 'MEM_REQ', valueFrom: { resourceFieldRef: { resource: 'requests.memory' } } },
      { name: 'EMPTY', value: '' },
    ],
  };
  const pod = makePod({ containers: [c] });
  pod.metadata.labels = { tier: 'backend' };
  pod.metadata.annotations = { note: 'a "quoted" note' };
  pod.spec.serviceAccountName = 'builder';
  pod.spec.containers = [c];
  const { env, warnings } = makeEnvironmentVariables(pod, c, ctx({ services: [kubernetes], podIPs: ['10.244.1.5', 'fd00::5'] }));
  const got = Object.fromEntries(env.map((kv) => [kv.key, kv.value]));
  t.same(got, {
    CFG_MODE: 'fast',
    'CFG_log-level': 'debug',
    password: 's3cret',
    user: 'overridden',
    POD_NAME: 'web',
    GREETING: 'hello web at 10.96.0.1',
    MODE: 'fast',
    PASSWORD: 's3cret',
    TIER: 'backend',
    NOTE: 'a "quoted" note',
    NS: 'default',
    UID: pod.metadata.uid,
    NODE: 'worker1',
    SA: 'builder',
    HOST_IP: '192.168.56.11',
    POD_IPS: '10.244.1.5,fd00::5',
    CPU_REQ_M: '250',
    CPU_REQ: '1',
    CPU_LIMIT: '4',
    MEM_LIMIT_MI: '128',
    MEM_REQ: String(64 * 2 ** 20),
    EMPTY: '',
    KUBERNETES_SERVICE_HOST: '10.96.0.1',
    KUBERNETES_SERVICE_PORT: '443',
    KUBERNETES_SERVICE_PORT_HTTPS: '443',
    KUBERNETES_PORT: 'tcp://10.96.0.1:443',
    KUBERNETES_PORT_443_TCP: 'tcp://10.96.0.1:443',
    KUBERNETES_PORT_443_TCP_PROTO: 'tcp',
    KUBERNETES_PORT_443_TCP_PORT: '443',
    KUBERNETES_PORT_443_TCP_ADDR: '10.96.0.1',
  });
  t.same(env.slice(0, 4).map((kv) => kv.key), ['CFG_MODE', 'CFG_log-level', 'password', 'user'], 'envFrom first, in order; env overrides in place');
  t.same(warnings, ['Keys [CFG_bad=key] from the EnvFrom configMap default/app were skipped since they are considered invalid environment variable names.']);
  t.same(expandCommandAndArgs(c, env), { command: ['sh', '-c', 'echo hello web at 10.96.0.1 from web'], args: ['fast', '$(MODE)', '$(UNSET)'] });
});

t.test('a variable a Service also defines keeps the container\'s value', async (t) => {
  const c: EnvContainer = { name: 'app', image: 'busybox:1.35', env: [{ name: 'KUBERNETES_SERVICE_HOST', value: 'mine' }] };
  const { env } = envOf(c, { services: [kubernetes] });
  t.same(env.filter((kv) => kv.key === 'KUBERNETES_SERVICE_HOST'), [{ key: 'KUBERNETES_SERVICE_HOST', value: 'mine' }]);
});

t.test('missing objects and keys: kubelet\'s messages, unless optional', async (t) => {
  const ref = (kind: 'configMapKeyRef' | 'secretKeyRef', name: string, key: string, optional?: boolean): EnvContainer => ({ name: 'app', image: 'busybox:1.35', env: [{ name: 'X', valueFrom: { [kind]: { name, key, optional } } }] });
  t.throws(() => envOf(ref('configMapKeyRef', 'nope', 'k')), { name: 'ContainerConfigError', message: 'configmap "nope" not found' });
  t.throws(() => envOf(ref('configMapKeyRef', 'app', 'k')), { message: "couldn't find key k in ConfigMap default/app" });
  t.throws(() => envOf(ref('secretKeyRef', 'nope', 'k')), { message: 'secret "nope" not found' });
  t.throws(() => envOf(ref('secretKeyRef', 'creds', 'k')), { message: "couldn't find key k in Secret default/creds" });
  t.same(envOf(ref('configMapKeyRef', 'nope', 'k', true)).env, [], 'optional object missing: no variable');
  t.same(envOf(ref('secretKeyRef', 'creds', 'k', true)).env, [], 'optional key missing: no variable');
  const from = (optional: boolean): EnvContainer => ({ name: 'app', image: 'busybox:1.35', envFrom: [{ secretRef: { name: 'nope', optional } }] });
  t.throws(() => envOf(from(false)), { message: 'secret "nope" not found' });
  t.same(envOf(from(true)).env, []);
  const failing = new Map<string, ConfigMap | Error>([['app', new Error('configmaps "app" is forbidden: no relationship found')]]);
  t.throws(() => envOf(ref('configMapKeyRef', 'app', 'k', true), { configMaps: failing }), { message: 'configmaps "app" is forbidden: no relationship found' }, 'a failed read is not "missing", optional or not');
  t.throws(() => envOf({ name: 'app', image: 'x', env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.bogus' } } }] }), { message: 'unsupported fieldPath: spec.bogus' });
  t.throws(() => envOf({ name: 'app', image: 'x', env: [{ name: 'X', valueFrom: { resourceFieldRef: { resource: 'limits.gpu' } } }] }), { message: 'unsupported container resource : limits.gpu' });
});

t.test('envReferences lists what env and envFrom read; subPathExpr needs every variable', async (t) => {
  const c: EnvContainer = {
    name: 'app',
    image: 'x',
    envFrom: [{ configMapRef: { name: 'a' } }, { secretRef: { name: 's1' } }],
    env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'b', key: 'k' } } }, { name: 'Y', valueFrom: { secretKeyRef: { name: 's1', key: 'k' } } }],
  };
  t.same(envReferences(c), { configMaps: ['a', 'b'], secrets: ['s1'] });
  const env = [{ key: 'POD', value: 'web-0' }, { key: 'EMPTY', value: '' }];
  t.equal(expandSubPathExpr({ name: 'v', mountPath: '/d', subPathExpr: 'logs/$(POD)' }, env), 'logs/web-0');
  t.throws(() => expandSubPathExpr({ name: 'v', mountPath: '/d', subPathExpr: '$(POD)/$(NOPE)/$(EMPTY)' }, env), { message: 'missing value for EMPTY, NOPE' });
});

t.test('labels and annotations as the downward API formats them', async (t) => {
  t.equal(formatMap({ b: 'two', a: 'one "q"', c: 'tab\there\u0001' }), 'a="one \\"q\\""\nb="two"\nc="tab\\there\\x01"');
  t.equal(formatMap(undefined), '');
});
