import t from 'tap';
import { parseSchedule } from './cron.js';

const at = (s: string) => new Date(s);
const next = (spec: string, after: string, tz = 'UTC') => parseSchedule(spec, tz).next(at(after))?.toISOString();

t.test('fields: lists, ranges, steps, names', async (t) => {
  t.equal(next('*/15 * * * *', '2026-03-01T10:07:00Z'), '2026-03-01T10:15:00.000Z');
  t.equal(next('*/15 * * * *', '2026-03-01T10:15:00Z'), '2026-03-01T10:30:00.000Z', 'strictly after');
  t.equal(next('5,35 9-17 * * *', '2026-03-01T17:40:00Z'), '2026-03-02T09:05:00.000Z');
  t.equal(next('0 0 1 jan *', '2026-03-01T00:00:00Z'), '2027-01-01T00:00:00.000Z');
  t.equal(next('30 6 * * MON-FRI', '2026-03-06T07:00:00Z'), '2026-03-09T06:30:00.000Z', 'Friday after 6:30 → Monday');
  t.equal(next('0 12 * * sun', '2026-03-01T12:00:00Z'), '2026-03-08T12:00:00.000Z');
  t.equal(next('10/20 * * * *', '2026-03-01T00:00:00Z'), '2026-03-01T00:10:00.000Z', 'a/n means a through max');
  t.equal(next('0 0 31 * *', '2026-04-01T00:00:00Z'), '2026-05-31T00:00:00.000Z', 'skips months without the day');
  t.equal(next('0 0 29 2 *', '2026-03-01T00:00:00Z'), '2028-02-29T00:00:00.000Z', 'leap day');
});

t.test('day of month and day of week: OR when both are restricted, AND when one is *', async (t) => {
  // 13th of the month OR a Friday.
  t.equal(next('0 0 13 * 5', '2026-03-01T00:00:00Z'), '2026-03-06T00:00:00.000Z');
  // Any day that is a Friday.
  t.equal(next('0 0 * * 5', '2026-03-07T00:00:00Z'), '2026-03-13T00:00:00.000Z');
  t.equal(next('0 0 ? * 5', '2026-03-07T00:00:00Z'), '2026-03-13T00:00:00.000Z');
});

t.test('descriptors', async (t) => {
  t.equal(next('@hourly', '2026-03-01T10:07:00Z'), '2026-03-01T11:00:00.000Z');
  t.equal(next('@daily', '2026-03-01T10:07:00Z'), '2026-03-02T00:00:00.000Z');
  t.equal(next('@weekly', '2026-03-04T10:07:00Z'), '2026-03-08T00:00:00.000Z');
  t.equal(next('@monthly', '2026-03-04T10:07:00Z'), '2026-04-01T00:00:00.000Z');
  t.equal(next('@yearly', '2026-03-04T10:07:00Z'), '2027-01-01T00:00:00.000Z');
});

t.test('time zones: the schedule follows the zone\'s wall clock, across DST', async (t) => {
  // 09:00 in Berlin is 08:00 UTC in winter (CET) and 07:00 UTC in summer (CEST, from 2026-03-29).
  t.equal(next('0 9 * * *', '2026-03-27T12:00:00Z', 'Europe/Berlin'), '2026-03-28T08:00:00.000Z');
  t.equal(next('0 9 * * *', '2026-03-28T12:00:00Z', 'Europe/Berlin'), '2026-03-29T07:00:00.000Z');
  t.equal(next('30 17 * * *', '2026-07-01T00:00:00Z', 'America/New_York'), '2026-07-01T21:30:00.000Z');
});

t.test('errors read like the cron library kube-apiserver validates with', async (t) => {
  t.throws(() => parseSchedule('* * * *', 'UTC'), /expected exactly 5 fields, found 4: \[\* \* \* \*\]/);
  t.throws(() => parseSchedule('61 * * * *', 'UTC'), /end of range \(61\) above maximum \(59\): 61/);
  t.throws(() => parseSchedule('5-1 * * * *', 'UTC'), /beginning of range \(5\) beyond end of range \(1\)/);
  t.throws(() => parseSchedule('*/0 * * * *', 'UTC'), /step of range should be a positive number/);
  t.throws(() => parseSchedule('* * * foo *', 'UTC'), /failed to parse int from foo/);
  t.throws(() => parseSchedule('0 0 * * 7', 'UTC'), /end of range \(7\) above maximum \(6\)/);
  t.throws(() => parseSchedule('@fortnightly', 'UTC'), /unrecognized descriptor: @fortnightly/);
  t.throws(() => parseSchedule('* * * * *', 'Mars/Olympus'), /unknown time zone Mars\/Olympus/);
});
