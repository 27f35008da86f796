// Errors with stable codes. StatusError is the one the API speaks: it turns into a Kubernetes `Status` object on the
// wire and back into a StatusError in clients, so every component can branch on `reason` and `code`.
import type { Status, StatusCause } from './types.js';

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout';

export class StatusError extends Error {
  readonly code: number;
  readonly reason: StatusReason;
  readonly details?: Status['details'];

  constructor(code: number, reason: StatusReason, message: string, details?: Status['details']) {
    super(message);
    this.name = 'StatusError';
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  toStatus(): Status {
    // Go's field order (metav1.Status): kind, apiVersion, metadata, status, message, reason, details, code.
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason, ...(this.details ? { details: this.details } : {}), code: this.code };
  }

  static fromStatus(s: Partial<Status>, fallbackCode: number): StatusError {
    return new StatusError(s.code ?? fallbackCode, (s.reason as StatusReason) ?? 'InternalError', s.message ?? `HTTP ${fallbackCode}`, s.details);
  }
}

/** "pods \"web\" not found", as kube-apiserver words it. */
export function notFound(resource: string, name: string, group = ''): StatusError {
  const qualified = group ? `${resource}.${group}` : resource;
  return new StatusError(404, 'NotFound', `${qualified} "${name}" not found`, { name, group: group || undefined, kind: resource });
}

export function alreadyExists(resource: string, name: string, group = ''): StatusError {
  const qualified = group ? `${resource}.${group}` : resource;
  return new StatusError(409, 'AlreadyExists', `${qualified} "${name}" already exists`, { name, group: group || undefined, kind: resource });
}

export function conflict(resource: string, name: string, why: string, group = ''): StatusError {
  const qualified = group ? `${resource}.${group}` : resource;
  return new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified} "${name}": ${why}`, { name, group: group || undefined, kind: resource });
}

export function badRequest(message: string): StatusError {
  return new StatusError(400, 'BadRequest', message);
}

/** 422 with field causes: `Kind "name" is invalid: [field: Reason: detail, ...]`. */
export function invalid(kind: string, name: string, causes: StatusCause[], group = ''): StatusError {
  const parts = causes.map((c) => `${c.field}: ${c.message}`);
  const list = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  const qualifiedKind = group ? `${kind}.${group}` : kind;
  return new StatusError(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${list}`, { name, group: group || undefined, kind, causes });
}

export function isNotFound(e: unknown): boolean {
  return e instanceof StatusError && e.code === 404;
}
export function isConflict(e: unknown): boolean {
  return e instanceof StatusError && e.code === 409;
}
export function isAlreadyExists(e: unknown): boolean {
  return e instanceof StatusError && e.reason === 'AlreadyExists';
}

/** Resolves to undefined when the request failed with NotFound (the object is already gone); other errors stay. */
export function ignoreNotFound<T>(p: Promise<T>): Promise<T | undefined> {
  return p.catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
}
