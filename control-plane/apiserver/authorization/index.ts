// Authorization (kube: k8s.io/apiserver/pkg/authorization/union and kube-apiserver's --authorization-mode=Node,RBAC):
// members of system:masters may do anything; then the Node authorizer and RBAC are asked in turn, and the first to
// allow wins. Neither ever denies outright, so a request nobody allows is forbidden with the reasons they gave.
import { StatusError } from '../../../api/errors.js';
import type { Attributes } from '../../../api/types.js';
import { authorizeNode } from './node/authorizer.js';
import type { NodeGraph } from './node/graph.js';
import { authorize as authorizeRBAC, type RBACSource } from './rbac/rules.js';

export interface Decision {
  allowed: boolean;
  /** Why not (or which authorizer allowed), for the 403 message and SubjectAccessReview status. */
  reason: string;
}

export interface Authorizer {
  authorize(attrs: Attributes): Decision;
}

export const PRIVILEGED_GROUP = 'system:masters';

export class ClusterAuthorizer implements Authorizer {
  constructor(
    private readonly rbac: RBACSource,
    private readonly nodes: NodeGraph,
  ) {}

  authorize(attrs: Attributes): Decision {
    if (attrs.user.groups.includes(PRIVILEGED_GROUP)) return { allowed: true, reason: '' };
    const reasons: string[] = [];
    const node = authorizeNode(this.nodes, attrs);
    if (node.decision === 'Allow') return { allowed: true, reason: '' };
    if (node.reason) reasons.push(node.reason);
    const rbac = authorizeRBAC(this.rbac, attrs);
    if (rbac.decision === 'Allow') return { allowed: true, reason: rbac.reason };
    if (rbac.reason) reasons.push(rbac.reason);
    return { allowed: false, reason: reasons.join(', ') };
  }
}

/**
 * kube-apiserver's wording of a forbidden request (endpoints/handlers/responsewriters.forbiddenMessage):
 * `User "x" cannot list resource "secrets" in API group "" in the namespace "default"`.
 */
export function forbiddenMessage(a: Attributes): string {
  const who = `User ${JSON.stringify(a.user.name)}`;
  if (!a.isResourceRequest) return `${who} cannot ${a.verb} path ${JSON.stringify(a.path ?? '')}`;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource ?? '';
  const where = a.namespace ? `in the namespace ${JSON.stringify(a.namespace)}` : 'at the cluster scope';
  return `${who} cannot ${a.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(a.apiGroup ?? '')} ${where}`;
}

/** The 403 Status kube-apiserver answers (apierrors.NewForbidden over the forbidden message and the reason). */
export function forbidden(a: Attributes, reason: string): StatusError {
  const msg = reason ? `${forbiddenMessage(a)}: ${reason}` : forbiddenMessage(a);
  if (!a.isResourceRequest) return new StatusError(403, 'Forbidden', `forbidden: ${msg}`);
  const qualified = a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource ?? '';
  const subject = a.name ? `${qualified} ${JSON.stringify(a.name)}` : qualified;
  return new StatusError(403, 'Forbidden', `${subject} is forbidden: ${msg}`, { name: a.name || undefined, group: a.apiGroup || undefined, kind: a.resource });
}
