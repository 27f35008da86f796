// Builds the lab's network for real, under test-only names and subnet (bridge ktlt<id>, namespaces ktlt-<id>-*, a free
// 192.168.x.0/24, all chosen per run so runs never meet), checks it, and checks that `down` leaves nothing behind —
// after a full run, a half-failed one, and without state.json.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { teardownLab } from './down.js';
import { run } from './exec.js';
import { createNetwork, linkExists, netnsExists } from './netns.js';
import { checkPrerequisites, missingPrerequisites, subnetConflicts } from './prereqs.js';
import { cgroupDirs, isAlive, netnsPids, processStartTime, startDetached } from './processes.js';
import { labPaths, netnsName, vethName, type LabSpec } from './spec.js';
import { newState, readState, StateRecorder } from './state.js';
import { labStatusFor } from './status.js';
import { VAR_LIB_CNI } from './down.js';
import { ensureCniMountPoint, nodeScript, prepareNodeDirs } from './up.js';
import { testLabSpec } from '../test/test-lab-spec.js';
import { until } from '../test/until.js';

const id = randomBytes(2).toString('hex');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ktlt-lab-'));
const base: Omit<LabSpec, 'bridgeIP' | 'nodes'> = { root, bridge: `ktlt${id}`, prefixLength: 24, netnsPrefix: `ktlt-${id}-`, vethPrefix: `kl${id}-`, apiPort: 6443 };

const { spec, ip } = await testLabSpec(base, 100);
const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const ns = (node: string) => netnsName(spec, node);
const paths = labPaths(spec);
const started: number[] = [];

async function ipJSON(args: string[]): Promise<any[]> {
  return JSON.parse((await run('ip', ['-j', ...args])).stdout || '[]');
}

/** Everything of the test lab that still exists on the host. */
async function leftovers(): Promise<string[]> {
  const left: string[] = [];
  for (const n of spec.nodes) {
    if (netnsExists(netnsName(spec, n.name))) left.push(`netns ${netnsName(spec, n.name)}`);
    if (await linkExists(vethName(spec, n.name))) left.push(`link ${vethName(spec, n.name)}`);
    for (const d of cgroupDirs(ns(n.name))) left.push(`cgroup ${d}`);
  }
  if (await linkExists(spec.bridge)) left.push(`bridge ${spec.bridge}`);
  if (fs.existsSync(root)) left.push(root);
  for (const pid of started) if (isAlive(pid)) left.push(`pid ${pid}`);
  return left;
}

/** A process the lab did not record (like containerd or a pod), started in the background. */
function startStray(args: string[]): number {
  const child = spawn(args[0], args.slice(1), { detached: true, stdio: 'ignore' });
  child.unref();
  started.push(child.pid!);
  return child.pid!;
}

const waitFor = (what: string, check: () => boolean | Promise<boolean>) => until(what, check, 10_000, 50);

t.before(async () => {
  const conflicts = await subnetConflicts(spec);
  if (conflicts.length) throw new Error(`test subnet ${ip(0)}/24 is in use on this host: ${conflicts.join('; ')}`);
  t.same(await leftovers().then((l) => l.filter((x) => x !== root)), [], 'no test lab objects exist before the test');
});

// Belt and braces: even if the code under test fails, the host gets its names back.
t.teardown(async () => {
  await teardownLab(spec).catch(() => undefined);
  for (const pid of started) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  for (const n of spec.nodes) {
    await run('ip', ['netns', 'delete', netnsName(spec, n.name)]).catch(() => undefined);
    await run('ip', ['link', 'delete', vethName(spec, n.name)]).catch(() => undefined);
  }
  await run('ip', ['link', 'delete', spec.bridge]).catch(() => undefined);
  fs.rmSync(root, { recursive: true, force: true });
});

t.test('this host has every prerequisite', async (t) => {
  t.same(missingPrerequisites().missing, []);
});

t.test('up builds bridge, namespaces, veths, addresses and routes; down removes all of it', async (t) => {
  const rec = new StateRecorder(paths.state, newState(spec));
  const progress: string[] = [];
  await createNetwork(spec, rec, (m) => progress.push(m));
  t.equal(progress[0], `network: bridge ${spec.bridge} ${ip(1)}/24`);
  t.equal(progress.length, 5, 'one progress line per step');

  const [br] = await ipJSON(['addr', 'show', 'dev', spec.bridge]);
  t.ok(br.flags.includes('UP'), 'bridge is up');
  t.same(br.addr_info.filter((a: any) => a.family === 'inet').map((a: any) => `${a.local}/${a.prefixlen}`), [`${ip(1)}/24`]);

  for (const n of spec.nodes) {
    const ns = netnsName(spec, n.name);
    t.ok(netnsExists(ns), `${ns} exists`);
    const [veth] = await ipJSON(['link', 'show', 'dev', vethName(spec, n.name)]);
    t.equal(veth.master, spec.bridge, `${veth.ifname} is on the bridge`);
    const links = await ipJSON(['-n', ns, 'addr', 'show']);
    t.same(links.map((l: any) => l.ifname).sort(), ['eth0', 'lo'], `${ns} has lo and eth0 only`);
    const eth0 = links.find((l: any) => l.ifname === 'eth0');
    t.ok(eth0.flags.includes('UP'), `${ns} eth0 up`);
    t.same(eth0.addr_info.filter((a: any) => a.family === 'inet').map((a: any) => `${a.local}/${a.prefixlen}`), [`${n.ip}/24`]);
    t.ok(links.find((l: any) => l.ifname === 'lo').flags.includes('UP'), `${ns} lo up`);
    const routes = await ipJSON(['-n', ns, 'route', 'show', 'default']);
    t.same(routes.map((r: any) => `${r.dst} via ${r.gateway} dev ${r.dev}`), [`default via ${ip(1)} dev eth0`]);
  }

  // Node to node across the bridge, and host to node.
  await run('ip', ['netns', 'exec', ns('master'), '/bin/busybox', 'ping', '-c', '1', '-W', '3', ip(13)]);
  await run('ip', ['netns', 'exec', ns('worker2'), '/bin/busybox', 'ping', '-c', '1', '-W', '3', ip(11)]);
  await run('/bin/busybox', ['ping', '-c', '1', '-W', '3', ip(12)]);
  t.pass('nodes reach each other and the host reaches them');

  // Prerequisite checks now see a lab, and see the subnet taken by a bridge that is not the one asked about.
  await t.rejects(checkPrerequisites(spec, { needKubets: false }), { code: 'LAB_ALREADY_UP' });
  const other = { ...spec, bridge: `ktlu${id}`, netnsPrefix: `ktlu-${id}-`, vethPrefix: `ku${id}-`, root: path.join(root, 'other') };
  t.match((await subnetConflicts(other)).join('\n'), new RegExp(escaped(`route ${ip(0)}/24 dev ${spec.bridge}`)));
  await t.rejects(checkPrerequisites(other, { needKubets: false }), { code: 'LAB_SUBNET_IN_USE' });

  // A recorded "agent" in worker1's namespace, and what down must find without a record: a stray in master's
  // namespace (like containerd or a shim) and a "pod" process in worker2's cgroups (own netns in real life).
  const agent = await startDetached(['ip', 'netns', 'exec', ns('worker1'), 'sleep', '600'], paths.node('worker1').agentLog);
  started.push(agent.pid);
  rec.update((s) => s.processes.push({ role: 'agent', node: 'worker1', pid: agent.pid, startTime: agent.startTime, log: paths.node('worker1').agentLog, command: ['sleep'] }));
  const stray = startStray(['ip', 'netns', 'exec', ns('master'), 'sleep', '600']);
  const podCgroups = ['pids', 'memory'].map((h) => `/sys/fs/cgroup/${h}/${ns('worker2')}/pod1/c1`);
  for (const d of podCgroups) fs.mkdirSync(d, { recursive: true });
  const pod = startStray(['sh', '-c', `${podCgroups.map((d) => `echo $$ > ${d}/cgroup.procs`).join(' && ')} && exec sleep 600`]);
  await waitFor('pod process to join its cgroups', () => fs.readFileSync(`${podCgroups[0]}/cgroup.procs`, 'utf8').includes(String(pod)));
  await waitFor('stray to enter its namespace', async () => (await netnsPids(ns('master'))).includes(stray));
  // Mounts below the lab dir, nested (the inner one must go first).
  const mnt = path.join(paths.node('worker3').dir, 'mnt');
  fs.mkdirSync(mnt, { recursive: true });
  await run('mount', ['-t', 'tmpfs', 'ktlt-test', mnt]);
  fs.mkdirSync(path.join(mnt, 'inner dir'));
  await run('mount', ['-t', 'tmpfs', 'ktlt-test', path.join(mnt, 'inner dir')]);

  const st = await labStatusFor(spec);
  t.ok(st.exists);
  t.notOk(st.healthy, 'no API, so not healthy');
  t.same(st.processes.map((p) => [p.node, p.pid, p.alive]), [['worker1', agent.pid, true]]);
  t.same(st.nodes.map((n) => n.netnsExists && n.vethExists), [true, true, true, true]);
  t.equal(st.nodes.find((n) => n.name === 'master')!.processCount, 1);
  t.match(st.summary, new RegExp(escaped(`bridge ${spec.bridge}: present`)));

  const report = await teardownLab(spec);
  t.same(report.left, [], 'down reports nothing left');
  t.match(report.removed.join('\n'), /agent on worker1 \(pid \d+\) stopped/);
  t.match(report.removed.join('\n'), new RegExp(escaped(`cgroups ${ns('worker2')}`)));
  t.match(report.removed.join('\n'), /2 mount\(s\)/);
  t.match(report.removed.join('\n'), new RegExp(escaped(`netns ${ns('master')}`)));
  t.match(report.removed.join('\n'), new RegExp(escaped(`link ${spec.bridge}`)));
  t.same(await leftovers(), [], 'nothing of the lab is left');
  t.notOk(fs.existsSync(podCgroups[0]));

  const again = await teardownLab(spec);
  t.same(again, { removed: [], left: [] }, 'down is idempotent');
  t.notOk((await labStatusFor(spec)).exists, 'status sees no lab');
});

t.test('down after a half-failed up removes exactly what was made', async (t) => {
  // worker2's address is refused by the kernel: its namespace and veth exist, worker3's never do.
  const broken: LabSpec = { ...spec, nodes: spec.nodes.map((n) => (n.name === 'worker2' ? { ...n, ip: ip(300) } : n)) };
  fs.mkdirSync(root, { recursive: true });
  const rec = new StateRecorder(paths.state, newState(broken));
  await t.rejects(createNetwork(broken, rec), { code: 'LAB_COMMAND_FAILED' });
  const state = readState(paths.state)!;
  t.same(state.netns, [ns('master'), ns('worker1'), ns('worker2')]);
  t.ok(netnsExists(ns('worker2')));
  t.notOk(netnsExists(ns('worker3')));

  const report = await teardownLab(spec);
  t.same(report.left, []);
  t.same(await leftovers(), []);
});

t.test('down without state.json falls back to the fixed names and still finds the processes', async (t) => {
  fs.mkdirSync(root, { recursive: true });
  const rec = new StateRecorder(paths.state, newState(spec));
  await createNetwork(spec, rec);
  const agent = await startDetached(['ip', 'netns', 'exec', ns('worker3'), 'sleep', '600'], paths.node('worker3').agentLog);
  started.push(agent.pid);
  t.equal(processStartTime(agent.pid), agent.startTime);
  rec.update((s) => s.processes.push({ role: 'agent', node: 'worker3', pid: agent.pid, startTime: agent.startTime, log: '', command: [] }));
  fs.writeFileSync(paths.state, '{ this is not json');
  t.equal(readState(paths.state), undefined, 'corrupt state reads as none');
  fs.rmSync(paths.state);

  const report = await teardownLab(spec);
  t.same(report.left, []);
  t.notOk(isAlive(agent.pid), 'the agent was found by its namespace and killed');
  t.same(await leftovers(), []);
});

t.test('a node process runs behind a private /run/netns and CNI cache that the host never sees', async (t) => {
  fs.mkdirSync(root, { recursive: true });
  const rec = new StateRecorder(paths.state, newState(spec));
  await createNetwork(spec, rec);
  const hadVarLibCni = fs.existsSync(VAR_LIB_CNI);
  ensureCniMountPoint(rec);
  t.equal(readState(paths.state)!.createdVarLibCni, !hadVarLibCni, 'state records whether /var/lib/cni was made');
  const np = paths.node('worker1');
  prepareNodeDirs(spec, 'worker1');
  fs.writeFileSync(path.join(np.cniCache, 'ktlt-marker'), 'x');
  const script = nodeScript(spec, spec.nodes[1], ['sleep', '600']);
  const p = await startDetached(['ip', 'netns', 'exec', ns('worker1'), 'sh', '-c', script], np.agentLog);
  started.push(p.pid);
  rec.update((s) => s.processes.push({ role: 'agent', node: 'worker1', pid: p.pid, startTime: p.startTime, log: np.agentLog, command: ['sleep'] }));
  // Once sh has exec'ed sleep, both mounts are in place.
  await waitFor('the stand-in agent to start', () => fs.readFileSync(`/proc/${p.pid}/comm`, 'utf8').trim() === 'sleep');
  const inside = fs.readFileSync(`/proc/${p.pid}/mountinfo`, 'utf8');
  t.match(inside, new RegExp(` /run/netns [^\\n]* - tmpfs ${escaped(`${spec.netnsPrefix}netns`)} `), 'tmpfs over /run/netns inside');
  t.match(inside, / \/var\/lib\/cni /, 'CNI cache bound over /var/lib/cni inside');
  t.match(inside, new RegExp(` /etc [^\\n]* - overlay ${escaped(`${spec.netnsPrefix}worker1`)} `), 'the node\'s own /etc over the host\'s');
  t.match(inside, new RegExp(` /var/log [^\\n]* - overlay ${escaped(`${spec.netnsPrefix}worker1`)} `), 'and its own /var/log');
  t.equal(fs.readlinkSync(`/proc/${p.pid}/root/var/log/pods`), `${np.dir}/pods`, '/var/log/pods is the node\'s pod log dir');
  t.ok((await netnsPids(ns('worker1'))).includes(p.pid), 'runs in the node namespace');
  t.notMatch(fs.readFileSync('/proc/self/mountinfo', 'utf8'), new RegExp(escaped(`${spec.netnsPrefix}netns`)), 'the host does not see the tmpfs');
  t.notOk(fs.existsSync(path.join(VAR_LIB_CNI, 'ktlt-marker')), 'the host does not see the node CNI cache');
  t.ok(netnsExists(ns('master')), "the host's /run/netns is untouched");

  const report = await teardownLab(spec);
  t.same(report.left, []);
  t.same(await leftovers(), []);
  if (!hadVarLibCni) t.notOk(fs.existsSync(VAR_LIB_CNI), '/var/lib/cni made by up is removed by down');
});
