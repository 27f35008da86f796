// state.json: the record of everything `lab up` made, written as each thing is made (before it is made, for things
// whose creation could half-succeed), so `lab down` can remove exactly what exists even after a failed `up`.
import fs from 'node:fs';
import path from 'node:path';
import type { LabSpec } from './spec.js';

export type LabKind = 'netns' | 'nspawn';

export interface LabProcess {
  /** The control plane and agents of a netns lab; the runner of a booted machine. */
  role: 'server' | 'agent' | 'machine';
  node: string;
  pid: number;
  /** Kernel start time of the process (clock ticks since boot), so a recycled PID is never mistaken for ours. */
  startTime: number;
  log: string;
  command: string[];
}

export interface LabState {
  version: 1;
  createdAt: string;
  spec: LabSpec;
  /** Network namespaces (netns) or booted machines (nspawn). */
  kind: LabKind;
  bridge?: string;
  netns: string[];
  veths: string[];
  processes: LabProcess[];
  /** `up` created /var/lib/cni (the agents bind their own CNI cache over it); `down` removes it if still empty. */
  createdVarLibCni: boolean;
  /** Mount points made under the lab root (machine overlays); `down` unmounts whatever is mounted there anyway. */
  mounts: string[];
  /** Cgroups named after a node, in every hierarchy (booted machines live in them). */
  cgroups: string[];
  /** `up` mounted the tmpfs on /run/systemd/nspawn that nspawn needs here. */
  mountedNspawnRun: boolean;
  /** Set once every node reported Ready. */
  readyAt?: string;
}

export function newState(spec: LabSpec, kind: LabKind = 'netns'): LabState {
  return { version: 1, createdAt: new Date().toISOString(), spec, kind, netns: [], veths: [], processes: [], createdVarLibCni: false, mounts: [], cgroups: [], mountedNspawnRun: false };
}

const strings = (x: unknown): string[] => (Array.isArray(x) ? x.filter((v): v is string => typeof v === 'string') : []);

/** Reads state.json; undefined when it is missing or unreadable (then `down` falls back to the spec's fixed names). */
export function readState(file: string): LabState | undefined {
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const s = JSON.parse(raw) as Partial<LabState>;
    if (s.version !== 1 || !s.spec) return undefined;
    return {
      version: 1,
      createdAt: s.createdAt ?? '',
      spec: s.spec,
      kind: s.kind === 'nspawn' ? 'nspawn' : 'netns',
      bridge: typeof s.bridge === 'string' ? s.bridge : undefined,
      netns: Array.isArray(s.netns) ? s.netns.filter((x) => typeof x === 'string') : [],
      veths: Array.isArray(s.veths) ? s.veths.filter((x) => typeof x === 'string') : [],
      processes: Array.isArray(s.processes) ? s.processes.filter((p) => p && Number.isInteger(p.pid) && p.pid > 1) : [],
      createdVarLibCni: s.createdVarLibCni === true,
      mounts: strings(s.mounts),
      cgroups: strings(s.cgroups),
      mountedNspawnRun: s.mountedNspawnRun === true,
      readyAt: s.readyAt,
    };
  } catch {
    return undefined;
  }
}

/** Owns state.json during `up`: every change is written through at once (temp file + rename, never half-written). */
export class StateRecorder {
  readonly state: LabState;
  private readonly file: string;

  constructor(file: string, state: LabState) {
    this.file = file;
    this.state = state;
    this.flush();
  }

  update(change: (s: LabState) => void): void {
    change(this.state);
    this.flush();
  }

  private flush(): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(this.state, null, 2) + '\n');
    fs.renameSync(tmp, this.file);
  }
}
