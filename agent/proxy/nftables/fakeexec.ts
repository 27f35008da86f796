// A fake Exec for nftables proxier tests: records every `nft -f -` document, keeps the names of the chains and sets
// those documents create and delete (so `nft --json list chains|sets` answers as the kernel would), and can be told
// to fail the next transactions.
import type { Exec, ExecResult } from '../types.js';

export interface ExecCall {
  file: string;
  args: string[];
  input?: string;
}

export class FakeExec {
  readonly calls: ExecCall[] = [];
  /** Chains and sets of the `ip kube-proxy` table, as the documents left them. */
  readonly chains = new Set<string>();
  readonly sets = new Set<string>();
  tableExists = false;
  /** Fail every `nft -f` until cleared. */
  failRun = false;

  readonly exec: Exec = async (file, args, opts) => {
    this.calls.push({ file, args, input: opts?.input });
    const ok = (stdout = ''): ExecResult => ({ exitCode: 0, stdout, stderr: '' });
    if (file === 'conntrack') return { exitCode: 1, stdout: '', stderr: 'conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.\n' };
    // A node without iptables rules (the iptables cleanup run at start-up looks for them).
    if (file === 'iptables' && args.includes('-C')) return { exitCode: 1, stdout: '', stderr: 'iptables: Bad rule (does a matching rule exist in that chain?).\n' };
    if (file === 'iptables-save') return ok(`*${args[args.indexOf('-t') + 1]}\nCOMMIT\n`);
    if (file !== 'nft') return ok();
    if (args[0] === '-f') {
      if (this.failRun) return { exitCode: 1, stdout: '', stderr: '/dev/stdin:2:1-30: Error: Could not process rule: No such file or directory\n' };
      this.apply(opts?.input ?? '');
      return ok();
    }
    if (args[0] === '--json' && args[1] === 'list') {
      const kind = args[2] === 'chains' ? 'chain' : 'set';
      const names = [...(kind === 'chain' ? this.chains : this.sets)];
      const objects = names.map((name) => ({ [kind]: { family: 'ip', table: 'kube-proxy', name } }));
      return ok(JSON.stringify({ nftables: [{ metainfo: { version: '1.0.6' } }, ...objects] }));
    }
    if (args[0] === 'delete' && args[1] === 'table') {
      if (args[2] !== 'ip' || !this.tableExists) return { exitCode: 1, stdout: '', stderr: 'Error: Could not process rule: No such file or directory\n' };
      this.tableExists = false;
      this.chains.clear();
      this.sets.clear();
    }
    return ok();
  };

  private apply(doc: string): void {
    for (const line of doc.split('\n')) {
      const m = /^(add|delete) (table|chain|set|map) ip kube-proxy ?(\S*)/.exec(line);
      if (!m) continue;
      const [, verb, what, name] = m;
      if (what === 'table') this.tableExists = verb === 'add';
      const names = what === 'chain' ? this.chains : what === 'set' ? this.sets : undefined;
      if (verb === 'add') names?.add(name!);
      else names?.delete(name!);
    }
  }

  /** Every `nft -f` document, in order. */
  runs(): string[] {
    return this.calls.filter((c) => c.file === 'nft' && c.args[0] === '-f').map((c) => c.input ?? '');
  }

  lastRun(): string {
    const r = this.runs();
    return r[r.length - 1] ?? '';
  }

  commands(file: string): string[][] {
    return this.calls.filter((c) => c.file === file).map((c) => c.args);
  }

  reset(): void {
    this.calls.length = 0;
  }
}
