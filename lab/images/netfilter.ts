// The packet-filter tools kube-proxy's image carries (kube-proxy's Dockerfile installs iptables, nftables, conntrack
// and ipset into its distroless base): everything the proxy execs from PATH, taken from this host so a proxy in a
// pod programs the kernel through the same backend as the node's own `iptables` (nf_tables or legacy, whichever the
// host's alternatives pick). `sysctl` and `modprobe` come from busybox.
import { existsSync } from 'node:fs';
import { readdir, realpath } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { findCommand } from '../../api/commands.js';
import { withLibraries } from './host.js';

/** Commands the proxiers and their clean-up run, with the Debian package providing each. */
const COMMANDS: [string, string][] = [
  ['iptables', 'iptables'],
  ['iptables-save', 'iptables'],
  ['iptables-restore', 'iptables'],
  ['ip6tables', 'iptables'],
  ['ip6tables-save', 'iptables'],
  ['ip6tables-restore', 'iptables'],
  ['nft', 'nftables'],
  ['conntrack', 'conntrack'],
];

/** Read at run time: protocol names (`-p sctp`, nft's `meta l4proto udp`, also in `nft --json`) and ethertypes. */
const DATA_FILES = ['/etc/protocols', '/etc/ethertypes'];

/**
 * The host files to copy: each command as found on the standard PATH (the iptables names are symlinks to the
 * xtables multi-call binary the host uses, which comes along), the xtables extension modules that binary loads at
 * run time, all their shared libraries, and the data files.
 */
export async function netfilterFiles(): Promise<string[]> {
  const missing: string[] = [];
  const commands: string[] = [];
  for (const [cmd, pkg] of COMMANDS) {
    // Only the directories the image's PATH has: a command found elsewhere would not be found in the pod.
    const path = findCommand(cmd, '');
    if (path) commands.push(path);
    else missing.push(`${cmd} (${pkg})`);
  }
  for (const f of DATA_FILES) if (!existsSync(f)) missing.push(`${f} (netbase)`);
  if (missing.length) throw new Error(`the kubets image needs, on this host: ${missing.join(', ')}`);
  const multi = await realpath(commands[0]!);
  // libxtables dlopens extensions (libxt_conntrack.so, libipt_DNAT.so…) from the xtables folder beside its real file.
  const libxtables = (await withLibraries([multi])).find((f) => /\/libxtables\.so/.test(f));
  const extensionDir = libxtables ? join(dirname(await realpath(libxtables)), 'xtables') : undefined;
  const extensions = extensionDir && existsSync(extensionDir) ? (await readdir(extensionDir)).filter((f) => f.endsWith('.so')).sort().map((f) => join(extensionDir, f)) : [];
  if (extensions.length === 0) throw new Error(`${multi}: found no xtables extensions beside ${libxtables ?? 'its libxtables'}`);
  // The commands are mostly symlinks to programs already traced: trace each real program once.
  const programs = [...new Set(await Promise.all(commands.map((c) => realpath(c))))];
  return [...new Set([...commands, ...(await withLibraries(programs, extensions)), ...DATA_FILES])];
}
