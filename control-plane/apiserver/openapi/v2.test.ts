// /openapi/v2 as clients read it, against a running `kubets server`: the Swagger document in JSON and in gnostic's
// protobuf encoding with its ETag, and the real kubectl 1.32 validating a `kind: List` file with it, strict field
// validation, `kubectl diff` and `kubectl apply --prune`.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, type TestServer } from '../../../test/server-fixture.js';
import { Reader, WireType } from '../protobuf/wire.js';

let srv: TestServer;
let cacheDir: string;
t.before(async () => {
  srv = await startServer({ args: ['--disable-controllers'] });
  cacheDir = path.join(srv.dir, 'kube-cache');
});
t.teardown(() => srv?.destroy());

const kubectl = (args: string[], input?: string) => srv.kubectl(['--cache-dir', cacheDir, ...args], { input });

/** The top-level fields of a protobuf message, by number: each length-delimited value's bytes. */
function fields(buf: Uint8Array): Map<number, Uint8Array[]> {
  const out = new Map<number, Uint8Array[]>();
  const r = new Reader(buf);
  while (!r.done) {
    const tag = r.tag();
    if (tag.wireType !== WireType.Bytes) {
      r.skip(tag.wireType);
      continue;
    }
    const v = r.bytes();
    out.set(tag.field, [...(out.get(tag.field) ?? []), v]);
  }
  return out;
}
const text = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString('utf8');

t.test('GET /openapi/v2 as JSON: definitions named as upstream, with their group-version-kinds, and the served paths', async (t) => {
  const doc = (await srv.client.request('GET', '/openapi/v2')) as {
    swagger: string;
    paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; 'x-kubernetes-group-version-kind'?: unknown; consumes?: string[] }>>;
    definitions: Record<string, { 'x-kubernetes-group-version-kind'?: unknown; properties?: Record<string, { $ref?: string }> }>;
  };
  t.equal(doc.swagger, '2.0');
  t.same(doc.definitions['io.k8s.api.core.v1.Pod']['x-kubernetes-group-version-kind'], [{ group: '', version: 'v1', kind: 'Pod' }]);
  t.same(doc.definitions['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind'], [{ group: 'apps', version: 'v1', kind: 'Deployment' }]);
  t.equal(doc.definitions['io.k8s.api.core.v1.Pod'].properties?.metadata.$ref, '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
  t.notMatch(JSON.stringify(doc), /#\/components\/schemas/, 'no v3 references left');
  const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
  t.same(patch['x-kubernetes-group-version-kind'], { group: 'apps', version: 'v1', kind: 'Deployment' });
  t.ok(patch.parameters?.some((p) => p.name === 'fieldValidation' && p.in === 'query'));
  t.ok(patch.parameters?.some((p) => p.name === 'body' && p.in === 'body'));
  t.ok(patch.consumes?.includes('application/strategic-merge-patch+json'));
  t.ok(doc.paths['/api/v1/namespaces/{namespace}/pods'].get, 'pods are listed');
});

t.test('GET /openapi/v2 as protobuf: a gnostic Document, with an ETag that answers 304', async (t) => {
  const get = (headers: Record<string, string>) => srv.client.raw('GET', '/openapi/v2', undefined, headers);
  const r = await get({ accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' });
  t.equal(r.status, 200);
  t.equal(r.headers['content-type'], 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
  const etag = r.headers.etag as string;
  t.match(etag, /^"[0-9A-F]{128}"$/);
  const doc = fields(r.body);
  t.equal(text(doc.get(1)?.[0]), '2.0', 'swagger = 1');
  const definitions = fields(doc.get(9)![0]).get(1)!.map((named) => text(fields(named).get(1)?.[0]));
  t.ok(definitions.includes('io.k8s.api.core.v1.Pod'), 'definitions = 9 name the Pod');
  const paths = fields(doc.get(8)![0]).get(2)!.map((named) => text(fields(named).get(1)?.[0]));
  t.ok(paths.includes('/api/v1/namespaces/{namespace}/pods/{name}'), 'paths = 8 hold the pod path');
  const again = await get({ accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf', 'if-none-match': etag });
  t.equal(again.status, 304);
});

const list = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: listed-a
  data:
    k: v
- apiVersion: v1
  kind: Service
  metadata:
    name: listed-svc
  spec:
    ports:
    - port: 80
      targetPort: 8080
`;

t.test('kubectl apply -f of a kind: List validates each item against /openapi/v2 and applies them', async (t) => {
  const r = await kubectl(['apply', '-f', '-'], list);
  t.equal(r.exitCode, 0, r.stderr);
  t.match(r.stdout, /configmap\/listed-a created/);
  t.match(r.stdout, /service\/listed-svc created/);
  // An unknown field inside a List item is caught by the same client-side validation.
  const bad = await kubectl(['apply', '-f', '-'], list.replace('  data:\n', '  dataa:\n'));
  t.not(bad.exitCode, 0);
  t.match(bad.stderr, /unknown field "dataa"/);
});

t.test('kubectl apply --validate=strict rejects an unknown field through the server', async (t) => {
  const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: strict-cm\nbogus: 1\ndata:\n  k: v\n';
  const r = await kubectl(['apply', '--validate=strict', '-f', '-'], cm);
  t.not(r.exitCode, 0);
  t.match(r.stderr, /strict decoding error: unknown field "bogus"/);
  const lax = await kubectl(['apply', '--validate=false', '-f', '-'], cm);
  t.equal(lax.exitCode, 0, lax.stderr);
});

t.test('kubectl diff -f shows what applying would change, and changes nothing', async (t) => {
  const cm = (v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: diffed\ndata:\n  k: ${v}\n`;
  t.equal((await kubectl(['apply', '-f', '-'], cm('one'))).exitCode, 0);
  const same = await kubectl(['diff', '-f', '-'], cm('one'));
  t.equal(same.exitCode, 0, `no differences: ${same.stderr}`);
  t.equal(same.stdout, '');
  const changed = await kubectl(['diff', '-f', '-'], cm('two'));
  t.equal(changed.exitCode, 1, `differences found: ${changed.stderr}`);
  t.match(changed.stdout, /^-\s+k: one$/m);
  t.match(changed.stdout, /^\+\s+k: two$/m);
  const live = await kubectl(['get', 'configmap', 'diffed', '-o', 'jsonpath={.data.k}']);
  t.equal(live.stdout, 'one', 'the dry run persisted nothing');
});

// With kubectl's default allowlist prune looks up every kind on it (PersistentVolumeClaim, ReplicationController…);
// the allowlist here keeps the test to ConfigMaps.
t.test('kubectl apply --prune -l deletes the labelled objects no longer in the files', async (t) => {
  const dir = fs.mkdtempSync(path.join(srv.dir, 'prune-'));
  const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  labels:\n    app: pruned\ndata:\n  k: v\n`;
  fs.writeFileSync(path.join(dir, 'a.yaml'), cm('prune-a'));
  fs.writeFileSync(path.join(dir, 'b.yaml'), cm('prune-b'));
  const first = await kubectl(['apply', '--prune', '-l', 'app=pruned', '--prune-allowlist=core/v1/ConfigMap', '-f', dir]);
  t.equal(first.exitCode, 0, first.stderr);
  fs.rmSync(path.join(dir, 'b.yaml'));
  const second = await kubectl(['apply', '--prune', '-l', 'app=pruned', '--prune-allowlist=core/v1/ConfigMap', '-f', dir]);
  t.equal(second.exitCode, 0, second.stderr);
  t.match(second.stdout, /configmap\/prune-b pruned/);
  const left = await kubectl(['get', 'configmaps', '-l', 'app=pruned', '-o', 'name']);
  t.equal(left.stdout.trim(), 'configmap/prune-a');
});
