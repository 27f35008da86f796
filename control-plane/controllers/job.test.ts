import t from 'tap';
import { formatIndexes, parseIndexes } from './job.js';

t.test('completed index sets', async (t) => {
  t.equal(formatIndexes([4, 0, 1, 2, 7, 8]), '0-2,4,7-8');
  t.same([...parseIndexes('0-2,4,7-8')], [0, 1, 2, 4, 7, 8]);
  t.equal(formatIndexes([]), '');
});
