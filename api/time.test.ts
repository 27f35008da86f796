import t from 'tap';
import { formatMicroTime, formatTime } from './time.js';

t.test('Time drops the milliseconds, MicroTime pads them to microseconds', async (t) => {
  const at = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
  t.equal(formatTime(at), '2024-01-02T03:04:05Z');
  t.equal(formatTime(new Date(at)), '2024-01-02T03:04:05Z');
  t.equal(formatMicroTime(at), '2024-01-02T03:04:05.678000Z');
  t.match(formatTime(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
});
