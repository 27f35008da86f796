import t from 'tap';
import { expand, mappingFor } from './expansion.js';

t.test('$(VAR) expansion: references, escapes, and what stays as written', async (t) => {
  const mapping = mappingFor(new Map([['VAR_A', 'A'], ['VAR_B', 'B'], ['VAR_EMPTY', ''], ['VAR_REF', '$(VAR_A)']]), new Map([['VAR_A', 'shadowed'], ['SVC', '10.96.0.1']]));
  const cases: [string, string][] = [
    ['$(VAR_A)', 'A'],
    ['___$(VAR_B)___', '___B___'],
    ['$(VAR_A)-$(VAR_A)', 'A-A'],
    ['$(VAR_A)$(VAR_B)', 'AB'],
    ['$(VAR_EMPTY)', ''],
    ['$(SVC):443', '10.96.0.1:443'],
    ['$(VAR_DNE)', '$(VAR_DNE)'],
    ['$(VAR_REF)', '$(VAR_A)'],
    ['$$(VAR_A)', '$(VAR_A)'],
    ['$$$(VAR_A)', '$A'],
    ['$$$$(VAR_A)', '$$(VAR_A)'],
    ['$(VAR_A', '$(VAR_A'],
    ['$(VAR_A$(VAR_B)', '$(VAR_A$(VAR_B)'],
    ['$VAR_A', '$VAR_A'],
    ['$', '$'],
    ['foo$', 'foo$'],
    ['$()', '$()'],
    ['no references', 'no references'],
    ['', ''],
  ];
  for (const [input, want] of cases) t.equal(expand(input, mapping), want, JSON.stringify(input));
});
