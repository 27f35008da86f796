// The filter chain in front of the API handlers (kube: k8s.io/apiserver/pkg/server/config.go, DefaultBuildHandlerChain,
// and pkg/endpoints/filters): each filter sees the request, its RequestInfo and the user, and either answers (writes
// a response, or throws a StatusError) or passes the request on. Authentication runs now; authorization, impersonation,
// audit and max-in-flight take their place in the list the server builds.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { UserInfo } from '../../../api/types.js';
import type { RequestInfo } from '../requestinfo.js';

export type { UserInfo };

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  info: RequestInfo;
  /** Set by authentication. */
  user?: UserInfo;
}

export type Handler = (ctx: RequestContext) => Promise<void>;

/** Answers the request, or hands it (possibly with more context, such as the user) to `next`. */
export type Filter = (ctx: RequestContext, next: Handler) => Promise<void>;

/** The handler behind its filters: a request meets them in list order. */
export function withFilters(filters: readonly Filter[], handler: Handler): Handler {
  return filters.reduceRight<Handler>((next, filter) => (ctx) => filter(ctx, next), handler);
}
