// Tears a test lab down when the test that brought it up dies without its teardown (tap's timeout ends a test file
// with SIGKILL; ^C reaches a whole process group). Started detached by the test with a pipe as stdin, it waits for
// that pipe to close — the test ended, one way or the other — and then removes the lab if it is still there.
import fs from 'node:fs';
import { teardownLab } from '../lab/down.js';
import type { LabSpec } from '../lab/spec.js';

const raw = process.env.KT_LAB_SPEC;
if (!raw) throw new Error('KT_LAB_SPEC (a LabSpec as JSON) is not set');
const spec = JSON.parse(raw) as LabSpec;
process.stdin.resume();
process.stdin.once('close', () => {
  if (!fs.existsSync(spec.root)) process.exit(0);
  void teardownLab(spec).then(
    (r) => process.exit(r.left.length ? 1 : 0),
    () => process.exit(1),
  );
});
