// What every `kubets` subcommand module shares: the context the command table hands it, and flag parsing that more
// than one command needs.

/** What the kubets command table provides every command: its usage error and its run-until-signal. */
export interface CommandContext {
  UsageError: new (message: string) => Error;
  untilSignal(close: () => Promise<void>): Promise<void>;
}

/** A port flag's value (0–65535), `dflt` when the flag is absent; anything else is a usage error naming the flag. */
export function portFlag(ctx: Pick<CommandContext, 'UsageError'>, value: string | boolean | undefined, flag: string, dflt: number): number {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ctx.UsageError(`--${flag} "${value}": want a port number`);
  return n;
}
