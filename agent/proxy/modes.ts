// Proxy mode selection, as kube-proxy's start-up (cmd/kube-proxy/app/server_linux.go): the mode names, and whether
// this kernel can run the one asked for. IPVS needs the ip_vs module (and dummy links), looked for the way kube-proxy does —
// present in the running kernel (/proc/net/ip_vs), loaded (/proc/modules), built in (modules.builtin), or loadable
// (modprobe) — and a mode that can't run stops start-up with one line instead of falling back silently.
import fs from 'node:fs/promises';
import os from 'node:os';
import { ProxyModeUnavailableError, UnsupportedProxyModeError } from './errors.js';
import { hostExec } from './exec.js';

export const proxyModes = ['iptables', 'nftables', 'ipvs'] as const;
export type ProxyMode = (typeof proxyModes)[number];

/** The modes this build has a proxier for. */
export const implementedProxyModes: readonly ProxyMode[] = ['iptables', 'nftables', 'ipvs'];

export function isProxyMode(s: string): s is ProxyMode {
  return (proxyModes as readonly string[]).includes(s);
}

/** What the mode check needs to know about the kernel; injected so the check is tested without one. */
export interface KernelProbe {
  /** `uname -r`. */
  release(): string;
  exists(path: string): Promise<boolean>;
  /** The file's text, or undefined if it can't be read. */
  readFile(path: string): Promise<string | undefined>;
  /** Tries to load a module; true if modprobe succeeded. */
  modprobe(module: string): Promise<boolean>;
}

export const hostKernelProbe: KernelProbe = {
  release: () => os.release(),
  exists: (path) => fs.access(path).then(() => true, () => false),
  readFile: (path) => fs.readFile(path, 'utf8').catch(() => undefined),
  modprobe: (module) => hostExec('modprobe', ['--', module]).then((r) => r.exitCode === 0, () => false),
};

/** Module names from /proc/modules ("ip_vs 176128 0 - Live …") or modules.builtin ("kernel/net/…/ip_vs.ko"). */
function moduleNames(text: string | undefined): Set<string> {
  const out = new Set<string>();
  for (const line of (text ?? '').split('\n')) {
    const word = line.split(' ')[0]!;
    if (word) out.add(word.replace(/^.*\//, '').replace(/\.ko(\..*)?$/, '').replaceAll('-', '_'));
  }
  return out;
}

/** Whether the kernel has a module, or can load it; `procFile` proves it is in the running kernel. */
export async function kernelHasModule(probe: KernelProbe, module: string, procFile?: string): Promise<boolean> {
  if (procFile && (await probe.exists(procFile))) return true;
  if (moduleNames(await probe.readFile('/proc/modules')).has(module)) return true;
  if (moduleNames(await probe.readFile(`/lib/modules/${probe.release()}/modules.builtin`)).has(module)) return true;
  if (!(await probe.modprobe(module))) return false;
  return procFile ? probe.exists(procFile) : true;
}

/**
 * Resolves to the mode if this build and this kernel can run it; otherwise throws an error whose message is the one
 * line start-up prints: the unknown mode, or what is missing and which modes work here.
 */
export async function checkProxyMode(mode: string, probe: KernelProbe = hostKernelProbe): Promise<ProxyMode> {
  if (!isProxyMode(mode)) throw new UnsupportedProxyModeError(mode, proxyModes);
  const others = implementedProxyModes.filter((m) => m !== mode).join(', ');
  if (mode === 'ipvs') {
    if (!(await kernelHasModule(probe, 'ip_vs', '/proc/net/ip_vs'))) {
      throw new ProxyModeUnavailableError(mode, `proxy mode "ipvs" needs kernel module ip_vs, which this kernel (${probe.release()}) does not have and cannot load; modes that work here: ${others}`);
    }
    // The service addresses live on the kube-ipvs0 dummy link.
    if (!(await kernelHasModule(probe, 'dummy', '/sys/module/dummy'))) {
      throw new ProxyModeUnavailableError(mode, `proxy mode "ipvs" needs kernel module dummy (for the kube-ipvs0 link), which this kernel (${probe.release()}) does not have and cannot load; modes that work here: ${others}`);
    }
  }
  if (!implementedProxyModes.includes(mode)) {
    throw new ProxyModeUnavailableError(mode, `proxy mode "${mode}" is not implemented yet; modes that work here: ${others}`);
  }
  return mode;
}
