import { execFileSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import t from 'tap';
import { findCommand } from '../../api/commands.js';
import { buildImages, ETCD_IMAGE } from './build.js';

t.test('builds the pause, busybox, kubets and etcd OCI archives once, named for ctr import', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kt-rt-images-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const images = await buildImages(dir);
  t.same(images.map((i) => i.name).slice(0, 2), ['kubets.local/pause:3.9', 'docker.io/library/busybox:1.35']);
  t.match(images[2]?.name, /^kubets\.local\/kubets:v\d+\.\d+\.\d+/);
  const etcdVersion = /^etcd Version: (\S+)/m.exec(execFileSync('etcd', ['--version'], { encoding: 'utf8' }))?.[1];
  t.equal(images[3]?.name, `kubets.local/etcd:${etcdVersion}-0`, 'etcd tagged as kubeadm tags it: <version>-<revision>');
  t.equal(ETCD_IMAGE, images[3]?.name);
  t.equal(images.length, 4);
  // The iptables backend the host's alternatives pick (xtables-nft-multi on Debian 12).
  const multi = basename(realpathSync(findCommand('iptables', '')!));
  for (const { name, file } of images) {
    const listing = execFileSync('tar', ['tf', file], { encoding: 'utf8' }).split('\n');
    t.ok(listing.includes('oci-layout') && listing.includes('index.json'), `${name}: an image layout`);
    const index = JSON.parse(execFileSync('tar', ['xOf', file, 'index.json'], { encoding: 'utf8' }));
    t.equal(index.manifests[0].annotations['io.containerd.image.name'], name);
    const manifest = JSON.parse(execFileSync('tar', ['xOf', file, `blobs/${index.manifests[0].digest.replace(':', '/')}`], { encoding: 'utf8' }));
    const layer = execFileSync('sh', ['-c', `tar xOf '${file}' 'blobs/${manifest.layers[0].digest.replace(':', '/')}' | tar tzvf -`], { encoding: 'utf8' });
    if (name.includes('pause')) t.match(layer, /-rwxr-xr-x root\/root +\d+ .* pause\n/, 'pause binary at /pause');
    else if (name.includes('busybox')) t.match(layer, /lrwxrwxrwx .* bin\/httpd -> busybox/, 'busybox applets are symlinks');
    else if (name.includes('etcd')) {
      t.match(layer, /-rwxr-xr-x root\/root +\d+ .* usr\/bin\/etcd\n/, 'etcd at /usr/bin/etcd');
      t.match(layer, / lib\/x86_64-linux-gnu\/libc\.so\.6\n/, 'with the libraries it links');
      t.match(layer, / lib64\/ld-linux-x86-64\.so\.2\n/, 'and the loader');
      t.match(layer, /lrwxrwxrwx .* bin\/sh -> busybox/, 'busybox for a shell');
    } else {
      t.match(layer, /usr\/local\/bin\/kubets\n/, 'kubets image carries the program');
      t.match(layer, /opt\/kubets\/control-plane\/storage\/etcd\.proto\n/, 'and the .proto files it loads (etcd\'s, CRI\'s)');
      for (const cmd of ['iptables', 'iptables-save', 'iptables-restore', 'ip6tables', 'ip6tables-save', 'ip6tables-restore']) {
        t.match(layer, new RegExp(`lrwxrwxrwx .* usr/sbin/${cmd} -> ${multi}\n`), `${cmd} runs the host's backend, ${multi}`);
      }
      for (const bin of [multi, 'nft', 'conntrack']) t.match(layer, new RegExp(`-rwxr-xr-x root/root +\\d+ .* usr/sbin/${bin}\n`), `${bin} in /usr/sbin`);
      t.match(layer, / usr\/lib\/x86_64-linux-gnu\/xtables\/libxt_conntrack\.so\n/, 'xtables extensions');
      t.match(layer, /lrwxrwxrwx .* usr\/lib\/x86_64-linux-gnu\/xtables\/libxt_DNAT\.so -> libxt_NAT\.so\n/, 'extension aliases stay links');
      for (const lib of ['libxtables.so.12', 'libnftables.so.1', 'libnetfilter_conntrack.so.3', 'libjansson.so.4']) t.match(layer, new RegExp(` lib/x86_64-linux-gnu/${lib.replaceAll('.', '\\.')}\n`), `${lib} for the tools`);
      t.match(layer, / etc\/protocols\n/, 'protocol names for -p and nft');
    }
  }
  const mtimes = images.map((i) => statSync(i.file).mtimeMs);
  await buildImages(dir);
  t.same(images.map((i) => statSync(i.file).mtimeMs), mtimes, 'a second call rebuilds nothing');
});
