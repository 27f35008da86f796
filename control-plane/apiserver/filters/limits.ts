// Protection of the server itself (kube: k8s.io/apiserver/pkg/server/filters maxinflight.go and timeout.go): at most
// 400 read-only and 200 mutating requests in flight, the rest answered 429 with Retry-After; every request that is not
// long-running (watches, exec, logs, proxy) must finish within 60 s or is answered 504.
import { StatusError } from '../../../api/errors.js';
import type { RequestInfo } from '../requestinfo.js';
import type { Filter } from './chain.js';

const LONG_RUNNING_SUBRESOURCES = new Set(['exec', 'attach', 'log', 'portforward', 'proxy']);

/** Watches and streaming subresources run as long as the client wants (kube's BasicLongRunningRequestCheck). */
export function isLongRunning(info: RequestInfo): boolean {
  return info.verb === 'watch' || info.verb === 'proxy' || (info.isResourceRequest && LONG_RUNNING_SUBRESOURCES.has(info.subresource));
}

const MUTATING = new Set(['create', 'update', 'patch', 'delete', 'deletecollection', 'post', 'put', 'delete']);

export interface InFlightLimits {
  readOnly: number;
  mutating: number;
}

export const DEFAULT_IN_FLIGHT: InFlightLimits = { readOnly: 400, mutating: 200 };

/** A 429 as kube-apiserver sends it when it is saturated. */
const tooMany = () => new StatusError(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds: 1 });

/** `observe` is told the requests in flight of each kind whenever they change (apiserver_current_inflight_requests). */
export function maxInFlight(limits: InFlightLimits = DEFAULT_IN_FLIGHT, observe?: (readOnly: number, mutating: number) => void): Filter {
  let readOnly = 0;
  let mutating = 0;
  return async (ctx, next) => {
    if (isLongRunning(ctx.info)) return next(ctx);
    const isMutating = MUTATING.has(ctx.info.verb);
    if (isMutating ? mutating >= limits.mutating : readOnly >= limits.readOnly) {
      ctx.res.setHeader('Retry-After', '1');
      throw tooMany();
    }
    if (isMutating) mutating++;
    else readOnly++;
    observe?.(readOnly, mutating);
    try {
      await next(ctx);
    } finally {
      if (isMutating) mutating--;
      else readOnly--;
      observe?.(readOnly, mutating);
    }
  };
}

export const REQUEST_TIMEOUT_MS = 60_000;

/** Answers 504 when a request takes longer than the timeout; what the handler writes after that is dropped. */
export function requestTimeout(timeoutMs = REQUEST_TIMEOUT_MS): Filter {
  return async (ctx, next) => {
    if (isLongRunning(ctx.info)) return next(ctx);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StatusError(504, 'Timeout', 'request did not complete within requested timeout - context deadline exceeded', { retryAfterSeconds: 0 })), timeoutMs);
    });
    try {
      await Promise.race([next(ctx), expired]);
    } finally {
      clearTimeout(timer);
    }
  };
}
