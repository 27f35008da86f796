// Standard five-field cron schedules (minute hour day-of-month month day-of-week), as CronJobs use them: lists,
// ranges, steps, month and weekday names, `?`, and the @hourly…@yearly descriptors. Times are matched on the wall
// clock of a time zone (the CronJob's spec.timeZone, else the controller's own zone).

export class CronError extends Error {}

interface Field {
  name: string;
  min: number;
  max: number;
  names?: string[];
}

const FIELDS: Field[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { name: 'day of week', min: 0, max: 6, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

function value(text: string, f: Field, expr: string): number {
  const byName = f.names?.indexOf(text.toLowerCase()) ?? -1;
  if (byName >= 0) return byName + f.min;
  if (!/^\d+$/.test(text)) throw new CronError(`failed to parse int from ${text}: invalid syntax in ${f.name} field "${expr}"`);
  return Number(text);
}

/** One field as the set of values it allows; `star` when it began with * or ? (changes day matching). */
function parseField(expr: string, f: Field): { allowed: boolean[]; star: boolean } {
  const allowed = new Array<boolean>(f.max + 1).fill(false);
  let star = false;
  for (const part of expr.split(',')) {
    const slash = part.split('/');
    if (slash.length > 2) throw new CronError(`too many slashes: ${part}`);
    const [range, stepText] = slash;
    let lo: number;
    let hi: number;
    if (range === '*' || range === '?') {
      star = true;
      lo = f.min;
      hi = f.max;
    } else {
      const dash = range.split('-');
      if (dash.length > 2) throw new CronError(`too many hyphens: ${range}`);
      lo = value(dash[0], f, expr);
      hi = dash.length === 2 ? value(dash[1], f, expr) : stepText !== undefined ? f.max : lo;
    }
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) <= 0) throw new CronError(`step of range should be a positive number: ${part}`);
      step = Number(stepText);
      if (range === '*' || range === '?') star = step === 1 && star;
    }
    if (lo < f.min) throw new CronError(`beginning of range (${lo}) below minimum (${f.min}): ${part}`);
    if (hi > f.max) throw new CronError(`end of range (${hi}) above maximum (${f.max}): ${part}`);
    if (lo > hi) throw new CronError(`beginning of range (${lo}) beyond end of range (${hi}): ${part}`);
    for (let v = lo; v <= hi; v += step) allowed[v] = true;
  }
  return { allowed, star };
}

export interface Schedule {
  /** The first matching minute strictly after `after`, or undefined if none comes within five years. */
  next(after: Date): Date | undefined;
}

const zoneFormats = new Map<string, Intl.DateTimeFormat>();
function zoneFormat(tz: string): Intl.DateTimeFormat {
  let f = zoneFormats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    zoneFormats.set(tz, f);
  }
  return f;
}

/** Whether a time zone name is known (IANA names such as "Europe/Berlin", or "UTC"). */
export function validTimeZone(tz: string): boolean {
  try {
    zoneFormat(tz);
    return true;
  } catch {
    return false;
  }
}

/** The wall clock of `tz` at an instant, as milliseconds of a UTC date carrying those fields. */
function wallClock(instant: number, tz: string): number {
  const parts: Record<string, number> = {};
  for (const p of zoneFormat(tz).formatToParts(new Date(instant))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour % 24, parts.minute, parts.second);
}

/** The instant at which `tz`'s wall clock shows `wall` (for a time skipped by DST, the instant an hour on). */
function instantOf(wall: number, tz: string): number {
  let guess = wall - (wallClock(wall, tz) - wall);
  const off = wallClock(guess, tz) - guess;
  if (wall - off !== guess) guess = wall - off;
  return guess;
}

export const localTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

export function parseSchedule(spec: string, timeZone: string = localTimeZone()): Schedule {
  const text = spec.trim();
  let expanded = text;
  if (text.startsWith('@')) {
    expanded = DESCRIPTORS[text.toLowerCase()];
    if (!expanded) throw new CronError(`unrecognized descriptor: ${text}`);
  }
  const parts = expanded.split(/\s+/).filter(Boolean);
  if (parts.length !== 5) throw new CronError(`expected exactly 5 fields, found ${parts.length}: [${parts.join(' ')}]`);
  const [minute, hour, dom, month, dow] = parts.map((p, i) => parseField(p, FIELDS[i]));
  if (!validTimeZone(timeZone)) throw new CronError(`unknown time zone ${timeZone}`);

  const dayMatches = (d: Date) => {
    const a = dom.allowed[d.getUTCDate()];
    const b = dow.allowed[d.getUTCDay()];
    return dom.star || dow.star ? a && b : a || b;
  };

  return {
    next(after: Date): Date | undefined {
      // Walk the wall clock from the next whole minute, skipping months, days and hours that cannot match.
      let t = new Date(Math.floor(wallClock(after.getTime(), timeZone) / 60_000) * 60_000 + 60_000);
      const limit = t.getTime() + 5 * 366 * 24 * 3600_000;
      while (t.getTime() < limit) {
        if (!month.allowed[t.getUTCMonth() + 1]) {
          t = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 1));
          continue;
        }
        if (!dayMatches(t)) {
          t = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate() + 1));
          continue;
        }
        if (!hour.allowed[t.getUTCHours()]) {
          t = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate(), t.getUTCHours() + 1));
          continue;
        }
        if (!minute.allowed[t.getUTCMinutes()]) {
          t = new Date(t.getTime() + 60_000);
          continue;
        }
        const instant = instantOf(t.getTime(), timeZone);
        if (instant > after.getTime()) return new Date(instant);
        t = new Date(t.getTime() + 60_000);
      }
      return undefined;
    },
  };
}
