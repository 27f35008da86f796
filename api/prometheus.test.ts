import t from 'tap';
import { encodeText, parseText } from './prometheus.js';

t.test('text format: families sorted, labels escaped, timestamps after the value', async (t) => {
  const text = encodeText([
    { name: 'zeta_total', help: 'Last.', type: 'counter', samples: [{ value: 1.5, timestampMs: 1700000000123 }] },
    { name: 'alpha_bytes', help: 'Has a \\ and\na newline.', type: 'gauge', samples: [{ labels: { pod: 'a"b', ns: 'x\\y\nz' }, value: 42 }, { value: NaN }, { value: Infinity }] },
    { name: 'empty', help: 'No samples.', type: 'gauge', samples: [] },
  ]);
  t.equal(
    text,
    [
      '# HELP alpha_bytes Has a \\\\ and\\na newline.',
      '# TYPE alpha_bytes gauge',
      'alpha_bytes{ns="x\\\\y\\nz",pod="a\\"b"} 42',
      'alpha_bytes NaN',
      'alpha_bytes +Inf',
      '# HELP empty No samples.',
      '# TYPE empty gauge',
      '# HELP zeta_total Last.',
      '# TYPE zeta_total counter',
      'zeta_total 1.5 1700000000123',
      '',
    ].join('\n'),
  );
  const back = parseText(text);
  t.same(back[0], { name: 'alpha_bytes', labels: { pod: 'a"b', ns: 'x\\y\nz' }, value: 42 }, 'escapes round-trip');
  t.ok(Number.isNaN(back[1].value));
  t.equal(back[2].value, Infinity);
  t.same(back[3], { name: 'zeta_total', labels: {}, value: 1.5, timestampMs: 1700000000123 });
  t.throws(() => parseText('bad line here x y'), /malformed sample line/);
  t.throws(() => parseText('m{a="1",b=2} 1'), /malformed labels/);
});
