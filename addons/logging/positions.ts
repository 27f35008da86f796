// The collector's position file (fluentd's pos_file): for every log file followed, the inode and offsets reached,
// written whole to a temporary file and renamed over the old one, so a crash leaves the old or the new, never half.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { TailPosition } from './tailer.js';

export type Positions = Record<string, TailPosition>;

const isPosition = (v: unknown): v is TailPosition =>
  !!v && typeof v === 'object' && ['inode', 'offset', 'shipped'].every((k) => Number.isSafeInteger((v as Record<string, unknown>)[k]));

/** The saved positions; an absent or unreadable file means none (every file is read from its start). */
export async function loadPositions(file: string): Promise<Positions> {
  let doc: unknown;
  try {
    doc = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch {
    return {};
  }
  const out: Positions = {};
  for (const [k, v] of Object.entries((doc as { files?: Record<string, unknown> })?.files ?? {})) if (isPosition(v)) out[k] = v;
  return out;
}

export async function savePositions(file: string, positions: Positions): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  await fs.writeFile(tmp, JSON.stringify({ files: positions }));
  await fs.rename(tmp, file);
}
