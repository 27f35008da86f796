// Start-up in named steps (k3s style): a failing step's error names the step, and whatever was started before it is
// released in reverse order.
import type { Logger } from './log.js';

/** Runs one start-up step; its failure is rethrown as "<name>: <cause>". */
export async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw new Error(`${name}: ${(e as Error).message}`, { cause: e });
  }
}

/** What a start-up sequence has started, closed last-first. */
export class Closers {
  private readonly list: (() => Promise<void> | void)[] = [];

  push(close: () => Promise<void> | void): void {
    this.list.push(close);
  }

  async close(): Promise<void> {
    for (const c of this.list.splice(0).reverse()) await c();
  }
}

/** A component's start-up that failed: "<component> start-up failed at "<step>": <cause>". */
export class StartError extends Error {
  readonly code = 'ERR_START';
  constructor(
    readonly component: string,
    readonly step: string,
    override readonly cause: unknown,
  ) {
    super(`${component} start-up failed at "${step}": ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'StartError';
  }
}

/**
 * A long-running component's start-up: named steps (logged as they begin), the parts each step started owned by
 * name, and one idempotent close that releases them last-first — logging, not throwing, a part that fails to close.
 * A failing (or aborted) step closes what was started and throws a StartError naming the step.
 */
export class Startup {
  private readonly owned: { name: string; close: () => Promise<void> | void }[] = [];
  private closing?: Promise<void>;

  constructor(
    private readonly component: string,
    private readonly log: Logger,
    private readonly o: { signal?: AbortSignal; onClosed?: () => void } = {},
  ) {}

  own<T extends { close(): Promise<void> | void }>(name: string, part: T): T {
    this.owned.push({ name, close: () => part.close() });
    return part;
  }

  async step<T>(name: string, run: () => Promise<T> | T): Promise<T> {
    if (this.o.signal?.aborted) {
      await this.close();
      throw new StartError(this.component, name, new Error('aborted'));
    }
    this.log.info({ step: name }, `${this.component} start-up step`);
    try {
      return await run();
    } catch (e) {
      await this.close();
      throw e instanceof StartError ? e : new StartError(this.component, name, e);
    }
  }

  close(): Promise<void> {
    return (this.closing ??= (async () => {
      for (const o of this.owned.splice(0).reverse()) {
        try {
          await o.close();
        } catch (e) {
          this.log.warn({ part: o.name, err: (e as Error).message }, 'close failed');
        }
      }
      this.o.onClosed?.();
    })());
  }
}
