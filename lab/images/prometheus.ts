// The Prometheus image the `monitoring` add-on runs, as prom/prometheus is built: this host's Prometheus (Debian's
// `prometheus` package) with its shared libraries and web assets, and busybox for a shell. Rebuilt only when its
// inputs change.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILDER_MODULES, cachedArchive, hostFileEntries, withLibraries, withParents } from './host.js';
import { buildOciArchive } from './oci.js';
import { BUSYBOX_BINARY, busyboxRootfs } from './rootfs.js';

export const PROMETHEUS_BINARY = '/usr/bin/prometheus';
/** The classic web UI's templates and static files the Debian build reads at run time. */
const WEB_ASSETS = '/usr/share/prometheus';

/** `prometheus --version`'s "2.42.0" (Debian's "+ds" suffix dropped), or undefined when it is not installed. */
function prometheusVersion(): string | undefined {
  if (!existsSync(PROMETHEUS_BINARY)) return undefined;
  try {
    return /^prometheus, version (\d+\.\d+\.\d+)/m.exec(execFileSync(PROMETHEUS_BINARY, ['--version'], { encoding: 'utf8' }))?.[1];
  } catch {
    return undefined;
  }
}

/** Tagged as prom/prometheus tags its images (v2.42.0); `unknown` on a host without Prometheus, which cannot build it. */
export const PROMETHEUS_IMAGE = `kubets.local/prometheus:v${prometheusVersion() ?? 'unknown'}`;

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

export async function buildPrometheusImage(outDir: string): Promise<{ name: string; file: string }> {
  if (!existsSync(PROMETHEUS_BINARY)) throw new Error(`the Prometheus image needs ${PROMETHEUS_BINARY} on this host (Debian package prometheus; scripts/setup installs it)`);
  const file = join(outDir, 'prometheus.tar');
  const hostFiles = [...(await withLibraries([PROMETHEUS_BINARY])), ...filesUnder(WEB_ASSETS)];
  await cachedArchive(file, [...hostFiles, BUSYBOX_BINARY, ...BUILDER_MODULES, fileURLToPath(import.meta.url)], async () => {
    const rootfs = withParents([...(await busyboxRootfs()), ...(await hostFileEntries(hostFiles)), { type: 'dir', path: 'prometheus' }, { type: 'dir', path: 'etc/prometheus' }]);
    // A 50 MB Go program: the fastest gzip level does nearly as well as level 9 in a fraction of its time.
    return buildOciArchive({ name: PROMETHEUS_IMAGE, rootfs, entrypoint: [PROMETHEUS_BINARY], cmd: ['--config.file=/etc/prometheus/prometheus.yml', '--storage.tsdb.path=/prometheus'], gzipLevel: 1 });
  });
  return { name: PROMETHEUS_IMAGE, file };
}
