import t from 'tap';
import { until } from '../../test/until.js';
import { BoundedFrequencyRunner } from './runner.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('requests before loop() wait for it; bursts coalesce; runs never overlap; no request is lost', async (t) => {
  let runs = 0;
  let active = 0;
  let maxActive = 0;
  let release: (() => void) | undefined;
  const runner = new BoundedFrequencyRunner('test', async () => {
    runs++;
    active++;
    maxActive = Math.max(maxActive, active);
    await new Promise<void>((r) => (release = r));
    active--;
  }, { minIntervalMs: 1, maxIntervalMs: 3_600_000 });
  t.teardown(() => {
    release?.();
    return runner.close();
  });

  runner.run();
  await tick(20);
  t.equal(runs, 0, 'nothing runs before loop()');
  runner.loop();
  await until('the first run', () => runs === 1, 5000, 5);
  for (let i = 0; i < 10; i++) runner.run();
  await tick(20);
  t.equal(runs, 1, 'no second run while the first is in flight');
  release!();
  await until('the second run', () => runs === 2, 5000, 5);
  t.equal(maxActive, 1, 'never concurrent');
  release!();
  await tick(20);
  t.equal(runs, 2, 'the ten requests during run 1 coalesced into run 2');
});

t.test('retryAfter schedules another run; close stops everything', async (t) => {
  let runs = 0;
  const runner = new BoundedFrequencyRunner('test', async () => {
    runs++;
    if (runs === 1) runner.retryAfter(10);
  }, { minIntervalMs: 1, maxIntervalMs: 3_600_000 });
  runner.run();
  runner.loop();
  await until('the second run', () => runs === 2, 5000, 5);
  await runner.close();
  runner.run();
  await tick(20);
  t.equal(runs, 2);
});

t.test('maxInterval runs the function periodically without requests', async (t) => {
  let runs = 0;
  const runner = new BoundedFrequencyRunner('test', async () => void runs++, { minIntervalMs: 1, maxIntervalMs: 10 });
  t.teardown(() => runner.close());
  runner.loop();
  await until('three periodic runs', () => runs >= 3, 5000, 5);
  t.pass('ran periodically');
});
