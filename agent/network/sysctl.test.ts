// The node's sysctls against a scratch /proc/sys tree: values written only where they differ, a missing net.bridge key
// loads br_netfilter first, and a module that does not load stops start-up naming both.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import type * as Tap from 'tap';
import { applySysctls } from './sysctl.js';

const settings = { 'net.ipv4.ip_forward': '1', 'net.bridge.bridge-nf-call-iptables': '1' };

function procTree(t: Tap.Test, files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-sysctl-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  for (const [key, value] of Object.entries(files)) write(root, key, value);
  return root;
}
function write(root: string, key: string, value: string) {
  const file = path.join(root, 'proc/sys', ...key.split('.'));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${value}\n`);
}
const read = (root: string, key: string) => fs.readFileSync(path.join(root, 'proc/sys', ...key.split('.')), 'utf8').trim();

t.test('only differing values are written; present keys load no module', async (t) => {
  const root = procTree(t, { 'net.ipv4.ip_forward': '0', 'net.bridge.bridge-nf-call-iptables': '1' });
  const loaded: string[] = [];
  const changed = await applySysctls(settings, root, async (m) => (loaded.push(m), true));
  t.same(changed, ['net.ipv4.ip_forward']);
  t.equal(read(root, 'net.ipv4.ip_forward'), '1');
  t.same(loaded, []);
});

t.test('a missing net.bridge key loads br_netfilter, then is set', async (t) => {
  const root = procTree(t, { 'net.ipv4.ip_forward': '1' });
  const loaded: string[] = [];
  const changed = await applySysctls(settings, root, async (m) => {
    loaded.push(m);
    write(root, 'net.bridge.bridge-nf-call-iptables', '0');
    return true;
  });
  t.same(loaded, ['br_netfilter']);
  t.same(changed, ['net.bridge.bridge-nf-call-iptables']);
  t.equal(read(root, 'net.bridge.bridge-nf-call-iptables'), '1');
});

t.test('a module that does not load: the error names the key and the module', async (t) => {
  const root = procTree(t, { 'net.ipv4.ip_forward': '1' });
  await t.rejects(applySysctls(settings, root, async () => false), /^sysctl net\.bridge\.bridge-nf-call-iptables is not available \(kernel module br_netfilter did not load\): ENOENT/);
});

t.test('a missing key with no module to load fails at once', async (t) => {
  const root = procTree(t, {});
  const loaded: string[] = [];
  await t.rejects(applySysctls({ 'net.ipv4.ip_forward': '1' }, root, async (m) => (loaded.push(m), true)), /^sysctl net\.ipv4\.ip_forward is not available: ENOENT/);
  t.same(loaded, []);
});
