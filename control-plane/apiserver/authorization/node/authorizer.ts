// The Node authorizer (plugin/pkg/auth/authorizer/node/node_authorizer.go): requests from a kubelet
// (user system:node:<name> in group system:nodes) may read Secrets, ConfigMaps, PersistentVolumeClaims and
// PersistentVolumes only when a pod bound to that node uses them, request tokens only for its pods' service accounts,
// touch only its own Lease; everything else is judged by the node's static rules (the system:node role). What a node
// may write to Node and Pod objects is narrowed further by the NodeRestriction admission plugin.
import { bootstrapClusterRoles } from '../rbac/policy.js';
import { ruleAllows } from '../rbac/rules.js';
import type { Attributes, PolicyRule, UserInfo } from '../../../../api/types.js';
import type { NodeGraph, ReferencedKind } from './graph.js';

export const NODES_GROUP = 'system:nodes';
export const NODE_USER_PREFIX = 'system:node:';

/** The node a user is, or undefined when the user is not a node identity. */
export function nodeNameOf(user: UserInfo): string | undefined {
  if (!user.groups.includes(NODES_GROUP) || !user.name.startsWith(NODE_USER_PREFIX)) return undefined;
  const name = user.name.slice(NODE_USER_PREFIX.length);
  return name || undefined;
}

const nodeRules: PolicyRule[] = bootstrapClusterRoles().find((r) => r.metadata.name === 'system:node')!.rules ?? [];

export interface NodeDecision {
  decision: 'Allow' | 'Deny' | 'NoOpinion';
  reason: string;
}

const graphKinds: Record<string, ReferencedKind> = { secrets: 'secrets', configmaps: 'configmaps', persistentvolumeclaims: 'persistentvolumeclaims', persistentvolumes: 'persistentvolumes' };

export function authorizeNode(graph: NodeGraph, attrs: Attributes): NodeDecision {
  const node = nodeNameOf(attrs.user);
  if (!node) return { decision: 'NoOpinion', reason: '' };
  if (!attrs.isResourceRequest) return ruleAllows(attrs, { verbs: ['get'], nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/readyz', '/version', '/version/', '/openapi', '/openapi/*'] }) ? allow : noOpinion;
  const group = attrs.apiGroup ?? '';
  const related = (kind: ReferencedKind) => {
    if (!attrs.name) return deny('No Object name found');
    if (!graph.hasPath(node, kind, attrs.namespace ?? '', attrs.name)) return deny(`no relationship found between node '${node}' and this object`);
    return allow;
  };
  const kind = group === '' ? graphKinds[attrs.resource ?? ''] : undefined;
  if (kind === 'secrets' || kind === 'configmaps') {
    // Reads of single objects only: get, or a list/watch narrowed to one name.
    if (!['get', 'list', 'watch'].includes(attrs.verb)) return deny('can only read resources of this type');
    if (attrs.subresource) return deny('cannot read subresource');
    if (!attrs.namespace) return deny('can only read namespaced object of this type');
    return related(kind);
  }
  if (kind && !attrs.subresource) {
    if (attrs.verb !== 'get') return deny('can only get individual resources of this type');
    return related(kind);
  }
  if (group === '' && attrs.resource === 'serviceaccounts') {
    if (attrs.verb !== 'create' || !attrs.name) return deny('can only create tokens for individual service accounts');
    if (attrs.subresource !== 'token') return deny('can only create token subresource of serviceaccount');
    return related('serviceaccounts');
  }
  if (group === 'coordination.k8s.io' && attrs.resource === 'leases') {
    if (!['get', 'create', 'update', 'patch', 'delete'].includes(attrs.verb)) return deny('can only get, create, update, patch, or delete a node lease');
    if (attrs.namespace !== 'kube-node-lease') return deny('can only access leases in the "kube-node-lease" system namespace');
    // The authorizer does not know the name of what is created: NodeRestriction checks it.
    if (attrs.verb !== 'create' && attrs.name !== node) return deny('can only access node lease with the same name as the requesting node');
    return allow;
  }
  return nodeRules.some((r) => ruleAllows(attrs, r)) ? allow : noOpinion;
}

const allow: NodeDecision = { decision: 'Allow', reason: '' };
const noOpinion: NodeDecision = { decision: 'NoOpinion', reason: '' };
/** A refusal in the node authorizer's words (kube answers these as no opinion with the reason). */
const deny = (why: string): NodeDecision => ({ decision: 'Deny', reason: why });
