// The benches' command line: a wrong option ends a bench before it starts anything, with a message that names the
// option and lists the ones it has.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const here = path.dirname(fileURLToPath(import.meta.url));
const run = (bench: string, ...args: string[]) => spawnSync(process.execPath, [path.join(here, `${bench}.js`), ...args], { encoding: 'utf8', timeout: 30_000 });

t.test('an unknown option or a missing value is named, with the options the bench has, and exit status 2', async (t) => {
  const unknown = run('scheduler', '--help');
  t.equal(unknown.status, 2);
  t.equal(unknown.stderr, "scheduler.js: Unknown option '--help'\noptions: --nodes <value> --pods <value> --json\n");
  const missing = run('index', '--only');
  t.equal(missing.status, 2);
  t.match(missing.stderr, /^index\.js: Option '--only <value>' argument missing\noptions: --only <value> --quick --out <value>\n$/);
  t.equal(unknown.stdout + missing.stdout, '', 'nothing ran');
});
