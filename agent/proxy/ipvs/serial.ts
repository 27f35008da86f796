// One request at a time on a netlink socket (as the vishvananda/netlink handles kube-proxy uses hold a lock per socket):
// a socket runs one dump at a time, and a second dump interrupts the first with EBUSY. Also what keeps graceful
// termination's checks and the proxier's calls apart.
export class Serial {
  private queue: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const r = this.queue.then(fn);
    this.queue = r.catch(() => undefined);
    return r;
  }
  /** Settles when everything queued so far has run. */
  idle(): Promise<unknown> {
    return this.queue;
  }
}

