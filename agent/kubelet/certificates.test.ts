import t from 'tap';
import { renewalDeadline } from './certificates.js';

t.test('renewal falls between 70 % and 90 % of the validity', async (t) => {
  const from = Date.parse('2026-01-01T00:00:00Z');
  const to = from + 1000 * 3600_000;
  t.equal(renewalDeadline(from, to, 0), from + 700 * 3600_000);
  t.equal(renewalDeadline(from, to, 1), from + 900 * 3600_000);
  t.equal(renewalDeadline(from, to, 0.5), from + 800 * 3600_000);
});
