// The installer's decisions against a scratch root and a fake host (systemctl, apt-get, journalctl and ip answered
// in memory): what a first install writes and starts, that a second one changes nothing, that bad input changes
// nothing, that a failed start is rolled back, and that uninstall leaves the root as it found it.
import t, { type Test } from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { JoinError } from '../../agent/bootstrap.js';
import type { Options } from '../configfile.js';
import { InstallError } from './errors.js';
import type { Host, RunOptions } from './host.js';
import { installAgent, installServer, type InstallDeps } from './install.js';
import { layout, type Layout } from './layout.js';
import { agentRequirements } from './prereqs.js';
import { readRecord } from './record.js';
import { uninstall } from './uninstall.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const HASH = `sha256:${'a'.repeat(64)}`;
const JOIN = { server: 'https://192.0.2.10:6443', token: 'abcdef.0123456789abcdef', 'discovery-token-ca-cert-hash': [HASH] };

const agentOptions: Options = Object.fromEntries(
  ['config', 'node-name', 'node-ip', 'kubeconfig', 'server', 'token', 'data-dir', 'containerd-socket', 'run-containerd', 'images-dir', 'cni-bin-dir', 'cni-conf-dir', 'cgroup-parent', 'register-with-taints', 'sandbox-image', 'proxy-mode'].map((k) => [k, { type: k === 'run-containerd' ? 'boolean' : 'string' }]),
);
agentOptions['discovery-token-ca-cert-hash'] = { type: 'string', multiple: true };
agentOptions['disable-proxy'] = { type: 'boolean' };
const serverOptions: Options = Object.fromEntries(['config', 'data-dir', 'bind-address', 'port', 'advertise-address'].map((k) => [k, { type: 'string' }]));

interface Unit {
  enabled: boolean;
  active: boolean;
}

/** systemd, apt and friends, in memory; commands the host has are those apt "installed" plus a base set. */
class FakeHost implements Host {
  readonly calls: string[] = [];
  readonly said: string[] = [];
  readonly units = new Map<string, Unit>();
  readonly commands = new Set(['systemctl', 'journalctl', 'ip', 'apt-get']);
  aptFails = false;
  failStart?: { unit: string; journal: string[] };
  constructor(readonly root: string) {}

  async run(cmd: string, args: string[], _opts?: RunOptions): Promise<string> {
    this.calls.push([cmd, ...args].join(' '));
    const fail = (msg: string): never => {
      throw new InstallError('INSTALL_COMMAND_FAILED', `${[cmd, ...args].join(' ')}: ${msg}`);
    };
    if (cmd === 'systemctl') {
      const [verb, ...rest] = args.filter((a) => !a.startsWith('--'));
      const name = rest[0];
      const u = () => this.units.get(name) ?? this.units.set(name, { enabled: false, active: false }).get(name)!;
      switch (verb) {
        case 'daemon-reload':
          return '';
        case 'list-unit-files':
          return this.units.has(name) || fs.existsSync(path.join(this.root, 'etc/systemd/system', name)) ? `${name} enabled enabled\n` : '';
        case 'is-enabled':
          return this.units.get(name)?.enabled ? 'enabled' : fail('disabled');
        case 'is-active':
          return this.units.get(name)?.active ? 'active' : fail('inactive');
        case 'enable':
          u().enabled = true;
          return '';
        case 'disable':
          u().enabled = false;
          return '';
        case 'start':
        case 'restart':
          if (this.failStart?.unit === name) fail(`Job for ${name} failed because the control process exited with error code.`);
          u().active = true;
          return '';
        case 'stop':
          u().active = false;
          return '';
      }
      return '';
    }
    if (cmd === 'journalctl') return (this.failStart?.journal ?? []).join('\n');
    if (cmd === 'apt-get') {
      if (args[0] === 'update') return '';
      if (this.aptFails) fail('E: Unable to locate package containerd');
      // Debian's containerd package enables and starts its unit.
      for (const r of agentRequirements) {
        if (r.what.startsWith('/')) {
          fs.mkdirSync(path.dirname(path.join(this.root, r.what)), { recursive: true });
          fs.writeFileSync(path.join(this.root, r.what), '#!/bin/sh\n', { mode: 0o755 });
        } else this.commands.add(r.what);
      }
      this.units.set('containerd.service', { enabled: true, active: true });
      return '';
    }
    if (cmd === 'ip' && args.join(' ').startsWith('-j route get')) return JSON.stringify([{ dst: args[3], prefsrc: '192.0.2.11' }]);
    if (cmd === 'ip') return fail('Cannot find device');
    // No rules of ours are there to delete.
    if (cmd === 'iptables' && (args.includes('-D') || args.includes('-C'))) return fail('Bad rule (does a matching rule exist in that chain?).');
    return '';
  }

  which(cmd: string) {
    return this.commands.has(cmd) ? `/usr/bin/${cmd}` : undefined;
  }

  say(line: string) {
    this.said.push(line);
  }

  isRoot() {
    return true;
  }

  /** The calls that change units' states. */
  unitChanges(): string[] {
    return this.calls.filter((c) => /^systemctl (enable|disable|start|restart|stop)/.test(c));
  }
}

/** A product source: a built tree with tests, dev and production packages, units and images. */
function makeSource(dir: string): string {
  const w = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  };
  w('package.json', '{"name":"kubets","version":"0.1.0"}');
  w('package-lock.json', JSON.stringify({ packages: { '': {}, 'node_modules/better-sqlite3': {}, 'node_modules/netlink': {}, 'node_modules/tap': { dev: true } } }));
  w('dist/cli/kubets.js', '// entry\n');
  w('dist/cli/kubets.test.js', '// a test\n');
  w('dist/test/e2e.js', '// an e2e helper\n');
  w('dist/images/pause.tar', 'pause image');
  w('agent/kubelet/cri/api.proto', 'syntax = "proto3";\n');
  w('agent/kubelet/cri/client.ts', '// source, not product\n');
  for (const m of ['better-sqlite3', 'netlink']) w(`node_modules/${m}/index.js`, 'module.exports = {};\n');
  w('node_modules/tap/index.js', 'module.exports = {};\n');
  fs.cpSync(path.join(repo, 'systemd'), path.join(dir, 'systemd'), { recursive: true });
  return dir;
}

interface Env {
  root: string;
  l: Layout;
  host: FakeHost;
  deps: InstallDeps;
  discovered: string[];
}

function env(t: Test, o: { discover?: (server: string) => Promise<string> } = {}): Env {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-install-'));
  t.teardown(() => fs.rmSync(base, { recursive: true, force: true }));
  const root = path.join(base, 'root');
  // A Debian host's directories, systemd running.
  for (const d of ['run/systemd/system', 'etc/systemd/system', 'var/lib', 'var/log', 'usr/local/bin', 'opt']) fs.mkdirSync(path.join(root, d), { recursive: true });
  const l = layout(root);
  const host = new FakeHost(root);
  const discovered: string[] = [];
  const deps: InstallDeps = {
    host,
    layout: l,
    source: { dir: makeSource(path.join(base, 'src')), node: process.execPath },
    options: { server: serverOptions, agent: agentOptions },
    validate: async () => {},
    discover: async (j) => (discovered.push(j.server), o.discover ? o.discover(j.server) : 'CA'),
    buildImages: async () => {
      throw new Error('not expected');
    },
  };
  return { root, l, host, deps, discovered };
}

/** The paths whose content differs between two snapshots (a short list to read, instead of two trees). */
function changed(a: Record<string, string>, b: Record<string, string>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]).sort();
}

/** Every file and link under root, with its content (links as "-> target"). */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const rel = path.relative(root, p);
      if (e.isSymbolicLink()) out[rel] = `-> ${fs.readlinkSync(p)}`;
      else if (e.isDirectory()) {
        out[`${rel}/`] = '';
        walk(p);
      } else out[rel] = rel.endsWith('bin/node') ? `${fs.statSync(p).size} bytes` : fs.readFileSync(p, 'utf8');
    }
  };
  walk(root);
  return out;
}

t.test('a first agent install: packages, program, config, containerd, units, started in order', async (t) => {
  const { root, l, host, deps } = env(t);
  const r = await installAgent(deps, { ...JOIN, 'node-name': 'worker1' });
  t.same(r, { nodeName: 'worker1', nodeIP: '192.0.2.11' }, 'the node IP is the address this host reaches the server from');
  t.ok(host.calls.includes('ip -j route get 192.0.2.10'));
  t.match(host.calls.find((c) => c.startsWith('apt-get install')), /^apt-get install -y -q --no-install-recommends containerd runc containernetworking-plugins iptables nftables conntrack$/, 'only what is missing (ip is there)');

  const agent = parseYaml(fs.readFileSync(l.agentConfig, 'utf8'));
  t.same(agent, {
    'node-name': 'worker1',
    'node-ip': '192.0.2.11',
    server: 'https://192.0.2.10:6443',
    token: 'abcdef.0123456789abcdef',
    'discovery-token-ca-cert-hash': [HASH],
    'data-dir': '/var/lib/kubets/agent',
    'containerd-socket': '/run/containerd/containerd.sock',
    'images-dir': '/var/lib/kubets/agent/images',
    'cni-conf-dir': '/etc/cni/net.d',
    'cgroup-parent': '/kubepods',
  });
  t.equal(fs.statSync(l.agentConfig).mode & 0o777, 0o600, 'the token is readable by root only');
  t.match(fs.readFileSync(l.agentConfig, 'utf8'), /^# kubets agent settings: keys are `kubets agent` flags/);

  const toml = fs.readFileSync(l.containerdConfig, 'utf8');
  t.match(toml, /^root = "\/var\/lib\/containerd"$/m);
  t.match(toml, /^state = "\/run\/containerd"$/m);
  t.match(toml, /\[grpc\]\n {2}address = "\/run\/containerd\/containerd.sock"/);
  t.match(toml, /conf_dir = "\/etc\/cni\/net.d"/);
  t.match(toml, /restrict_oom_score_adj = true/);
  t.match(fs.readFileSync(l.units.containerdDropIn, 'utf8'), /^ExecStart=\nExecStart=\/usr\/bin\/containerd --config \/etc\/kubets\/containerd.toml$/m);

  const files = Object.keys(snapshot(l.opt)).sort();
  t.ok(files.includes('dist/cli/kubets.js') && files.includes('bin/node') && files.includes('node_modules/better-sqlite3/index.js') && files.includes('agent/kubelet/cri/api.proto') && files.includes('systemd/kubets-agent.service') && files.includes('dist/images/pause.tar'), 'the program, its Node, production packages, protos, units, images');
  t.same(files.filter((f) => /test|tap|client\.ts/.test(f)), [], 'no tests, no dev packages, no sources');
  t.equal(fs.readFileSync(l.wrapper, 'utf8'), '#!/bin/sh\n# kubets, installed by `kubets install` (removed by `kubets uninstall`): the program under /opt/kubets, run by its own Node.\nexec /opt/kubets/bin/node /opt/kubets/dist/cli/kubets.js "$@"\n');
  t.equal(fs.readFileSync(path.join(l.images, 'pause.tar'), 'utf8'), 'pause image');
  t.equal(fs.readlinkSync(l.podLogs), '/var/lib/kubets/agent/pods', '/var/log/pods shows the pod logs');
  for (const u of ['kubets-agent.service', 'kubets-node-shutdown.service']) t.equal(fs.readFileSync(path.join(l.unitDir, u), 'utf8'), fs.readFileSync(path.join(repo, 'systemd', u), 'utf8'), `${u} installed as shipped`);
  t.same(host.unitChanges(), ['systemctl restart containerd.service', 'systemctl enable --quiet kubets-node-shutdown.service', 'systemctl start kubets-node-shutdown.service', 'systemctl enable --quiet kubets-agent.service', 'systemctl start kubets-agent.service'], 'containerd picks up its config, then the units start');
  const record = readRecord(l.record)!;
  t.same(record.components, ['agent']);
  t.same(record.packages, ['containerd', 'runc', 'containernetworking-plugins', 'iptables', 'nftables', 'conntrack']);
  t.same(record.containerd, { unitExisted: false, enabled: false, active: false }, 'containerd as it was found');
  t.ok(fs.existsSync(root));
});

t.test('installing again with the same settings changes nothing; other settings stop it with one line', async (t) => {
  const { root, host, deps, discovered } = env(t);
  await installAgent(deps, { ...JOIN, 'node-name': 'worker1', 'node-ip': '192.0.2.11' });
  // The node has joined: its kubeconfig exists.
  fs.writeFileSync(path.join(root, 'var/lib/kubets/agent/kubelet.kubeconfig'), 'joined');
  const before = snapshot(root);
  const calls = host.calls.length;
  await installAgent(deps, { ...JOIN, token: 'zzzzzz.0123456789abcdef', 'node-name': 'worker1', 'node-ip': '192.0.2.11' });
  t.same(changed(snapshot(root), before), [], 'no file changed (a new join token means nothing to a node that has joined)');
  t.same(host.calls.slice(calls).filter((c) => /^systemctl (enable|start|restart|stop)|^apt-get/.test(c)), [], 'nothing installed, started or restarted');
  t.same(discovered, ['https://192.0.2.10:6443'], 'a joined node does not ask the server again');

  const err = await installAgent(deps, { ...JOIN, 'node-name': 'worker1', 'node-ip': '192.0.2.99' }).catch((e) => e);
  t.ok(err instanceof InstallError);
  t.equal(err.code, 'INSTALL_CONFLICT');
  t.equal(err.message.split('\n').length, 1, 'one line');
  t.match(err.message, /^kubets agent is already installed on this host with other settings \(node-ip 192\.0\.2\.11 → 192\.0\.2\.99\): run `kubets uninstall` first, or edit .*agent\.yaml and run `systemctl restart kubets-agent\.service`$/);
  t.same(changed(snapshot(root), before), [], 'still nothing changed');
});

t.test('joining a cluster that runs kube-proxy as a DaemonSet: the agent runs none of its own', async (t) => {
  const { l, host, deps } = env(t);
  const asked: string[] = [];
  deps.kubeProxyDaemonSet = async (j, ca) => (asked.push(`${j.server} ${j.token} ${ca}`), true);
  await installAgent(deps, { ...JOIN, 'node-name': 'worker1' });
  t.same(asked, ['https://192.0.2.10:6443 abcdef.0123456789abcdef CA'], 'asked with the join token and the discovered CA');
  t.equal(parseYaml(fs.readFileSync(l.agentConfig, 'utf8'))['disable-proxy'], true);
  t.ok(host.said.some((m) => /the cluster runs kube-proxy as a DaemonSet/.test(m)));
});

t.test('joining that cluster with a proxy mode of its own: the agent runs kube-proxy in that mode', async (t) => {
  const { l, host, deps } = env(t);
  deps.kubeProxyDaemonSet = async () => true;
  await installAgent(deps, { ...JOIN, 'node-name': 'worker1', 'proxy-mode': 'ipvs' });
  const agent = parseYaml(fs.readFileSync(l.agentConfig, 'utf8'));
  t.equal(agent['disable-proxy'], undefined, 'its kube-proxy is not disabled');
  t.equal(agent['proxy-mode'], 'ipvs');
  t.ok(host.said.some((m) => m === '[join] the cluster runs kube-proxy as a DaemonSet; this node runs its own in ipvs mode, and the DaemonSet stays off it'));
});

t.test('a node given its kubeconfig (the master\'s kubelet.conf) installs without join credentials', async (t) => {
  const { root, l, deps, discovered } = env(t);
  fs.mkdirSync(path.join(root, 'etc/kubernetes'), { recursive: true });
  fs.writeFileSync(path.join(root, 'etc/kubernetes/kubelet.conf'), 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://192.0.2.10:6443", certificate-authority-data: Q0E=}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n');
  const r = await installAgent(deps, { kubeconfig: '/etc/kubernetes/kubelet.conf', 'node-name': 'master', 'node-ip': '192.0.2.10', 'disable-proxy': true });
  t.same(r, { nodeName: 'master', nodeIP: '192.0.2.10' });
  t.same(discovered, [], 'no discovery: the credentials are there');
  const agent = parseYaml(fs.readFileSync(l.agentConfig, 'utf8'));
  t.equal(agent.kubeconfig, '/etc/kubernetes/kubelet.conf');
  t.equal(agent.token, undefined);
  const err = await installAgent(deps, { kubeconfig: '/etc/kubernetes/missing.conf', 'node-name': 'm2' }).catch((e) => e);
  t.match(err.message, /^an agent joins a cluster: pass --server/, 'a kubeconfig that is not there is no credential');
});

t.test('bad input stops before the host changes: one line, nothing made', async (t) => {
  const cases: { name: string; flags: Record<string, unknown>; discover?: (s: string) => Promise<string>; code: string; message: RegExp; aptFails?: boolean; noApt?: boolean }[] = [
    {
      name: 'wrong CA hash',
      flags: JOIN,
      discover: async () => {
        throw new JoinError(`the cluster CA's public key hash is sha256:${'b'.repeat(64)}, which is not the --discovery-token-ca-cert-hash given (${HASH}): check the join command, or this is not the cluster you meant`);
      },
      code: 'INSTALL_JOIN',
      message: /^the cluster CA's public key hash is sha256:b{64}, which is not the --discovery-token-ca-cert-hash given/,
    },
    {
      name: 'unreachable server',
      flags: JOIN,
      discover: async (s) => {
        throw new JoinError(`could not read cluster-info from ${s}: ECONNREFUSED — is the control plane running and reachable from this host?`);
      },
      code: 'INSTALL_JOIN',
      message: /ECONNREFUSED — is the control plane running/,
    },
    { name: 'no token', flags: { server: JOIN.server }, code: 'INSTALL_BAD_INPUT', message: /^an agent joins a cluster: pass --server/ },
    { name: 'not https', flags: { ...JOIN, server: 'http://192.0.2.10:6443' }, code: 'INSTALL_BAD_INPUT', message: /--server "http:\/\/192\.0\.2\.10:6443": want https:\/\/HOST:PORT/ },
    { name: 'run-containerd', flags: { ...JOIN, 'run-containerd': true }, code: 'INSTALL_BAD_INPUT', message: /an installed agent uses the host's containerd service/ },
    { name: 'missing prerequisite, no apt', flags: JOIN, noApt: true, code: 'INSTALL_PREREQUISITE', message: /^missing containerd \(containerd\), .* and this host has no apt-get: install containerd runc containernetworking-plugins iptables nftables conntrack and run again$/ },
    { name: 'missing prerequisite, apt cannot get it', flags: JOIN, aptFails: true, code: 'INSTALL_PREREQUISITE', message: /^could not install containerd .*: E: Unable to locate package containerd; install them and run again$/ },
  ];
  for (const c of cases) {
    await t.test(c.name, async (t) => {
      const { root, host, deps } = env(t, { discover: c.discover });
      host.aptFails = !!c.aptFails;
      if (c.noApt) host.commands.delete('apt-get');
      const before = snapshot(root);
      const err = await installAgent(deps, c.flags as never).catch((e) => e);
      t.ok(err instanceof InstallError, String(err));
      t.equal(err.code, c.code);
      t.match(err.message, c.message);
      t.equal(err.message.split('\n').length, 1, 'one line');
      t.same(changed(snapshot(root), before), [], 'nothing left on the host');
      t.same(host.unitChanges(), [], 'no unit touched');
    });
  }
});

t.test('a start that fails says why in one line and removes what the install made', async (t) => {
  const { root, host, deps } = env(t);
  const before = snapshot(root);
  host.failStart = { unit: 'kubets-agent.service', journal: ['Starting kubets-agent.service...', '{"level":50,"msg":"something"}', 'kubets agent: agent start-up failed at "check proxy mode": ipvs is not available', 'kubets-agent.service: Failed with result \'exit-code\'.'] };
  const err = await installAgent(deps, JOIN).catch((e) => e);
  t.equal(err.code, 'INSTALL_START_FAILED');
  t.equal(err.message, 'kubets-agent.service did not start: agent start-up failed at "check proxy mode": ipvs is not available (see journalctl -u kubets-agent.service)');
  const after = snapshot(root);
  // The Debian packages stay (apt's files are not ours); every file of ours is gone.
  t.same(changed(Object.fromEntries(Object.entries(after).filter(([f]) => !f.startsWith('usr/lib'))), before), [], 'the install was rolled back');
  t.ok(host.unitChanges().includes('systemctl disable --quiet kubets-agent.service'));
});

t.test('uninstall removes everything, puts back the kubets command it replaced, and stops the containerd it brought', async (t) => {
  const { root, l, host, deps } = env(t);
  fs.writeFileSync(l.wrapper, '#!/bin/sh\nexec node /src/kubets/dist/cli/kubets.js "$@"\n', { mode: 0o755 });
  const before = snapshot(root);
  await installServer(deps, { 'advertise-address': '192.0.2.10' }).catch((e) => e);
  await installAgent(deps, JOIN);
  t.match(fs.readFileSync(l.wrapper, 'utf8'), /installed by `kubets install`/);
  fs.writeFileSync(path.join(l.agentData, 'pods', 'some.log'), 'log');
  const report = await uninstall(host, l);
  t.same(changed(Object.fromEntries(Object.entries(snapshot(root)).filter(([f]) => !f.startsWith('usr/lib'))), before), [], 'the root is as it was (but for Debian\'s packages)');
  t.equal(fs.readFileSync(l.wrapper, 'utf8'), '#!/bin/sh\nexec node /src/kubets/dist/cli/kubets.js "$@"\n', 'the kubets command that was there is back');
  t.same(host.units.get('containerd.service'), { enabled: false, active: false }, 'containerd, which the install brought, is stopped and disabled');
  t.match(report.notes.join('\n'), /Debian packages installed for kubets were kept: containerd runc .* \(remove them with apt-get purge/);
  const again = await uninstall(host, l);
  t.same(again.removed, [], 'a second uninstall finds nothing to do');
});
