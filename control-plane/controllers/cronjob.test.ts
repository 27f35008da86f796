import t from 'tap';
import { parseSchedule } from '../../api/cron.js';
import { mostRecentSchedule } from './cronjob.js';

t.test('most recent scheduled time and missed runs', async (t) => {
  const every5 = parseSchedule('*/5 * * * *', 'UTC');
  const since = Date.parse('2026-03-01T10:00:00Z');
  t.same(mostRecentSchedule(every5, since, Date.parse('2026-03-01T10:04:59Z')), { time: undefined, missed: 0 });
  t.same(mostRecentSchedule(every5, since, Date.parse('2026-03-01T10:05:00Z')), { time: Date.parse('2026-03-01T10:05:00Z'), missed: 0 });
  t.same(mostRecentSchedule(every5, since, Date.parse('2026-03-01T10:17:00Z')), { time: Date.parse('2026-03-01T10:15:00Z'), missed: 2 });
  const long = mostRecentSchedule(parseSchedule('* * * * *', 'UTC'), since, Date.parse('2026-03-09T10:00:30Z'));
  t.equal(long.time, Date.parse('2026-03-09T10:00:00Z'), 'the latest run even after very many missed');
  t.ok(long.missed > 100);
});
