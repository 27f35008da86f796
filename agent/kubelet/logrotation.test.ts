import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import t from 'tap';
import { FakeClock } from '../../test/fixtures/kubelet.js';
import { ContainerLogManager, planRotatedLogs, rotationTimestamp } from './logrotation.js';
import type { RuntimeService } from './runtime.js';

t.test('rotation names: Go\'s 20060102-150405 layout', async (t) => {
  t.equal(rotationTimestamp(new Date(2024, 4, 1, 9, 5, 7).getTime()), '20240501-090507');
});

t.test('before a rotation: the oldest rotated files go, the rest are compressed', async (t) => {
  const rotated = ['0.log.20240501-100004', '0.log.20240501-100001.gz', '0.log.20240501-100003', '0.log.20240501-100002.gz'];
  t.same(planRotatedLogs(rotated, 5), { remove: ['0.log.20240501-100001.gz'], compress: ['0.log.20240501-100003', '0.log.20240501-100004'] }, 'max 5: three rotated files stay');
  t.same(planRotatedLogs(rotated, 2), { remove: [...rotated].sort(), compress: [] }, 'max 2: only the live file and the one rotated next');
  t.same(planRotatedLogs([], 5), { remove: [], compress: [] });
});

t.test('the log manager rotates a running container\'s file that grew too big, and the runtime reopens it', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-rotate-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, '0.log');
  const clock = new FakeClock(new Date(2024, 4, 1, 10, 0, 0).getTime());
  const reopened: string[] = [];
  let running = [{ id: 'c1' }];
  const statusAsked: string[] = [];
  const runtime = {
    listContainers: async () => ({ containers: running }),
    containerStatus: async ({ container_id }: { container_id: string }) => (statusAsked.push(container_id), { status: { log_path: file } }),
    reopenContainerLog: async ({ container_id }: { container_id: string }) => {
      reopened.push(container_id);
      fs.writeFileSync(file, '');
    },
  } as unknown as RuntimeService;
  const manager = new ContainerLogManager(runtime, { maxSizeBytes: 100, maxFiles: 3, periodMs: 60_000 }, clock);
  const line = (n: number) => `2024-05-01T10:00:0${n}Z stdout F ${'x'.repeat(60)}\n`;

  fs.writeFileSync(file, line(0));
  await manager.rotateAll();
  t.same(fs.readdirSync(dir), ['0.log'], 'under the limit: left alone');
  t.same(reopened, []);

  for (let i = 1; i <= 3; i++) {
    fs.appendFileSync(file, line(i) + line(i));
    await manager.rotateAll();
    clock.advance(1000);
  }
  t.same(reopened, ['c1', 'c1', 'c1']);
  t.same(statusAsked, ['c1'], 'the log path asked of the runtime once, not on every pass');
  t.same(fs.readdirSync(dir).sort(), ['0.log', '0.log.20240501-100001.gz', '0.log.20240501-100002'], 'max 3 files: the live one, the newest plain, an older one compressed');
  t.equal(fs.readFileSync(file, 'utf8'), '', 'the runtime writes to a fresh file');
  t.equal(gunzipSync(fs.readFileSync(path.join(dir, '0.log.20240501-100001.gz'))).toString(), line(2) + line(2));
  t.equal(fs.readFileSync(path.join(dir, '0.log.20240501-100002'), 'utf8'), line(3) + line(3));

  // A container gone from the running ones is forgotten; one with the same id later is asked again.
  running = [];
  await manager.rotateAll();
  running = [{ id: 'c1' }];
  await manager.rotateAll();
  t.same(statusAsked, ['c1', 'c1'], 'asked again after the container was gone');

  // A runtime that cannot reopen the file keeps writing to it: the file keeps its name.
  const stuck = new ContainerLogManager({ ...runtime, reopenContainerLog: async () => Promise.reject(new Error('no such container')) } as RuntimeService, { maxSizeBytes: 10, maxFiles: 3, periodMs: 60_000 }, clock);
  fs.writeFileSync(file, line(4));
  await stuck.rotateAll();
  t.equal(fs.readFileSync(file, 'utf8'), line(4));
  await manager.close();
  await stuck.close();
});
