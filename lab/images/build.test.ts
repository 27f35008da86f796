import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { buildImages } from './build.js';

t.test('builds the pause, busybox and kubets OCI archives once, named for ctr import', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kt-rt-images-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const images = await buildImages(dir);
  t.same(images.map((i) => i.name).slice(0, 2), ['kubets.local/pause:3.9', 'docker.io/library/busybox:1.35']);
  t.match(images[2]?.name, /^kubets\.local\/kubets:v\d+\.\d+\.\d+/);
  t.equal(images.length, 3);
  for (const { name, file } of images) {
    const listing = execFileSync('tar', ['tf', file], { encoding: 'utf8' }).split('\n');
    t.ok(listing.includes('oci-layout') && listing.includes('index.json'), `${name}: an image layout`);
    const index = JSON.parse(execFileSync('tar', ['xOf', file, 'index.json'], { encoding: 'utf8' }));
    t.equal(index.manifests[0].annotations['io.containerd.image.name'], name);
    const manifest = JSON.parse(execFileSync('tar', ['xOf', file, `blobs/${index.manifests[0].digest.replace(':', '/')}`], { encoding: 'utf8' }));
    const layer = execFileSync('sh', ['-c', `tar xOf '${file}' 'blobs/${manifest.layers[0].digest.replace(':', '/')}' | tar tzvf -`], { encoding: 'utf8' });
    if (name.includes('pause')) t.match(layer, /-rwxr-xr-x root\/root +\d+ .* pause\n/, 'pause binary at /pause');
    else if (name.includes('busybox')) t.match(layer, /lrwxrwxrwx .* bin\/httpd -> busybox/, 'busybox applets are symlinks');
    else t.match(layer, /usr\/local\/bin\/kubets\n/, 'kubets image carries the program');
  }
  const mtimes = images.map((i) => statSync(i.file).mtimeMs);
  await buildImages(dir);
  t.same(images.map((i) => statSync(i.file).mtimeMs), mtimes, 'a second call rebuilds nothing');
});
