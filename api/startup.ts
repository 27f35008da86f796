// Start-up in named steps (k3s style): a failing step's error names the step, and whatever was started before it is
// released in reverse order.

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
