// A fake Exec for proxier tests: records every command, answers iptables-save from a settable table dump, and can
// be told to fail iptables-restore. applyRestores models what restores leave in the kernel (or reads a real dump).
import type { Exec, ExecResult } from '../types.js';

export interface ExecCall {
  file: string;
  args: string[];
  input?: string;
}

export class FakeExec {
  readonly calls: ExecCall[] = [];
  /** What `iptables-save -t nat` prints. */
  natSave = '*nat\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n';
  /** Rules `iptables -C` reports as present, as `table chain args…` strings. */
  readonly presentRules = new Set<string>();
  failRestore = false;

  readonly exec: Exec = async (file, args, opts) => {
    this.calls.push({ file, args, input: opts?.input });
    const ok = (stdout = ''): ExecResult => ({ exitCode: 0, stdout, stderr: '' });
    if (file === 'iptables-save') return ok(args.includes('nat') ? this.natSave : '*filter\nCOMMIT\n');
    if (file === 'iptables-restore') return this.failRestore ? { exitCode: 1, stdout: '', stderr: 'iptables-restore: line 3 failed\n' } : ok();
    if (file === 'iptables' && args.includes('-C')) {
      const i = args.indexOf('-C');
      return this.presentRules.has([args[2], ...args.slice(i + 1)].join(' ')) ? ok() : { exitCode: 1, stdout: '', stderr: 'Bad rule' };
    }
    if (file === 'conntrack') return { exitCode: 1, stdout: '', stderr: 'conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.\n' };
    return ok();
  };

  restores(): string[] {
    return this.calls.filter((c) => c.file === 'iptables-restore').map((c) => c.input ?? '');
  }

  lastRestore(): string {
    const r = this.restores();
    return r[r.length - 1] ?? '';
  }

  commands(file: string): string[][] {
    return this.calls.filter((c) => c.file === file).map((c) => c.args);
  }

  reset(): void {
    this.calls.length = 0;
  }
}

/** The chains (`table chain` → rules) after restoring these documents in turn, as iptables-restore --noflush does:
 * a declared chain is created or flushed, -A appends, -X deletes; chains a document doesn't declare are left alone.
 * Given one iptables-save dump, the chains it lists; counters are not part of the result. */
export function applyRestores(...docs: string[]): Record<string, string[]> {
  const chains = new Map<string, string[]>();
  for (const doc of docs) {
    let table = '';
    for (const l of doc.split('\n')) {
      if (l.startsWith('*')) table = l.slice(1);
      else if (l.startsWith(':')) chains.set(`${table} ${l.slice(1).split(' ')[0]}`, []);
      else if (l.startsWith('-A ')) chains.get(`${table} ${l.split(' ')[1]}`)!.push(l);
      else if (l.startsWith('-X ')) chains.delete(`${table} ${l.slice(3)}`);
    }
  }
  return Object.fromEntries([...chains].sort(([a], [b]) => a.localeCompare(b)));
}
