// The proxy's coded errors, as kube-proxy's start-up reports them: a mode that doesn't exist, a mode this kernel
// can't run, and leftovers of another mode that could not be removed.

export class UnsupportedProxyModeError extends Error {
  override readonly name = 'UnsupportedProxyModeError';
  readonly code = 'ERR_PROXY_MODE';
  constructor(
    readonly mode: string,
    supported: readonly string[],
  ) {
    super(`proxy mode ${JSON.stringify(mode)} is not supported; supported: ${supported.join(', ')}`);
  }
}

/** The mode exists but can't run here (a missing kernel module); the message says which modes can. */
export class ProxyModeUnavailableError extends Error {
  override readonly name = 'ProxyModeUnavailableError';
  readonly code = 'ERR_PROXY_MODE_UNAVAILABLE';
  constructor(
    readonly mode: string,
    message: string,
  ) {
    super(message);
  }
}

export class CleanupError extends Error {
  override readonly name = 'CleanupError';
  readonly code = 'ERR_PROXY_CLEANUP';
  constructor(
    readonly mode: string,
    readonly errors: Error[],
  ) {
    super(`${mode} cleanup failed: ${errors.map((e) => e.message).join('; ')}`);
  }
}
