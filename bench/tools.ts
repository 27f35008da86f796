// What a bench needs of the machine before it starts (the tools it runs), so that it can say why it is skipped.
import { execa } from 'execa';

/** Whether `name` is an executable on PATH. */
export async function commandExists(name: string): Promise<boolean> {
  const r = await execa('sh', ['-c', `command -v ${name}`], { reject: false });
  return r.exitCode === 0;
}
