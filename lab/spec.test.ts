import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mountPointsUnder } from './mounts.js';
import { defaultLabSpec, labPaths, validateSpec, vethName } from './spec.js';
import { agentScript, writeAdminKubeconfig } from './up.js';
import { labKubeconfigPath } from './index.js';

t.test('the default lab is valid and uses the agreed names', async (t) => {
  validateSpec(defaultLabSpec);
  t.same(defaultLabSpec.nodes.map((n) => `${n.name}=${n.ip}`), ['master=192.168.56.10', 'worker1=192.168.56.11', 'worker2=192.168.56.12', 'worker3=192.168.56.13']);
  t.equal(vethName(defaultLabSpec, 'worker1'), 'kt-worker1');
  t.equal(labKubeconfigPath(), '/var/lib/kubets-lab/admin.kubeconfig');
});

t.test('invalid specs are refused with every reason', async (t) => {
  const bad = { ...defaultLabSpec, bridge: 'a-very-long-bridge-name', nodes: [{ name: 'averyveryverylongname', ip: '10.0.0.1', controlPlane: false }] };
  t.throws(() => validateSpec(bad), /bridge name .* longer than 15.*veth name kt-averyveryverylongname.*not in 192\.168\.56\.0\/24.*exactly one node/);
});

t.test('agent command line: own mount namespace (netns dir, CNI cache, /etc and /var/log overlays), no proxy of its own, control-plane taint only on the master', async (t) => {
  const join = ['--kubeconfig', '/var/lib/kubets-lab/nodes/worker2/kubelet.kubeconfig', '--server', 'https://192.168.56.10:6443', '--token', 'abcdef.0123456789abcdef', '--discovery-token-ca-cert-hash', `sha256:${'0'.repeat(64)}`];
  const master = agentScript(defaultLabSpec, defaultLabSpec.nodes[0], ['--kubeconfig', '/etc/kubernetes/kubelet.conf']);
  t.match(master, /^mount -t tmpfs 'kubets-netns' \/run\/netns && mount --bind '\/var\/lib\/kubets-lab\/nodes\/master\/cni-cache' \/var\/lib\/cni && /);
  t.match(master, / && mount -t overlay 'kubets-master' -o 'lowerdir=\/etc,upperdir=\/var\/lib\/kubets-lab\/nodes\/master\/overlay\/etc\/upper,workdir=[^']+' \/etc && /);
  t.match(master, / && mount -t overlay 'kubets-master' -o 'lowerdir=\/var\/log,[^']+' \/var\/log && exec /);
  t.match(master, /'agent' '--node-name' 'master' '--node-ip' '192\.168\.56\.10' '--kubeconfig' '\/etc\/kubernetes\/kubelet\.conf'/, 'the master\'s kubelet has kubeadm\'s kubelet.conf');
  t.match(master, /'--disable-proxy' '--register-with-taints' 'node-role\.kubernetes\.io\/control-plane:NoSchedule'$/);
  t.notMatch(master, /--node-labels/, 'a kubelet may not give itself a node role: the lab labels the master as an admin');
  t.match(master, /'--cgroup-parent' '\/kubets-master'/);
  t.match(master, /'--containerd-socket' '\/var\/lib\/kubets-lab\/nodes\/master\/containerd\/containerd\.sock' '--run-containerd' '--images-dir' '\/var\/lib\/kubets-lab\/images'/);
  const worker = agentScript(defaultLabSpec, defaultLabSpec.nodes[2], join);
  t.notMatch(worker, /register-with-taints/);
  t.match(worker, /'--server' 'https:\/\/192\.168\.56\.10:6443' '--token' 'abcdef\.0123456789abcdef' '--discovery-token-ca-cert-hash' 'sha256:0{64}'/, 'workers join with a token');
  t.match(worker, /'--disable-proxy'$/, 'kube-proxy runs as the DaemonSet');
});

t.test('mount points under a dir are read from mountinfo, unescaped, deepest first', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ktlt-mi-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const mi = path.join(dir, 'mountinfo');
  fs.writeFileSync(
    mi,
    [
      '22 27 0:21 / /proc rw - proc proc rw',
      '90 27 0:50 / /var/lib/kubets-lab/nodes/a rw - tmpfs t rw',
      '91 90 0:51 / /var/lib/kubets-lab/nodes/a/b\\040c/d rw - tmpfs t rw',
      '92 27 0:52 / /var/lib/kubets-lab-other rw - tmpfs t rw',
      '',
    ].join('\n'),
  );
  t.same(mountPointsUnder('/var/lib/kubets-lab', mi), ['/var/lib/kubets-lab/nodes/a/b c/d', '/var/lib/kubets-lab/nodes/a']);
});

t.test('the admin kubeconfig is the server one pointed at the lab address', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ktlt-kc-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const from = path.join(dir, 'in');
  fs.writeFileSync(from, 'apiVersion: v1\nkind: Config\nclusters:\n- name: kubets\n  cluster:\n    server: https://127.0.0.1:6443\n    certificate-authority-data: QQ==\n');
  writeAdminKubeconfig(from, path.join(dir, 'out'), 'https://192.168.56.10:6443');
  t.match(fs.readFileSync(path.join(dir, 'out'), 'utf8'), /server: https:\/\/192\.168\.56\.10:6443\n\s+certificate-authority-data: QQ==/);
  t.equal(labPaths(defaultLabSpec).adminKubeconfig, '/var/lib/kubets-lab/admin.kubeconfig');
});
