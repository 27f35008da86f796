// vagrant/Vagrantfile as Vagrant reads it: `vagrant validate` with Debian's vagrant and vagrant-libvirt, against
// libvirt's built-in test driver (no daemon, no VM), with Vagrant's state kept out of the checkout. The file's own
// promises are checked too: four machines on the lab's addresses, debian/bookworm64, both providers, and the one
// provisioning script the booted lab runs.
import t from 'tap';
import { execa } from 'execa';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './server-fixture.js';

const dir = path.join(repoRoot, 'vagrant');
const vagrantfile = fs.readFileSync(path.join(dir, 'Vagrantfile'), 'utf8');

t.test('vagrant validate passes', async (t) => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-vagrant-'));
  t.teardown(() => fs.rmSync(scratch, { recursive: true, force: true }));
  const r = await execa('vagrant', ['validate'], {
    cwd: dir,
    reject: false,
    timeout: 300_000,
    env: { LIBVIRT_DEFAULT_URI: 'test:///default', VAGRANT_HOME: path.join(scratch, 'home'), VAGRANT_DOTFILE_PATH: path.join(scratch, 'dot'), VAGRANT_CHECKPOINT_DISABLE: '1' },
  });
  t.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
  t.match(String(r.stdout), /Vagrantfile validated successfully/);
  t.notOk(fs.existsSync(path.join(dir, '.vagrant')), 'no Vagrant state left in the checkout');
});

t.test('four Debian 12 machines on the lab addresses, provisioned by the booted lab\'s script', async (t) => {
  t.match(vagrantfile, /config\.vm\.box = "debian\/bookworm64"/);
  for (const [name, ip, role] of [['master', '192.168.56.10', 'master'], ['worker1', '192.168.56.11', 'worker'], ['worker2', '192.168.56.12', 'worker'], ['worker3', '192.168.56.13', 'worker']])
    t.match(vagrantfile, new RegExp(`\\{ name: "${name}",\\s+ip: "${ip.replace(/\./g, '\\.')}", role: "${role}" \\}`), `${name} ${ip}`);
  t.match(vagrantfile, /node\.vm\.network :private_network, ip: n\[:ip\]/);
  t.match(vagrantfile, /config\.vm\.provider :libvirt/);
  t.match(vagrantfile, /config\.vm\.provider :virtualbox/);
  t.match(vagrantfile, /node\.vm\.provision :shell, path: "provision\.sh", args: \[n\[:role\], n\[:name\], n\[:ip\]\]/);
  const { PROVISION_SCRIPT } = await import('../lab/nspawn/up.js');
  t.equal(PROVISION_SCRIPT, '/kubets-src/vagrant/provision.sh', 'the booted lab runs the same script, from the same place in the machine');
  t.match(vagrantfile, /synced_folder "\.\.", "\/kubets-src"/);
  t.match(vagrantfile, /synced_folder "\.cluster", "\/kubets-cluster"/);
});
