// One config file per component (k3s's config.yaml, the kubelet's --config): a YAML mapping whose keys are the
// command's own flag names, so `/etc/kubets/agent.yaml` says exactly what the flags would. Flags on the command line
// override the file. Typed against the command's flag declarations: an unknown key or a wrong type is an error that
// names the file and the key.
import fs from 'node:fs';
import type { ParseArgsConfig } from 'node:util';
import { parse as parseYaml, stringify as toYaml } from 'yaml';

export type Options = NonNullable<ParseArgsConfig['options']>;
export type FlagValue = string | boolean | string[];
export type FlagValues = Record<string, FlagValue | undefined>;

export class ConfigFileError extends Error {
  readonly code = 'ERR_CONFIG_FILE';
  override name = 'ConfigFileError';
}

/** The flag values a config document sets, checked against the command's options. */
export function parseConfig(text: string, options: Options, file: string): FlagValues {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new ConfigFileError(`${file}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigFileError(`${file}: want a mapping of flag names to values`);
  const out: FlagValues = {};
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    const opt = options[key];
    if (!opt || key === 'config') throw new ConfigFileError(`${file}: unknown key "${key}"`);
    if (value === null || value === undefined) continue;
    if (opt.type === 'boolean') {
      if (typeof value !== 'boolean') throw new ConfigFileError(`${file}: "${key}" must be true or false`);
      out[key] = value;
      continue;
    }
    const scalar = (v: unknown): string => {
      if (typeof v === 'string' || typeof v === 'number') return String(v);
      throw new ConfigFileError(`${file}: "${key}" must be ${opt.multiple ? 'a string or a list of strings' : 'a string'}`);
    };
    if (opt.multiple) out[key] = Array.isArray(value) ? value.map(scalar) : [scalar(value)];
    else if (Array.isArray(value)) throw new ConfigFileError(`${file}: "${key}" takes one value, not a list`);
    else out[key] = scalar(value);
  }
  return out;
}

export function readConfigFile(file: string, options: Options): FlagValues {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigFileError(`cannot read config file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseConfig(text, options, file);
}

/** The file's values under the command line's: a flag given on the command line wins, whole lists included. */
export function withConfigFile(flags: FlagValues, file: FlagValues): FlagValues {
  const out: FlagValues = { ...file };
  for (const [k, v] of Object.entries(flags)) if (v !== undefined) out[k] = v;
  delete out.config;
  return out;
}

/** A config document for `values`, keys in the order the command declares its flags, under a comment header. */
export function renderConfig(values: FlagValues, options: Options, header: string[]): string {
  const ordered: Record<string, FlagValue> = {};
  for (const key of Object.keys(options)) {
    const v = values[key];
    if (v !== undefined) ordered[key] = v;
  }
  return `${header.map((l) => `# ${l}`.trimEnd()).join('\n')}\n${toYaml(ordered)}`;
}
