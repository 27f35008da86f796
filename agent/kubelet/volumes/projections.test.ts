import t from 'tap';
import { makePod } from '../../../test/fixtures/kubelet.js';
import type { Payload } from './atomicwriter.js';
import { configMapPayload, secretPayload, volumePayload, volumeReferences, type ProjectionInputs } from './projections.js';
import type { ConfigMap, Secret, Volume } from './types.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
/** A payload as path → [text, octal mode], for readable assertions. */
const show = (p: Payload) => Object.fromEntries([...p].map(([k, f]) => [k, [f.data.toString('utf8'), f.mode.toString(8)]]));

const cm: ConfigMap = { data: { 'app.conf': 'debug=true\n', greeting: 'hello' }, binaryData: { 'logo.bin': b64('\x00\x01') } };
const secret: Secret = { data: { password: b64('s3cret'), 'tls.key': b64('KEY') } };

function inputs(over: Partial<ProjectionInputs> = {}): ProjectionInputs {
  return {
    configMaps: new Map<string, ConfigMap | undefined>([['app', cm], ['kube-root-ca.crt', { data: { 'ca.crt': 'CA PEM' } }]]),
    secrets: new Map<string, Secret | undefined>([['creds', secret]]),
    tokens: new Map([['token', 'eyJ.token']]),
    allocatable: { cpu: 2, memory: 2 ** 30 },
    ...over,
  };
}

t.test('configMap and secret payloads: every key, or the chosen items with their modes', async (t) => {
  t.same(show(configMapPayload(cm, undefined, 0o644, false)), { 'app.conf': ['debug=true\n', '644'], greeting: ['hello', '644'], 'logo.bin': ['\x00\x01', '644'] });
  t.same(show(configMapPayload(cm, [{ key: 'greeting', path: 'etc/hello.txt', mode: 0o400 }, { key: 'app.conf', path: 'app.conf' }], 0o600, false)), { 'etc/hello.txt': ['hello', '400'], 'app.conf': ['debug=true\n', '600'] });
  t.throws(() => configMapPayload(cm, [{ key: 'nope', path: 'x' }], 0o644, false), { message: 'configmap references non-existent config key: nope' });
  t.same(show(configMapPayload(cm, [{ key: 'nope', path: 'x' }], 0o644, true)), {}, 'optional: a missing key is skipped');
  t.same(show(secretPayload(secret, undefined, 0o400, false)), { password: ['s3cret', '400'], 'tls.key': ['KEY', '400'] });
  t.throws(() => secretPayload(secret, [{ key: 'nope', path: 'x' }], 0o644, false), { message: 'references non-existent secret key: nope' });
});

t.test('a volume whose object is missing: not found unless optional, then empty', async (t) => {
  const pod = makePod();
  t.throws(() => volumePayload({ name: 'v', configMap: { name: 'missing' } }, pod, inputs()), { name: 'ProjectionError', message: 'configmap "missing" not found' });
  t.throws(() => volumePayload({ name: 'v', secret: { secretName: 'missing' } }, pod, inputs()), { message: 'secret "missing" not found' });
  t.same(show(volumePayload({ name: 'v', configMap: { name: 'missing', optional: true } }, pod, inputs())), {});
  t.same(show(volumePayload({ name: 'v', secret: { secretName: 'creds', defaultMode: 0o440, items: [{ key: 'password', path: 'pw' }] } }, pod, inputs())), { pw: ['s3cret', '440'] });
  const forbidden = new Map<string, ConfigMap | Error>([['app', new Error('configmaps "app" is forbidden')]]);
  t.throws(() => volumePayload({ name: 'v', configMap: { name: 'app', optional: true } }, pod, inputs({ configMaps: forbidden })), { message: 'configmaps "app" is forbidden' });
});

t.test('downwardAPI: metadata fields and resources; labels as key="value" lines', async (t) => {
  const pod = makePod({ containers: [{ name: 'app', image: 'busybox:1.35', resources: { limits: { memory: '64Mi' }, requests: { cpu: '100m' } } }] });
  pod.metadata.labels = { tier: 'web', app: 'shop' };
  pod.metadata.annotations = { 'build.id': '42' };
  const v: Volume = {
    name: 'info',
    downwardAPI: {
      defaultMode: 0o444,
      items: [
        { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
        { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
        { path: './meta/name', fieldRef: { fieldPath: 'metadata.name' } },
        { path: 'tier', fieldRef: { fieldPath: "metadata.labels['tier']" }, mode: 0o400 },
        { path: 'mem_limit', resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' } },
        { path: 'cpu_limit', resourceFieldRef: { containerName: 'app', resource: 'limits.cpu', divisor: '1m' } },
        { path: 'cpu_request', resourceFieldRef: { containerName: 'app', resource: 'requests.cpu', divisor: '1m' } },
      ],
    },
  };
  t.same(show(volumePayload(v, pod, inputs())), {
    labels: ['app="shop"\ntier="web"', '444'],
    annotations: ['build.id="42"', '444'],
    'meta/name': ['web', '444'],
    tier: ['web', '400'],
    mem_limit: ['64', '444'],
    cpu_limit: ['2000', '444'],
    cpu_request: ['100', '444'],
  });
  const bad: Volume = { name: 'info', downwardAPI: { items: [{ path: 'a', fieldRef: { fieldPath: 'spec.nodeName' } }, { path: 'b', resourceFieldRef: { containerName: 'nope', resource: 'limits.cpu' } }] } };
  t.throws(() => volumePayload(bad, pod, inputs()), { message: '[unsupported fieldPath: spec.nodeName, container nope not found]' });
});

t.test('projected: the kube-api-access volume, and errors of several sources together', async (t) => {
  const pod = makePod();
  pod.metadata.namespace = 'shop';
  const apiAccess: Volume = {
    name: 'kube-api-access-x2k9p',
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    },
  };
  t.same(volumeReferences(apiAccess), { configMaps: ['kube-root-ca.crt'], secrets: [], tokens: [{ expirationSeconds: 3607, path: 'token' }] });
  t.same(show(volumePayload(apiAccess, pod, inputs())), { token: ['eyJ.token', '644'], 'ca.crt': ['CA PEM', '644'], namespace: ['shop', '644'] });
  const mixed: Volume = { name: 'all', projected: { sources: [{ secret: { name: 'creds', items: [{ key: 'password', path: 'pw', mode: 0o400 }] } }, { configMap: { name: 'app', items: [{ key: 'greeting', path: 'greeting' }] } }] } };
  t.same(show(volumePayload(mixed, pod, inputs())), { pw: ['s3cret', '400'], greeting: ['hello', '644'] });
  const broken: Volume = { name: 'all', projected: { sources: [{ secret: { name: 'gone' } }, { configMap: { name: 'gone-too', optional: true } }, { serviceAccountToken: { path: 'token' } }] } };
  t.throws(() => volumePayload(broken, pod, inputs({ tokens: new Map([['token', new Error('failed to fetch token: serviceaccounts "default" is forbidden')]]) })), {
    message: '[secret "gone" not found, failed to fetch token: serviceaccounts "default" is forbidden]',
  });
});
